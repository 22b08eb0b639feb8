import { getRunRoute } from "@/server/rest/routes";

export const GET = getRunRoute.handle;
