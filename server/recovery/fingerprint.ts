import { createHash } from "node:crypto";
import { z } from "zod";
import { workflowCatalog } from "@/server/workflows/workflow-catalog";

/**
 * A workflow definition's fingerprint: sha256 of its handler's source and the config that
 * changes how it runs (event, retries, input schema). Stored with every run; a resumed or
 * replayed run whose fingerprint differs is flagged, because its recorded steps may no longer
 * line up with the code.
 */
export type Fingerprintable = { id: string; event: string; retries?: number; input: z.ZodObject; source: string };

export function fingerprintOf(wf: Fingerprintable): string {
  const config = JSON.stringify({
    id: wf.id,
    event: wf.event,
    retries: wf.retries ?? null,
    input: z.toJSONSchema(wf.input, { unrepresentable: "any" }),
  });
  return createHash("sha256").update(config).update("\n").update(wf.source).digest("hex");
}

/** The current fingerprint of a served workflow (undefined for system or unknown functions). */
export async function currentFingerprint(workflowId: string): Promise<string | undefined> {
  const wf = (await workflowCatalog()).find(workflowId);
  return wf ? fingerprintOf(wf) : undefined;
}
