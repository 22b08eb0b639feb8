import { TRPCClientError } from "@trpc/client";
import { fieldErrors } from "@/components/trpc/errors";

/**
 * Governance services report bad input as "field: rule; other.0: rule" (their own zod
 * parsing), so the field comes from the message; a zod-flattened error wins when present.
 */
export function governanceFieldErrors(err: unknown): Record<string, string> {
  const flat = fieldErrors(err);
  if (Object.keys(flat).length || !(err instanceof TRPCClientError)) return flat;
  const out: Record<string, string> = {};
  for (const part of err.message.split("; ")) {
    const m = /^([A-Za-z][\w]*)(?:\.[\w.]+)?: (.+)$/.exec(part);
    if (m && !out[m[1]!]) out[m[1]!] = m[2]!;
  }
  return out;
}

export function isConflict(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === "CONFLICT";
}
