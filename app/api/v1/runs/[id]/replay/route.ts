import { replayRunRoute } from "@/server/rest/routes/run-actions";

export const POST = replayRunRoute.handle;
