import { cancelRunRoute } from "@/server/rest/routes";

export const POST = cancelRunRoute.handle;
