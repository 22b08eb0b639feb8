import { createServer, type IncomingMessage, type Server } from "node:http";
import { log } from "@/server/log";
import { describeZodIssues } from "@/server/zod-issues";
import type { EngineCore } from "./core";
import { ingestEvents, validateEvents } from "./intake";
import { EVENT_REQUEST_LIMIT_BYTES, registerBodySchema } from "./protocol";
import { saveApp, validateFunctions } from "./registry";
import { lockRun, resolveStep } from "./runs";
import { identifySender, reservedNameProblem, touchSender } from "./senders";
import { bearerMatches } from "@/server/security/signing";
import { cancelRun, getRun } from "./reads";
import { checkpoint } from "./checkpoint-api";
import { BodyTooLarge, err, ok, parseJson, readBody, type Reply, send } from "./http-reply";

/**
 * The HTTP API an Inngest SDK talks to (the Inngest dev server's paths): event intake,
 * out-of-band registration, checkpoints, run data, signals, plus cancel/read over REST.
 */

export function createHttpApi(core: EngineCore): Server {
  return createServer((req, res) => {
    route(core, req)
      .then((reply) => send(res, reply))
      .catch((e: unknown) => {
        if (e instanceof BodyTooLarge) {
          // The rest of the body is never read, so this connection can't be reused.
          res.setHeader("connection", "close");
          return send(res, err(413, e.message));
        }
        // The intake's path holds an event key: never log it.
        log.error({ err: e, url: req.url?.replace(/^\/e\/[^/?#]+/, "/e/<event key>") }, "engine: API request failed");
        send(res, err(500, "internal error"));
      });
  });
}

async function route(core: EngineCore, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? "/", "http://engine");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? "GET";

  if (method === "GET" && (url.pathname === "/health" || url.pathname === "/")) return ok({ ok: true, engine: "wflo" });
  if (method === "POST" && parts[0] === "e" && parts.length <= 2) return intake(core, req, parts[1]);

  if (core.signingKey && !bearerMatches(req.headers.authorization, core.signingKey))
    return err(401, "Unauthorized: a Bearer token derived from the signing key is required");

  if (method === "POST" && url.pathname === "/fn/register") return register(core, req);
  if (method === "POST" && parts[0] === "v1" && parts[1] === "checkpoint" && parts[3] === "async" && parts[2])
    return checkpoint(core, req, parts[2]);
  if (method === "GET" && parts[0] === "v0" && parts[1] === "runs" && parts[2] && parts[3] === "batch") {
    const run = await getRun(core.sql, parts[2]);
    return run ? ok(run.events) : err(404, "run not found");
  }
  if (method === "GET" && parts[0] === "v0" && parts[1] === "runs" && parts[2] && parts[3] === "actions") {
    const run = await getRun(core.sql, parts[2]);
    if (!run) return err(404, "run not found");
    return ok(
      Object.fromEntries(run.steps.map((s) => [s.stepId, s.error !== null ? { error: s.error } : { data: s.data }])),
    );
  }
  if (method === "POST" && url.pathname === "/v1/signals") return signal(core, req);
  if (parts[0] === "v1" && parts[1] === "runs" && parts[2] && parts.length === 3) {
    if (method === "DELETE") {
      const cancelled = await cancelRun(core, parts[2], "cancelled through the API");
      const run = await getRun(core.sql, parts[2]);
      if (!run) return err(404, "run not found");
      return ok({ data: { run_id: run.id, status: run.status, cancelled } });
    }
    if (method === "GET") {
      const run = await getRun(core.sql, parts[2]);
      return run ? ok({ data: run }) : err(404, "run not found");
    }
  }
  if (method === "GET" && parts[0] === "v1" && parts[1] === "events" && parts[2] && parts[3] === "runs") {
    const rows = await core.sql<{ id: string; status: string; function_id: string }[]>`
      select id, status, function_id from engine_runs where event->>'id' = ${parts[2]} order by id`;
    return ok({ data: rows.map((r) => ({ run_id: r.id, status: r.status, function_id: r.function_id })) });
  }
  return err(404, `no route for ${method} ${url.pathname}`);
}

/** The media type of a request, without parameters ("application/json; charset=utf-8" -> "application/json"). */
const mediaType = (req: IncomingMessage) => req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();

/**
 * `POST /e/:key`. In this order, each refusal before anything is stored: the key (401: none,
 * unknown or revoked), the content type (415: only application/json, so a web page cannot post
 * a "simple" cross-origin request), the size (413), the events (400, text included), then the
 * names the sender may not send (403).
 */
async function intake(core: EngineCore, req: IncomingMessage, key: string | undefined): Promise<Reply> {
  const who = await identifySender(core.sql, core.internalEventKey, key);
  if (!who.ok) return err(401, who.message);
  if (mediaType(req) !== "application/json") {
    return err(
      415,
      `content-type must be application/json; got ${req.headers["content-type"] ? `"${req.headers["content-type"]}"` : "none"}`,
    );
  }
  const parsed = parseJson(await readBody(req, EVENT_REQUEST_LIMIT_BYTES));
  if (!parsed.ok) return err(400, parsed.message);
  const checked = validateEvents(parsed.value);
  if (!checked.ok) return err(400, `invalid event payload: ${checked.errors.join("; ")}`);
  const where = (i: number) => (Array.isArray(parsed.value) ? `event[${i}]` : "event");
  const refused = checked.events.flatMap((e, i) => {
    const problem = reservedNameProblem(e.name, who.sender);
    return problem ? [`${where(i)}.name: ${problem}`] : [];
  });
  if (refused.length > 0) return err(403, `forbidden event names: ${refused.join("; ")}`);
  const seed = req.headers["x-inngest-event-id-seed"];
  const eventKeyId = who.sender.kind === "outside" ? who.sender.keyId : null;
  const ids = await core.sql.begin(async (tx) => {
    const stored = await ingestEvents(tx, core, checked.events, {
      idSeed: typeof seed === "string" ? seed : null,
      eventKeyId,
    });
    await touchSender(tx, who.sender);
    return stored;
  });
  core.wake();
  return ok({ ids, status: 200 });
}

async function register(core: EngineCore, req: IncomingMessage): Promise<Reply> {
  const parsed = parseJson(await readBody(req, 16 * 1024 * 1024));
  if (!parsed.ok) return err(400, parsed.message);
  const body = registerBodySchema.safeParse(parsed.value);
  if (!body.success) return err(400, `invalid registration: ${describeZodIssues(body.error).message}`);
  const problems = validateFunctions(body.data.functions);
  if (problems.length > 0) return err(400, problems.join("; "));
  const result = await core.sql.begin((tx) =>
    saveApp(tx, {
      appId: body.data.appName,
      url: body.data.url,
      sdk: body.data.sdk,
      framework: body.data.framework,
      functions: body.data.functions,
    }),
  );
  core.registry.invalidate();
  core.wake();
  return ok({ ok: true, modified: result.modified });
}

async function signal(core: EngineCore, req: IncomingMessage): Promise<Reply> {
  const parsed = parseJson(await readBody(req, EVENT_REQUEST_LIMIT_BYTES));
  if (!parsed.ok) return err(400, parsed.message);
  const body = parsed.value as { signal?: unknown; data?: unknown };
  if (typeof body.signal !== "string" || body.signal.length === 0) return err(400, "signal must be a non-empty string");
  const name = body.signal;
  const runId = await core.sql.begin(async (tx) => {
    const [wait] = await tx<
      { run_id: string; step_id: string }[]
    >`delete from engine_waits where kind = 'signal' and signal = ${name} returning run_id, step_id`;
    if (!wait) return null;
    const run = await lockRun(tx, wait.run_id);
    if (run?.status !== "running") return null;
    await tx`delete from engine_queue where run_id = ${run.id} and step_id = ${wait.step_id} and kind = 'wait'`;
    await resolveStep(tx, core, run, wait.step_id, "WaitForSignal", {
      data: { signal: name, data: body.data ?? null },
    });
    return run.id;
  });
  core.wake();
  return runId ? ok({ data: { run_id: runId } }) : err(404, `no run is waiting for signal "${name}"`);
}
