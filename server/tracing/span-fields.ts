/** How stored values become span fields: capped (absent when empty), times in ms, flat attributes, a step's status. */

import type { RunStatus } from "@/db/schema";
import { capValue } from "./redact";
import type { TraceSpan } from "./types";

/** Absent rather than null: a 5,000-span trace should not carry 10,000 empty fields. */
export const cap = (v: unknown) => (v === null || v === undefined ? undefined : capValue(v));
export const ms = (d: Date | null | undefined) => (d ? d.getTime() : null);

export type Attr = TraceSpan["attributes"];
export function flatAttrs(o: Record<string, unknown> | null | undefined, prefix = ""): Attr {
  const out: Attr = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[key] = v;
    else if (v !== undefined) out[key] = JSON.stringify(v).slice(0, 2000);
  }
  return out;
}

export function stepStatus(s: RunStatus): TraceSpan["status"] {
  if (s === "failed") return "error";
  if (s === "completed") return "ok";
  if (s === "cancelled") return "unset";
  return "running";
}
