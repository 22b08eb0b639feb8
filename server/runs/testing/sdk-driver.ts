/**
 * Plays the Inngest server's part against a real SDK serve handler, in-process, for tests:
 * the classic (non-checkpointing) loop of the protocol notes (§13), with sleeps that end at
 * once and waits resolved by a callback. It is deliberately small; the embedded engine is the
 * real executor.
 */
import { canonicalBody, signBody } from "@/server/security/signing";
import { engineSigningKey } from "@/server/security/signing-key";

export type ServeHandler = (req: Request) => Promise<Response>;

type Op = { id: string; op: string; name?: string; opts?: Record<string, unknown>; data?: unknown; error?: unknown };
type TriggerEvent = { id: string; name: string; data: Record<string, unknown>; ts: number };

export type DriveOptions = {
  handler: ServeHandler;
  /** Composite id: "<app id>-<function id>". */
  functionId: string;
  event: TriggerEvent;
  runId: string;
  maxAttempts?: number;
  /** The event a waitForEvent receives, or null for a timeout. */
  resolveWait?: (op: Op) => unknown;
  /** Called between requests, e.g. to look at the records mid-run. */
  onOps?: (ops: Op[]) => Promise<void> | void;
  /** Stop after this many requests (to leave a run suspended). */
  maxRequests?: number;
};

export type DriveResult = {
  outcome: "completed" | "failed" | "suspended";
  output?: unknown;
  error?: unknown;
  requests: number;
};

const SERVE_URL = "http://127.0.0.1/api/inngest";

export async function driveRun(o: DriveOptions): Promise<DriveResult> {
  const steps: Record<string, unknown> = {};
  const stack: string[] = [];
  const maxAttempts = o.maxAttempts ?? 3;
  let requests = 0;

  const call = async (stepId: string, attempt: number) => {
    requests++;
    const body = canonicalBody({
      version: 2,
      event: o.event,
      events: [o.event],
      steps,
      ctx: {
        run_id: o.runId,
        attempt,
        max_attempts: maxAttempts,
        disable_immediate_execution: false,
        use_api: false,
        stack: { stack, current: stack.length },
      },
    });
    const url = new URL(SERVE_URL);
    url.searchParams.set("fnId", o.functionId);
    url.searchParams.set("stepId", stepId);
    const res = await o.handler(
      new Request(url, {
        method: "POST",
        // Signed like the engine signs (wflo's client on the embedded engine refuses unsigned calls).
        headers: { "content-type": "application/json", "x-inngest-signature": signBody(body, engineSigningKey()) },
        body,
      }),
    );
    return { status: res.status, body: (await res.json()) as unknown };
  };

  const memo = (id: string, value: unknown) => {
    steps[id] = value;
    stack.push(id);
  };

  /** Runs one planned step to its end, retrying it like the server would. */
  const runPlanned = async (id: string) => {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const res = await call(id, attempt);
      const [op] = (Array.isArray(res.body) ? res.body : []) as Op[];
      if (op?.op === "StepRun") return memo(id, { data: op.data ?? null });
      if (op?.op === "StepFailed") return memo(id, { error: op.error });
    }
    throw new Error(`planned step ${id} did not finish`);
  };

  let attempt = 0;
  for (;;) {
    if (o.maxRequests !== undefined && requests >= o.maxRequests) return { outcome: "suspended", requests };
    const res = await call("step", attempt);
    if (res.status === 200) return { outcome: "completed", output: res.body, requests };
    if (res.status === 400) return { outcome: "failed", error: res.body, requests };
    if (res.status >= 500) {
      attempt++;
      if (attempt >= maxAttempts) return { outcome: "failed", error: res.body, requests };
      continue;
    }
    const ops = res.body as Op[];
    await o.onOps?.(ops);
    let retryStep = false;
    for (const op of ops) {
      switch (op.op) {
        case "StepRun":
          memo(op.id, { data: op.data ?? null });
          break;
        case "StepFailed":
          memo(op.id, { error: op.error });
          break;
        case "StepError":
          retryStep = true;
          break;
        case "StepPlanned":
          await runPlanned(op.id);
          break;
        case "Sleep":
          memo(op.id, { data: null });
          break;
        case "WaitForEvent":
          memo(op.id, { data: o.resolveWait?.(op) ?? null });
          break;
        case "RunComplete":
          return { outcome: "completed", output: op.data, requests };
        default:
          throw new Error(`the test driver does not handle ${op.op}`);
      }
    }
    attempt = retryStep ? attempt + 1 : 0;
    if (attempt >= maxAttempts) return { outcome: "failed", requests };
  }
}
