import { randomBytes } from "node:crypto";
import type { Sql } from "./db";
import type { QueueItem } from "./claim";

/**
 * Claiming work. Rows are taken with FOR UPDATE SKIP LOCKED and leased until `lease_until`;
 * an expired lease (crashed worker) makes the row claimable again. Rows under a concurrency
 * key are claimed separately under one advisory lock, so the count of leased rows per key and
 * the new leases are decided by one process at a time.
 */
const CONCURRENCY_LOCK = 727_200;

let counter = 0;
export function newLeaseToken(workerId: string): string {
  counter += 1;
  return `${workerId}.${counter}.${randomBytes(3).toString("hex")}`;
}

const RETURNING = `q.id::text as id, q.run_id, q.function_id, q.kind, q.step_id, q.attempt, q.lease_token, q.flow_key, q.payload`;

export async function claim(sql: Sql, workerId: string, limit: number, leaseMs: number): Promise<QueueItem[]> {
  if (limit <= 0) return [];
  const token = newLeaseToken(workerId);
  const free = await sql.unsafe<QueueItem[]>(
    `with cand as (
       select id from engine_queue
       where due_at <= now() and (lease_until is null or lease_until < now()) and ck1 is null
       order by due_at - make_interval(secs => priority), id
       limit $1 for update skip locked)
     update engine_queue q set lease_token = $2, lease_until = now() + $3 * interval '1 millisecond'
     from cand where q.id = cand.id
     returning ${RETURNING}`,
    [limit, token, leaseMs],
    { prepare: true },
  );
  const room = limit - free.length;
  if (room <= 0) return free;
  const limited = await claimLimited(sql, token, room, leaseMs);
  return [...free, ...limited];
}

type Candidate = { id: string; ck1: string; cl1: number; ck2: string | null; cl2: number | null };

async function claimLimited(sql: Sql, token: string, room: number, leaseMs: number): Promise<QueueItem[]> {
  // Cheap check first: most polls find no concurrency-limited work.
  const any = await sql`select 1 from engine_queue where ck1 is not null and due_at <= now()
    and (lease_until is null or lease_until < now()) limit 1`;
  if (any.length === 0) return [];
  return sql.begin(async (tx): Promise<QueueItem[]> => {
    await tx`select pg_advisory_xact_lock(${CONCURRENCY_LOCK})`;
    const cands = await tx<Candidate[]>`select id::text as id, ck1, cl1, ck2, cl2 from engine_queue
      where ck1 is not null and due_at <= now() and (lease_until is null or lease_until < now())
      order by due_at - make_interval(secs => priority), id limit 200 for update skip locked`;
    if (cands.length === 0) return [];
    const keys = [...new Set(cands.flatMap((c) => (c.ck2 ? [c.ck1, c.ck2] : [c.ck1])))];
    const active = await tx<{ k: string; n: number }[]>`select k, count(*)::int as n from (
        select ck1 as k from engine_queue where ck1 = any(${keys}::text[]) and lease_until >= now()
        union all select ck2 as k from engine_queue where ck2 = any(${keys}::text[]) and lease_until >= now()) s group by k`;
    const used = new Map(active.map((a) => [a.k, a.n]));
    const take: string[] = [];
    for (const c of cands) {
      if (take.length >= room) break;
      const ok1 = (used.get(c.ck1) ?? 0) < c.cl1;
      const ok2 = !c.ck2 || (used.get(c.ck2) ?? 0) < (c.cl2 ?? Number.POSITIVE_INFINITY);
      if (!ok1 || !ok2) continue;
      used.set(c.ck1, (used.get(c.ck1) ?? 0) + 1);
      if (c.ck2) used.set(c.ck2, (used.get(c.ck2) ?? 0) + 1);
      take.push(c.id);
    }
    if (take.length === 0) return [];
    const rows = await tx.unsafe<QueueItem[]>(
      `update engine_queue q set lease_token = $1, lease_until = now() + $2 * interval '1 millisecond'
       where q.id = any($3::int8[]) returning ${RETURNING}`,
      [token, leaseMs, take],
    );
    return [...rows];
  });
}

/** Keeps the leases of in-flight items alive. */
export async function heartbeat(sql: Sql, items: QueueItem[], leaseMs: number): Promise<void> {
  if (items.length === 0) return;
  await sql`update engine_queue q set lease_until = now() + ${leaseMs} * interval '1 millisecond'
    from unnest(${items.map((i) => i.id)}::int8[], ${items.map((i) => i.lease_token)}::text[]) as t(id, tok)
    where q.id = t.id and q.lease_token = t.tok`;
}

/** Gives an item back after an unexpected error so it's retried soon, by any worker. */
export async function releaseForRetry(sql: Sql, item: QueueItem, delayMs: number): Promise<void> {
  await sql`update engine_queue set lease_token = null, lease_until = null, due_at = now() + ${delayMs} * interval '1 millisecond'
    where id = ${item.id} and lease_token = ${item.lease_token}`;
}
