import { z } from "zod";

/** The time ranges the dashboard offers, with the bucket width each is drawn in. */
export const RANGES = {
  "1h": { ms: 3_600_000, bucketMs: 5 * 60_000, label: "Last hour" },
  "24h": { ms: 86_400_000, bucketMs: 3_600_000, label: "Last 24 hours" },
  "7d": { ms: 7 * 86_400_000, bucketMs: 6 * 3_600_000, label: "Last 7 days" },
  "30d": { ms: 30 * 86_400_000, bucketMs: 86_400_000, label: "Last 30 days" },
} as const;
export type RangeKey = keyof typeof RANGES;

export const rangeSchema = z.enum(Object.keys(RANGES) as [RangeKey, ...RangeKey[]], {
  error: `range must be one of: ${Object.keys(RANGES).join(", ")}`,
});
export const overviewInput = z.object({ range: rangeSchema.default("24h") });
