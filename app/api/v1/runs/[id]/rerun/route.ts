import { rerunRunRoute } from "@/server/rest/routes/run-actions";

export const POST = rerunRunRoute.handle;
