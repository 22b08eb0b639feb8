import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, DbOrTx } from "@/db/client";
import { sqlRow, sqlRows } from "@/db/rows";
import { governanceNotifications, type GovernanceNotificationRow } from "@/db/schema";
import { markBudgetAlertsDelivered, pendingBudgetAlerts } from "@/server/governance/budgets/service";
import { formatUsd } from "@/server/governance/money";
import { log } from "@/server/log";
import { insertNotification, notificationFacts } from "./service";
import { postWebhook, webhookBody, webhookTargets, type AlertPayload, type WebhookTarget } from "./webhooks";

/**
 * A small in-process dispatcher: budget threshold crossings become notifications, and
 * pending notifications are POSTed to every configured webhook with retries (exponential
 * backoff, at most MAX_ATTEMPTS). Rows are claimed with a lease, so several processes
 * never send the same alert at the same time, and a crashed sender's rows are retried.
 */
export const MAX_ATTEMPTS = 6;
const LEASE_MS = 60_000;
const backoffMs = (attempt: number) => Math.min(1_000 * 2 ** (attempt - 1), 5 * 60_000);

const severityOf = (pct: number): "critical" | "warning" | "info" =>
  pct >= 100 ? "critical" : pct >= 80 ? "warning" : "info";

/** Turns undelivered threshold crossings into notifications (once each: keyed by the alert row). */
export async function collectBudgetAlerts(
  db: Database,
  context: { runId?: string; workflowId?: string } = {},
): Promise<number> {
  return db.transaction(async (tx) => {
    const alerts = await pendingBudgetAlerts(tx);
    let created = 0;
    for (const a of alerts) {
      const window = a.counterKey.split("|")[1] ?? "";
      const inserted = await insertNotification(tx, {
        kind: "budget_threshold",
        severity: severityOf(a.thresholdPct),
        title: `Budget "${a.budgetName}" reached ${a.thresholdPct}%`,
        message: `Spent ${formatUsd(a.spentNano)} of ${formatUsd(a.limitNano)} (${a.thresholdPct}% threshold) in the window ${window}.`,
        budgetId: a.budgetId,
        runId: context.runId ?? null,
        workflowId: context.workflowId ?? null,
        details: {
          thresholdPct: a.thresholdPct,
          spentNano: a.spentNano.toString(),
          limitNano: a.limitNano.toString(),
          window,
          budgetName: a.budgetName,
        },
        dedupeKey: `budget-alert:${a.counterKey}:${a.thresholdPct}`,
      });
      if (inserted) created++;
    }
    await markBudgetAlertsDelivered(
      tx,
      alerts.map((a) => a.id),
    );
    return created;
  });
}

function payloadOf(r: GovernanceNotificationRow): AlertPayload {
  return { ...notificationFacts(r), createdAt: r.createdAt.toISOString() };
}

async function claim(db: DbOrTx, limit: number): Promise<GovernanceNotificationRow[]> {
  const rows = await sqlRows(
    db,
    sql`
    update governance_notifications set next_attempt_at = now() + (${LEASE_MS} * interval '1 millisecond')
     where id in (select id from governance_notifications
                   where delivery_status = 'pending' and next_attempt_at <= now()
                   order by id limit ${limit} for update skip locked)
     returning id`,
    z.object({ id: z.union([z.number(), z.bigint(), z.string()]) }),
  );
  if (!rows.length) return [];
  const ids = rows.map((r) => Number(r.id));
  return db
    .select()
    .from(governanceNotifications)
    .where(sql`${governanceNotifications.id} = any(${sql.param(ids)}::bigint[])`);
}

export type DeliveryReport = { delivered: number; retrying: number; failed: number };

/** Sends what is due now. Each notification goes to every target; it is delivered only when all accepted it. */
export async function deliverPendingNotifications(
  db: Database,
  targets: WebhookTarget[] = webhookTargets(),
): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retrying: 0, failed: 0 };
  for (;;) {
    const batch = await claim(db, 20);
    if (!batch.length) return report;
    for (const n of batch) {
      const errors: string[] = [];
      if (!targets.length) errors.push("no webhook configured (WFLO_ALERT_WEBHOOK_URLS)");
      for (const t of targets) {
        try {
          await postWebhook(t, webhookBody(payloadOf(n), t.format));
        } catch (e) {
          errors.push(`${new URL(t.url).host}: ${(e as Error).message}`);
        }
      }
      const attempts = n.deliveryAttempts + 1;
      if (!errors.length) {
        report.delivered++;
        await db.execute(
          sql`update governance_notifications set delivery_status = 'delivered', delivery_attempts = ${attempts}, delivered_at = now(), last_delivery_error = null where id = ${n.id}`,
        );
      } else if (attempts >= MAX_ATTEMPTS) {
        report.failed++;
        log.warn({ notification: n.id, errors }, "alert webhook delivery gave up");
        await db.execute(
          sql`update governance_notifications set delivery_status = 'failed', delivery_attempts = ${attempts}, last_delivery_error = ${errors.join("; ")} where id = ${n.id}`,
        );
      } else {
        report.retrying++;
        await db.execute(sql`
          update governance_notifications set delivery_attempts = ${attempts}, last_delivery_error = ${errors.join("; ")},
                 next_attempt_at = now() + (${backoffMs(attempts)} * interval '1 millisecond') where id = ${n.id}`);
      }
    }
  }
}

let running: Promise<void> | null = null;
let again = false;
let retryTimer: NodeJS.Timeout | null = null;

async function soonestRetry(db: Database): Promise<number | null> {
  const row = await sqlRow(
    db,
    sql`select extract(epoch from min(next_attempt_at) - now()) * 1000 as ms from governance_notifications where delivery_status = 'pending'`,
    z.object({ ms: z.union([z.string(), z.number()]).nullable() }),
  );
  return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Number(row.ms));
}

/**
 * Collects and delivers in the background; never throws into the caller (an LLM step must not
 * fail because a webhook is down). Calls while a pass runs coalesce into one more pass.
 */
export function kickAlertDispatch(db: Database, context: { runId?: string; workflowId?: string } = {}): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await collectBudgetAlerts(db, context);
        await deliverPendingNotifications(db);
      } while (again);
      const wait = await soonestRetry(db);
      if (wait !== null) {
        if (retryTimer) clearTimeout(retryTimer);
        retryTimer = setTimeout(() => void kickAlertDispatch(db), wait + 50);
        retryTimer.unref();
      }
    } catch (err) {
      log.error({ err }, "alert dispatch failed");
    } finally {
      running = null;
    }
  })();
  return running;
}
