import { settleRoute } from "@/server/rest/routes";

export const POST = settleRoute.handle;
