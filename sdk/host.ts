import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/node";
import { clientEventKey, clientSigningKey, embeddedEngineOptions } from "@/server/events/connection";
import { wfloMiddleware } from "@/inngest/middleware";
import { withCurrentRun } from "@/server/adapters/current-run";
import type { AdapterContext } from "@/server/adapters/framework";
import { UnsupportedTargetError } from "@/server/adapters/framework";
import { runTarget } from "@/server/adapters/frameworks";
import { log } from "@/server/log";
import { eventInput } from "@/server/runs/envelope";
import { WfloConnectionError } from "./errors";

/**
 * Where a WfloWorkflow's target runs: this process. The target is an in-memory object (a
 * function, a LangGraph graph, ...), so the engine must call back into the process that has
 * it. Each workflow name gets a tiny Inngest serve handler on 127.0.0.1:<ephemeral port>, as
 * its own Inngest app `wflo-sdk-<name>` (an app sync replaces that app's whole function list,
 * so sharing the panel's app id "wflo" would retire the panel's workflows), with wflo's
 * middleware: runs, steps, LLM calls and checkpoints are recorded exactly as for the panel's
 * own workflows. Re-syncing the same app from a new process points the engine at it, which
 * is how a run whose caller crashed continues in the next one.
 *
 * The handler finds the target by the run's trigger event id, registered before the event is
 * sent (or, to resume, before the host syncs).
 */
export const SDK_APP_PREFIX = "wflo-sdk-";
export const triggerEventName = (workflow: string) => `wflo-sdk/${workflow}.execute`;

export type Retries = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20;

type Host = {
  client: Inngest;
  url: string;
  targets: Map<string, unknown>;
  server: Server;
};

const hosts = new Map<string, Promise<Host>>();

/** The Inngest client options the app's own client uses (inngest/client.ts), for a different app id. */
function clientFor(workflow: string): Inngest {
  return new Inngest({
    id: `${SDK_APP_PREFIX}${workflow}`,
    middleware: wfloMiddleware,
    logger: log,
    ...embeddedEngineOptions(),
    get signingKey() {
      return clientSigningKey();
    },
    get eventKey() {
      return clientEventKey();
    },
  });
}

async function startHost(workflow: string, retries: Retries): Promise<Host> {
  // The engine's signing key, read now: without it the host could neither sync nor verify the engine's calls.
  try {
    clientSigningKey();
  } catch (e) {
    throw new WfloConnectionError(e instanceof Error ? e.message : String(e));
  }
  const client = clientFor(workflow);
  const targets = new Map<string, unknown>();
  const fn = client.createFunction(
    { id: workflow, name: workflow, retries, triggers: [{ event: triggerEventName(workflow) }] },
    async (ctx) => {
      const eventId = ctx.event.id ?? "";
      if (!targets.has(eventId)) {
        // Retriable: the process that has the target may attach (execute with this executionId) before the retries run out.
        throw new Error(
          `no process is running workflow "${workflow}" for run ${ctx.runId}: call execute(target, inputs, { executionId: "${ctx.runId}" }) to resume it`,
        );
      }
      const input = eventInput(ctx.event.data);
      // Same middleware, so the same context as the panel's workflows; only the client's app id type differs.
      const adapterCtx = ctx as unknown as AdapterContext;
      try {
        return await withCurrentRun(adapterCtx, () => runTarget(targets.get(eventId), input, adapterCtx));
      } catch (e) {
        if (e instanceof UnsupportedTargetError) throw new NonRetriableError(e.message);
        throw e;
      }
    },
  );

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handler = serve({ client, functions: [fn], serveOrigin: origin, servePath: "/api/inngest" });
  const url = `${origin}/api/inngest`;

  // The SDK's own sync: a PUT makes it register its functions with the server it is configured for.
  let res: Response;
  let body = "";
  try {
    res = await fetch(url, { method: "PUT", signal: AbortSignal.timeout(30_000) });
    body = await res.text();
  } catch (e) {
    server.close();
    throw new WfloConnectionError(
      `could not sync workflow "${workflow}" with the engine: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (!res.ok) {
    server.close();
    // A 401 here is the engine not knowing this process's signing key (another data dir, no key).
    const hint =
      res.status === 401 || /unauthorized/i.test(body)
        ? ": this process's engine signing key is not the engine's; set WFLO_DATA_DIR to the panel's .wflo folder or WFLO_ENGINE_SIGNING_KEY to the panel's key"
        : "";
    throw new WfloConnectionError(
      `the engine refused to sync workflow "${workflow}" (HTTP ${res.status})${hint}: ${body.slice(0, 500)}`,
    );
  }
  return { client, url, targets, server };
}

export type Attachment = {
  client: Inngest;
  /** Stops serving this target; the last one out closes the host (so a script can exit). */
  detach(): Promise<void>;
};

/**
 * Serves `target` for the run triggered by `eventId` until detached. One host per workflow
 * name per process; `retries` applies when the host is created (it is part of the synced function).
 */
export async function attach(
  workflow: string,
  retries: Retries,
  eventId: string,
  target: unknown,
): Promise<Attachment> {
  let pending: Promise<Host>;
  let host: Host;
  for (;;) {
    const existing = hosts.get(workflow);
    pending = existing ?? startHost(workflow, retries);
    if (!existing) {
      hosts.set(workflow, pending);
      pending.catch(() => hosts.delete(workflow));
    }
    host = await pending;
    // The last execute may have closed this host while we waited for it: start a new one then.
    if (hosts.get(workflow) === pending) break;
  }
  host.targets.set(eventId, target);
  let detached = false;
  return {
    client: host.client,
    async detach() {
      if (detached) return;
      detached = true;
      host.targets.delete(eventId);
      if (host.targets.size > 0 || hosts.get(workflow) !== pending) return;
      hosts.delete(workflow);
      // Requests in flight are cut: for the engine this process is gone, as after a crash.
      host.server.closeAllConnections();
      await new Promise<void>((r) => host.server.close(() => r()));
    },
  };
}

/** Closes every host of this process (what `shutdown()` does for a script that is done). */
export async function closeHosts(): Promise<void> {
  const all = [...hosts.values()];
  hosts.clear();
  for (const pending of all) {
    const host = await pending.catch(() => undefined);
    if (!host) continue;
    host.server.closeAllConnections();
    await new Promise<void>((r) => host.server.close(() => r()));
  }
}
