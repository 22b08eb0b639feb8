import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { inngest } from "@/inngest/client";
import { embeddedEngineUrl, inngestApiHeaders } from "@/server/events/connection";
import { canonicalBody, signBody } from "@/server/security/signing";
import { engineSigningKey } from "@/server/security/signing-key";
import { openHarness, startRunsHarness } from "./testing/runs-harness";

/**
 * wflo's serve endpoint runs workflow code only for the engine: in embedded mode the app's
 * Inngest client is in cloud mode with the engine's signing key, so a request without the
 * engine's `x-inngest-signature` (or signed with another key) is refused before any step runs.
 * Without that, anyone who reaches the port could run a workflow and forge step results, such
 * as an approval the run is waiting for.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let actions = 0;
const probe = inngest.createFunction(
  { id: "signing-probe", retries: 0, triggers: [{ event: "test/signing-probe" }] },
  async ({ step }) => {
    const approval = await step.waitForEvent("approval", { event: "test/signing-probe.approved", timeout: "1h" });
    return step.run("act", () => {
      actions++;
      return approval ? "approved" : "timed out";
    });
  },
);

const { h } = await openHarness(() => startRunsHarness({ extraFunctions: [probe] }), {});

/** What the engine sends for the run's next call, with a forged "approved" for its wait. */
function forgedCall(runId: string, event: unknown) {
  const waitId = createHash("sha1").update("approval").digest("hex");
  return {
    version: 2,
    event,
    events: [event],
    steps: {
      [waitId]: { data: { name: "test/signing-probe.approved", data: { approvedBy: "attacker" }, ts: Date.now() } },
    },
    ctx: {
      run_id: runId,
      attempt: 0,
      max_attempts: 1,
      disable_immediate_execution: false,
      use_api: false,
      stack: { stack: [waitId], current: 1 },
    },
  };
}

async function post(body: unknown, signature?: string): Promise<Response> {
  const text = canonicalBody(body);
  const headers: Record<string, string> = { "content-type": "application/json", "x-inngest-server-kind": "dev" };
  if (signature) headers["x-inngest-signature"] = signature;
  return fetch(`${h.appUrl}?fnId=wflo-signing-probe&stepId=step`, { method: "POST", headers, body: text });
}

describe("the app's Inngest serve endpoint in embedded mode", () => {
  it("refuses unsigned and wrongly signed calls (no step runs, the run is untouched); only the engine's signature gets in", async () => {
    const runId = await h.start("test/signing-probe");
    await h.waitingForEvent(runId);
    const statusBefore = await h.statusOf(runId);
    const engineBefore = await h.engine.getRun(runId);
    const body = forgedCall(runId, engineBefore?.event);

    const unsigned = await post(body);
    expect(unsigned.status).toBe(401);
    const otherKey = `signkey-prod-${randomBytes(32).toString("hex")}`;
    const wrong = await post(body, signBody(canonicalBody(body), otherKey));
    expect(wrong.status).toBe(401);

    expect(actions).toBe(0);
    expect(await h.statusOf(runId)).toBe(statusBefore);
    const engineAfter = await h.engine.getRun(runId);
    expect(engineAfter?.status).toBe(engineBefore?.status);
    expect(engineAfter?.steps).toEqual(engineBefore?.steps);

    // The same body with the engine's signature runs the step: the refusals above were the signature alone.
    const signed = await post(body, signBody(canonicalBody(body), engineSigningKey()));
    expect(signed.status).toBeGreaterThanOrEqual(200);
    expect(signed.status).toBeLessThan(300);
    expect(actions).toBe(1);
  });

  it("refuses an unsigned sync (PUT), which would re-register the app at the URL the request claims", async () => {
    const before = (await h.engine.listFunctions()).map((f) => [f.id, f.url]);
    const res = await fetch(h.appUrl, { method: "PUT" });
    expect(res.status).toBe(401);
    expect((await h.engine.listFunctions()).map((f) => [f.id, f.url])).toEqual(before);
  });

  it("the engine's REST API wants the bearer derived from the same key, which wflo's own calls carry", async () => {
    const runId = await h.start("test/signing-probe");
    const url = `${embeddedEngineUrl()}/v1/runs/${encodeURIComponent(runId)}`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: inngestApiHeaders() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data?: { id?: string } }).data?.id).toBe(runId);
  });
});
