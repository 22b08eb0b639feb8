import type { Client } from "./client";
import { saveConfig } from "./config";
import { CliError, EXIT } from "./errors";
import { duration, spanTree, table, usd } from "./format";
import type { Approval, Budget, RunDetail, RunSummary, Trace } from "./types";

const say = (line: string) => process.stdout.write(line + "\n");
const json = (v: unknown) => say(JSON.stringify(v, null, 2));
const when = (iso: string | null) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");
const idArg = (what: string, v: string | undefined) => {
  if (!v) throw new CliError(EXIT.usage, `missing the ${what} id (see wflo help)`);
  return encodeURIComponent(v);
};

export async function runsList(c: Client, o: { workflow?: string; status?: string; limit?: string; json: boolean }) {
  const page = await c.get<{ items: RunSummary[]; nextCursor?: string }>("/runs", { workflowId: o.workflow, status: o.status, limit: o.limit });
  if (o.json) return json(page);
  if (!page.items.length) return say("no runs");
  say(table(["RUN", "WORKFLOW", "STATUS", "STARTED", "TRIGGERED BY"], page.items.map((r) => [r.id, r.workflowId, r.status, when(r.startedAt), r.triggeredByEmail ?? "-"])));
}

export async function runsShow(c: Client, id: string | undefined, o: { json: boolean }) {
  const d = await c.get<RunDetail>(`/runs/${idArg("run", id)}`);
  if (o.json) return json(d);
  say(`run ${d.run.id}  ${d.run.workflowName} (${d.run.workflowId})`);
  say(`status ${d.status}${d.error?.message ? `: ${d.error.message}` : ""}   started ${when(d.run.startedAt)}   ended ${when(d.run.endedAt)}`);
  say(`cost ${usd(d.cost.totalNano)} in ${d.cost.calls} LLM call(s)${d.cost.budgetNano ? ` / budget ${usd(d.cost.budgetNano)}, remaining ${usd(d.cost.remainingNano)}` : ""}`);
  if (d.steps.length) {
    say("");
    say(table(["STEP", "KIND", "STATUS", "TOOK"], d.steps.map((s) => [s.name, s.kind, s.status, duration(s.startedAt && s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : null)])));
  }
  if (d.status === "completed") say(`\nresult: ${JSON.stringify(d.result, null, 2)}`);
}

export async function runsTrace(c: Client, id: string | undefined, o: { json: boolean }) {
  const t = await c.get<Trace>(`/runs/${idArg("run", id)}/trace`);
  if (o.json) return json(t);
  say(spanTree(t.spans));
  say(`\n${t.summary.spans} spans, ${t.summary.llmCalls} LLM call(s), ${usd(t.summary.costNano)}, ${duration(t.summary.durationMs)} (${t.status})`);
}

export async function runsCancel(c: Client, id: string | undefined, o: { json: boolean }) {
  const r = await c.post<{ runId: string; status: string }>(`/runs/${idArg("run", id)}/cancel`, {});
  if (o.json) return json(r);
  say(`run ${r.runId} cancelled`);
}

export async function approvalsList(c: Client, o: { all: boolean; run?: string; json: boolean }) {
  const r = await c.get<{ approvals: Approval[] }>("/approvals", { status: o.all ? "all" : "pending", runId: o.run });
  if (o.json) return json(r);
  if (!r.approvals.length) return say(o.all ? "no approvals" : "no pending approvals");
  say(table(["APPROVAL", "STATUS", "RISK", "RUN", "ACTION"], r.approvals.map((a) => [a.id, a.status, a.risk, a.runId, a.action])));
}

export async function approvalsDecide(c: Client, decision: "approve" | "reject", id: string | undefined, o: { comment?: string; json: boolean }) {
  const r = await c.post<{ approvalId: string; status: string; approvals: number; approvalsNeeded: number; final: boolean }>(`/approvals/${idArg("approval", id)}/decision`, { decision, ...(o.comment && { comment: o.comment }) });
  if (o.json) return json(r);
  say(r.final ? `approval ${r.approvalId} ${r.status}` : `recorded: ${r.approvals} of ${r.approvalsNeeded} approvals for ${r.approvalId}`);
}

export async function budgetsList(c: Client, o: { json: boolean }) {
  const r = await c.get<{ budgets: Budget[] }>("/budgets");
  if (o.json) return json(r);
  if (!r.budgets.length) return say("no budgets");
  say(
    table(
      ["BUDGET", "SCOPE", "PERIOD", "LIMIT", "SPENT", "RESERVED", "USED"],
      r.budgets.map((b) => [b.name, b.scope + (b.scopeValue ? `:${b.scopeValue}` : ""), b.period, usd(b.limitNano), usd(b.current?.spentNano ?? "0"), usd(b.current?.reservedNano ?? "0"), `${Math.round((b.current?.utilization ?? 0) * 100)}%${b.enabled ? "" : " (off)"}`]),
    ),
  );
}

/** Checks the URL and key with a real call before writing them. */
export async function login(makeClient: (url: string, key: string) => Client, o: { url?: string; key?: string }) {
  const url = (o.url ?? process.env.WFLO_URL)?.replace(/\/+$/, "");
  const key = o.key ?? process.env.WFLO_API_KEY;
  if (!url || !key) throw new CliError(EXIT.usage, "wflo login needs --url <control panel URL> and --key <API key> (or WFLO_URL / WFLO_API_KEY)");
  await makeClient(url, key).get("/budgets");
  say(`saved ${url} and the key to ${saveConfig({ url, apiKey: key })}`);
}
