import { NonRetriableError } from "inngest";
import { JSON_FIELD_MAX_BYTES, oversizedJsonField } from "@/server/security/json-size";

/**
 * An approval's `details` and `payload` are shown to every reviewer and kept with the row, so
 * each is capped at JSON_FIELD_MAX_BYTES (64 KiB as JSON). REST requests are refused by their
 * schema (external.ts); a workflow's `wflo.approval` is refused here, before anything is stored.
 */
export const APPROVAL_JSON_MAX_BYTES = JSON_FIELD_MAX_BYTES;

/** Not retried: the same step would send the same oversized data again. */
export class ApprovalTooLargeError extends NonRetriableError {
  constructor(message: string) {
    super(message);
    this.name = "ApprovalTooLargeError";
  }
}

/** Throws `wflo.approval("gate"): details must be at most 65536 bytes as JSON (got N)` when a field is over the cap. */
export function assertApprovalSizes(gate: string, options: { details?: unknown; payload?: unknown }): void {
  const problem = oversizedJsonField(
    { details: options.details ?? {}, payload: options.payload ?? {} },
    APPROVAL_JSON_MAX_BYTES,
  );
  if (problem) throw new ApprovalTooLargeError(`wflo.approval(${JSON.stringify(gate)}): ${problem}`);
}
