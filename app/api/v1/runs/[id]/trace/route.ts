import { getRunTraceRoute } from "@/server/rest/routes";

export const GET = getRunTraceRoute.handle;
