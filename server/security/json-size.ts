import type { z } from "zod";

/**
 * Size caps for free-form JSON that people or agents hand to wflo and that wflo stores and
 * shows again (approval details and payloads, policy test requests). Without one, a single
 * request could store megabytes that every queue poll then serves.
 */

/** 64 KiB as JSON: a page of facts for a reviewer, far below anything that strains a poll. */
export const JSON_FIELD_MAX_BYTES = 64 * 1024;

/** Bytes of `value` serialized as JSON (UTF-8); bigints count as their digits. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return text === undefined ? 0 : Buffer.byteLength(text, "utf8");
}

/** "details must be at most 65536 bytes as JSON (got 70012)". */
export function jsonTooLargeMessage(field: string, bytes: number, max = JSON_FIELD_MAX_BYTES): string {
  return `${field} must be at most ${max} bytes as JSON (got ${bytes})`;
}

/** The first field (of `fields`) over the cap, as a message, or null when all fit. */
export function oversizedJsonField(fields: Record<string, unknown>, max = JSON_FIELD_MAX_BYTES): string | null {
  for (const [field, value] of Object.entries(fields)) {
    const bytes = jsonBytes(value);
    if (bytes > max) return jsonTooLargeMessage(field, bytes, max);
  }
  return null;
}

/** A zod refinement for one JSON field: `schema.superRefine(capJson("details"))`. The issue's path is the field's own. */
export function capJson(field: string, max = JSON_FIELD_MAX_BYTES) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    const bytes = jsonBytes(value);
    if (bytes > max) ctx.addIssue({ code: "custom", message: jsonTooLargeMessage(field, bytes, max) });
  };
}
