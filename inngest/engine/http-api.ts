import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { log } from "@/server/log";
import { json } from "./db";
import type { EngineCore } from "./core";
import { ingestEvents, validateEvents } from "./intake";
import { checkpointBodySchema, EVENT_REQUEST_LIMIT_BYTES, registerBodySchema, STEP_OUTPUT_LIMIT_BYTES } from "./protocol";
import { saveApp, validateFunctions } from "./registry";
import { finishRun, lockRun, resolveStep } from "./runs";
import { identifySender, reservedNameProblem, touchSender } from "./senders";
import { bearerMatches } from "@/server/security/signing";
import { cancelRun, getRun } from "./reads";

/**
 * The HTTP API an Inngest SDK talks to (the Inngest dev server's paths): event intake,
 * out-of-band registration, checkpoints, run data, signals, plus cancel/read over REST.
 */

type Reply = { status: number; body: unknown };
const ok = (body: unknown): Reply => ({ status: 200, body });
const err = (status: number, message: string): Reply => ({ status, body: { error: message, status } });

class BodyTooLarge extends Error {}

const limitText = (limit: number) => (limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${Math.round(limit / 1024)} KiB`);

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new BodyTooLarge(`request body is over the ${limitText(limit)} limit (${limit} bytes)`);
    // A declared length over the limit is refused before any of the body is read.
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (buf: Buffer) => {
      size += buf.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(buf);
    });
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `body is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

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

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function route(core: EngineCore, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? "/", "http://engine");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? "GET";

  if (method === "GET" && (url.pathname === "/health" || url.pathname === "/")) return ok({ ok: true, engine: "wflo" });
  if (method === "POST" && parts[0] === "e" && parts.length <= 2) return intake(core, req, parts[1]);

  if (core.signingKey && !bearerMatches(req.headers.authorization, core.signingKey)) return err(401, "Unauthorized: a Bearer token derived from the signing key is required");

  if (method === "POST" && url.pathname === "/fn/register") return register(core, req);
  if (method === "POST" && parts[0] === "v1" && parts[1] === "checkpoint" && parts[3] === "async" && parts[2]) return checkpoint(core, req, parts[2]);
  if (method === "GET" && parts[0] === "v0" && parts[1] === "runs" && parts[2] && parts[3] === "batch") {
    const run = await getRun(core.sql, parts[2]);
    return run ? ok(run.events) : err(404, "run not found");
  }
  if (method === "GET" && parts[0] === "v0" && parts[1] === "runs" && parts[2] && parts[3] === "actions") {
    const run = await getRun(core.sql, parts[2]);
    if (!run) return err(404, "run not found");
    return ok(Object.fromEntries(run.steps.map((s) => [s.stepId, s.error !== null ? { error: s.error } : { data: s.data }])));
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
    return err(415, `content-type must be application/json; got ${req.headers["content-type"] ? `"${req.headers["content-type"]}"` : "none"}`);
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
    const stored = await ingestEvents(tx, core, checked.events, { idSeed: typeof seed === "string" ? seed : null, eventKeyId });
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
  if (!body.success) return err(400, `invalid registration: ${body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const problems = validateFunctions(body.data.functions);
  if (problems.length > 0) return err(400, problems.join("; "));
  const result = await core.sql.begin((tx) =>
    saveApp(tx, { appId: body.data.appName, url: body.data.url, sdk: body.data.sdk, framework: body.data.framework, functions: body.data.functions }),
  );
  core.registry.invalidate();
  core.wake();
  return ok({ ok: true, modified: result.modified });
}

/**
 * The v4 checkpoint hot path: one statement both proves the dispatch is current (the queue
 * row is still leased with this token) and stores the steps. A stale dispatch gets 409, which
 * makes the SDK stop without retrying.
 */
async function checkpoint(core: EngineCore, req: IncomingMessage, runId: string): Promise<Reply> {
  const parsed = parseJson(await readBody(req, 64 * 1024 * 1024));
  if (!parsed.ok) return err(400, parsed.message);
  const body = checkpointBodySchema.safeParse(parsed.value);
  if (!body.success) return err(400, "invalid checkpoint body");
  const [qid, token] = body.data.qi_id.split(":");
  if (!qid || !token || !/^\d+$/.test(qid)) return err(409, "unknown dispatch");
  const steps = body.data.steps.filter((s) => s.op === "StepRun");
  const rows: { step_id: string; name: string | null; data: string }[] = [];
  for (const s of steps) {
    const data = json(s.data);
    const size = Buffer.byteLength(data, "utf8");
    if (size > STEP_OUTPUT_LIMIT_BYTES) return failOversized(core, runId, s.displayName ?? s.name ?? s.id, size);
    rows.push({ step_id: s.id, name: s.displayName ?? s.name ?? null, data });
  }
  const stored = rows.length === 1 ? await storeOne(core, runId, qid, token, rows[0]!) : await storeMany(core, runId, qid, token, rows);
  return stored ? ok({}) : err(409, "stale dispatch: this run was cancelled, finished or taken over by another worker");
}

/** The common case, one step per checkpoint: a single insert guarded by the lease. */
async function storeOne(core: EngineCore, runId: string, qid: string, token: string, row: { step_id: string; name: string | null; data: string }): Promise<boolean> {
  const inserted = await core.sql`insert into engine_steps (run_id, step_id, name, op, data)
    select ${runId}, ${row.step_id}, ${row.name}, 'StepRun', ${row.data}::jsonb
    where exists (select 1 from engine_queue where id = ${qid} and lease_token = ${token} and run_id = ${runId})
    on conflict (run_id, step_id) do nothing returning id`;
  if (inserted.length > 0) return true;
  // Nothing inserted: either a duplicate (fine) or the lease is gone (stale dispatch).
  const lease = await core.sql`select 1 from engine_queue where id = ${qid} and lease_token = ${token} and run_id = ${runId}`;
  return lease.length > 0;
}

async function storeMany(core: EngineCore, runId: string, qid: string, token: string, rows: { step_id: string; name: string | null; data: string }[]): Promise<boolean> {
  const payload = `[${rows.map((r) => `{"step_id":${JSON.stringify(r.step_id)},"name":${JSON.stringify(r.name)},"data":${r.data}}`).join(",")}]`;
  const [res] = await core.sql<{ ok: boolean }[]>`
    with lease as (select 1 from engine_queue where id = ${qid} and lease_token = ${token} and run_id = ${runId}),
    ins as (
      insert into engine_steps (run_id, step_id, name, op, data)
      select ${runId}, s.step_id, s.name, 'StepRun', s.data
      from jsonb_to_recordset(${payload}::jsonb) as s(step_id text, name text, data jsonb)
      where exists (select 1 from lease)
      on conflict (run_id, step_id) do nothing returning 1)
    select exists (select 1 from lease) as ok, (select count(*) from ins) as n`;
  return res?.ok === true;
}

async function failOversized(core: EngineCore, runId: string, step: string, size: number): Promise<Reply> {
  await core.sql.begin(async (tx) => {
    const run = await lockRun(tx, runId);
    if (run?.status === "running") {
      await finishRun(tx, core, run, { status: "failed", error: { name: "StepOutputTooLarge", message: `step "${step}" returned ${size} bytes; the limit is 4 MiB` } });
    }
  });
  return err(409, "step output over the 4 MiB limit; the run has failed");
}

async function signal(core: EngineCore, req: IncomingMessage): Promise<Reply> {
  const parsed = parseJson(await readBody(req, EVENT_REQUEST_LIMIT_BYTES));
  if (!parsed.ok) return err(400, parsed.message);
  const body = parsed.value as { signal?: unknown; data?: unknown };
  if (typeof body.signal !== "string" || body.signal.length === 0) return err(400, "signal must be a non-empty string");
  const name = body.signal;
  const runId = await core.sql.begin(async (tx) => {
    const [wait] = await tx<{ run_id: string; step_id: string }[]>`delete from engine_waits where kind = 'signal' and signal = ${name} returning run_id, step_id`;
    if (!wait) return null;
    const run = await lockRun(tx, wait.run_id);
    if (run?.status !== "running") return null;
    await tx`delete from engine_queue where run_id = ${run.id} and step_id = ${wait.step_id} and kind = 'wait'`;
    await resolveStep(tx, core, run, wait.step_id, "WaitForSignal", { data: { signal: name, data: body.data ?? null } });
    return run.id;
  });
  core.wake();
  return runId ? ok({ data: { run_id: runId } }) : err(404, `no run is waiting for signal "${name}"`);
}
