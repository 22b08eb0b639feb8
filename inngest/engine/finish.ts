/** How a call's result ends a run (its return value, size-checked) or when its next attempt is due. */

import { byteLength, type TxSql } from "./db";
import type { EngineCore } from "./core";
import { STEP_OUTPUT_LIMIT_BYTES } from "./protocol";
import { finishRun, type RunRow } from "./runs";

/** When the next attempt is due: the SDK's retry-after if it gave one, else the backoff schedule. */
export function retryDelay(core: EngineCore, attempt: number, retryAfterMs: number | null): Date {
  return new Date(Date.now() + (retryAfterMs ?? core.backoff(attempt)));
}

/** Finishes a run with its return value, or fails it when the value is over the output limit. */
export async function complete(tx: TxSql, core: EngineCore, run: RunRow, output: unknown): Promise<void> {
  const size = byteLength(output);
  if (size > STEP_OUTPUT_LIMIT_BYTES) {
    await finishRun(tx, core, run, {
      status: "failed",
      error: { name: "OutputTooLarge", message: `the function's return value is ${size} bytes; the limit is 4 MiB` },
    });
    return;
  }
  await finishRun(tx, core, run, { status: "completed", output: output ?? null });
}
