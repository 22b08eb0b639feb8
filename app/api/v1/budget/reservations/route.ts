import { reserveRoute } from "@/server/rest/routes";

export const POST = reserveRoute.handle;
