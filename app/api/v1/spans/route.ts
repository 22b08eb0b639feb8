import { ingestSpansRoute } from "@/server/rest/routes";

/** POST /api/v1/spans { workflow?, spans: [{ runId | traceId, spanId, parentSpanId?, name, kind?, startTime, endTime?, attributes?, status?, error? }] } */
export const POST = ingestSpansRoute.handle;
