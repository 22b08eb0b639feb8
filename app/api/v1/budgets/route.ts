import { listBudgetsRoute } from "@/server/rest/routes";

export const GET = listBudgetsRoute.handle;
