import { Cron } from "croner";
import { checkExpression } from "./expressions";
import { json, type Q } from "./db";
import { functionConfigSchema, runtimeUrlOf, type FunctionConfig } from "./protocol";
import { nextCronTime } from "./cron";

export type FunctionRecord = { id: string; appId: string; name: string; url: string; config: FunctionConfig };

/**
 * Synced functions, cached per process. Other processes may sync too, so the cache is
 * refreshed when older than `ttlMs`; a local sync refreshes it at once.
 */
export class FunctionRegistry {
  private byId = new Map<string, FunctionRecord>();
  private loadedAt = 0;

  constructor(private readonly ttlMs = 1_000) {}

  invalidate(): void {
    this.loadedAt = 0;
  }

  /**
   * `q` is the caller's connection or transaction: loading through it (never through the
   * pool) means a transaction holding a connection can't deadlock waiting for another.
   */
  async all(q: Q): Promise<FunctionRecord[]> {
    await this.fresh(q);
    return [...this.byId.values()];
  }

  async get(id: string, q: Q): Promise<FunctionRecord | undefined> {
    await this.fresh(q);
    const hit = this.byId.get(id);
    if (hit) return hit;
    // A function synced by another process a moment ago: look once more before giving up.
    this.invalidate();
    await this.fresh(q);
    return this.byId.get(id);
  }

  private async fresh(q: Q): Promise<void> {
    if (Date.now() - this.loadedAt < this.ttlMs) return;
    await this.load(q);
  }

  private async load(q: Q): Promise<void> {
    const rows = await q<{ id: string; app_id: string; name: string; url: string; config: unknown }[]>`
      select id, app_id, name, url, config from engine_functions where removed_at is null`;
    const next = new Map<string, FunctionRecord>();
    for (const r of rows) {
      const parsed = functionConfigSchema.safeParse(r.config);
      if (parsed.success) next.set(r.id, { id: r.id, appId: r.app_id, name: r.name, url: r.url, config: parsed.data });
    }
    this.byId = next;
    this.loadedAt = Date.now();
  }
}

export type AppSync = {
  appId: string;
  url: string;
  sdk?: string;
  framework?: string | null;
  functions: FunctionConfig[];
};

/** Problems a sync must refuse, named so the person syncing can fix them. */
export function validateFunctions(functions: FunctionConfig[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const f of functions) {
    if (seen.has(f.id)) problems.push(`function "${f.id}" is listed twice`);
    seen.add(f.id);
    try {
      runtimeUrlOf(f);
    } catch {
      problems.push(`function "${f.id}" has no step runtime url`);
    }
    const exprs: [string, string | undefined][] = [
      ["idempotency", f.idempotency],
      ["rateLimit.key", f.rateLimit?.key],
      ["throttle.key", f.throttle?.key],
      ["debounce.key", f.debounce?.key],
      ["batchEvents.key", f.batchEvents?.key],
      ["batchEvents.if", f.batchEvents?.if],
      ["priority.run", f.priority?.run],
      ...f.triggers.map((t, i): [string, string | undefined] => [
        `triggers[${i}].expression`,
        "expression" in t ? t.expression : undefined,
      ]),
      ...(f.cancel ?? []).map((c, i): [string, string | undefined] => [`cancel[${i}].if`, c.if]),
    ];
    for (const [where, expr] of exprs) {
      if (!expr) continue;
      try {
        checkExpression(expr);
      } catch (e) {
        problems.push(
          `function "${f.id}" ${where}: invalid expression ${JSON.stringify(expr)}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
        );
      }
    }
    for (const t of f.triggers) {
      if (!("cron" in t)) continue;
      try {
        new Cron(stripTz(t.cron).pattern, { paused: true });
      } catch (e) {
        problems.push(
          `function "${f.id}": invalid cron ${JSON.stringify(t.cron)}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }
  return problems;
}

export function stripTz(cron: string): { pattern: string; timezone?: string } {
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(cron.trim());
  return m ? { pattern: m[2] ?? "", timezone: m[1] } : { pattern: cron.trim() };
}

/** Writes an app's functions, retires the ones it no longer lists, and (re)schedules its crons. */
export async function saveApp(tx: Q, app: AppSync): Promise<{ modified: boolean }> {
  await tx`insert into engine_apps (id, url, sdk, framework, synced_at)
    values (${app.appId}, ${app.url}, ${app.sdk ?? null}, ${app.framework ?? null}, now())
    on conflict (id) do update set url = excluded.url, sdk = excluded.sdk, framework = excluded.framework, synced_at = now()`;
  const ids = app.functions.map((f) => f.id);
  for (const f of app.functions) {
    await tx`insert into engine_functions (id, app_id, name, url, config, removed_at, updated_at)
      values (${f.id}, ${app.appId}, ${f.name ?? f.id}, ${runtimeUrlOf(f)}, ${json(f)}::jsonb, null, now())
      on conflict (id) do update set app_id = excluded.app_id, name = excluded.name, url = excluded.url,
        config = excluded.config, removed_at = null, updated_at = now()`;
  }
  await tx`update engine_functions set removed_at = now()
    where app_id = ${app.appId} and removed_at is null and not (id = any(${ids}::text[]))`;
  // Crons: one queue row per (function, schedule); drop the ones no longer declared.
  const crons = app.functions.flatMap((f) =>
    f.triggers.flatMap((t) => ("cron" in t ? [{ fn: f.id, cron: t.cron }] : [])),
  );
  await tx`delete from engine_queue q where q.kind = 'cron' and q.lease_token is null
    and q.function_id in (select id from engine_functions where app_id = ${app.appId})
    and not exists (select 1 from jsonb_to_recordset(${json(crons)}::jsonb) c(fn text, cron text) where c.fn = q.function_id and c.cron = q.flow_key)`;
  for (const c of crons) {
    const due = nextCronTime(c.cron, new Date());
    if (!due) continue;
    await tx`insert into engine_queue (function_id, kind, flow_key, due_at)
      values (${c.fn}, 'cron', ${c.cron}, ${due.toISOString()}::timestamptz)
      on conflict (function_id, kind, flow_key) where kind in ('debounce', 'batch', 'cron') do nothing`;
  }
  return { modified: true };
}
