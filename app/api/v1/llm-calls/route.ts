import { recordLlmCallRoute } from "@/server/rest/routes";

export const POST = recordLlmCallRoute.handle;
