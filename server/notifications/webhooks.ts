/**
 * Alert webhooks: WFLO_ALERT_WEBHOOK_URLS (comma-separated). A Slack incoming webhook
 * (hooks.slack.com) or WFLO_ALERT_WEBHOOK_FORMAT=slack gets Slack's `{ text }`; any other
 * URL gets wflo's generic JSON. Links point back into the panel at NEXTAUTH_URL.
 */
import { env, type Env } from "@/server/env";

export type WebhookFormat = "generic" | "slack";
/** The settings these read; tests pass their own. */
type WebhookConfig = Partial<Pick<Env, "WFLO_ALERT_WEBHOOK_URLS" | "WFLO_ALERT_WEBHOOK_FORMAT" | "NEXTAUTH_URL">>;
export type WebhookTarget = { url: string; format: WebhookFormat };

export function webhookTargets(config: WebhookConfig = env): WebhookTarget[] {
  const forced = config.WFLO_ALERT_WEBHOOK_FORMAT?.trim().toLowerCase();
  return (config.WFLO_ALERT_WEBHOOK_URLS ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter((u) => /^https?:\/\//i.test(u))
    .map(
      (url): WebhookTarget => ({
        url,
        format:
          forced === "slack" || (forced !== "generic" && /^https:\/\/hooks\.slack\.com\//i.test(url))
            ? "slack"
            : "generic",
      }),
    );
}

export type AlertPayload = {
  id: number;
  kind: string;
  severity: string;
  title: string;
  message: string;
  runId: string | null;
  workflowId: string | null;
  budgetId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
};

export function panelUrl(path: string, config: WebhookConfig = env): string | null {
  const base = config.NEXTAUTH_URL?.trim().replace(/\/+$/, "");
  return base ? `${base}${path}` : null;
}

/** Where a person should look: the approval for approval events, the run when there is one, else the budgets page. */
export function alertLink(
  a: Pick<AlertPayload, "runId" | "kind"> & { details?: Record<string, unknown> },
  config: WebhookConfig = env,
): string | null {
  if (a.kind.startsWith("approval_") && typeof a.details?.approvalId === "string")
    return panelUrl(`/approvals/${encodeURIComponent(a.details.approvalId)}`, config);
  return panelUrl(
    a.runId ? `/runs/${encodeURIComponent(a.runId)}` : a.kind === "budget_threshold" ? "/budgets" : "/notifications",
    config,
  );
}

export function webhookBody(a: AlertPayload, format: WebhookFormat, config: WebhookConfig = env): string {
  const link = alertLink(a, config);
  if (format === "slack") {
    const icon =
      a.severity === "critical" ? ":rotating_light:" : a.severity === "warning" ? ":warning:" : ":information_source:";
    return JSON.stringify({ text: `${icon} *${a.title}*\n${a.message}${link ? `\n<${link}|Open in wflo>` : ""}` });
  }
  return JSON.stringify({ source: "wflo", type: `governance.${a.kind}`, ...a, link });
}

/** One POST; throws with the reason on a network error, a timeout or a non-2xx answer. */
export async function postWebhook(target: WebhookTarget, body: string, timeoutMs = 10_000): Promise<void> {
  const res = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "wflo-alerts" },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(target.url).host}`);
  await res.body?.cancel();
}
