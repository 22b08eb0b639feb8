import type { ListRunsQuery, ReplayReport, WfloClient } from "../sdk/client";
import { saveConfig } from "./config";
import { CliError, EXIT } from "./errors";
import { duration, spanTree, table, usd } from "./format";

const say = (line: string) => process.stdout.write(`${line}\n`);
const json = (v: unknown) => say(JSON.stringify(v, null, 2));
const when = (iso: string | null) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");
const idArg = (what: string, v: string | undefined) => {
  if (!v) throw new CliError(EXIT.usage, `missing the ${what} id (see wflo help)`);
  return v;
};

export async function runsList(
  c: WfloClient,
  o: { workflow?: string; status?: string; limit?: string; json: boolean },
) {
  // The server checks status and limit and names what is wrong; the CLI passes them through as typed.
  const page = await c.listRuns({
    workflowId: o.workflow,
    status: o.status as ListRunsQuery["status"],
    limit: o.limit === undefined ? undefined : Number(o.limit),
  });
  if (o.json) return json(page);
  if (!page.items.length) return say("no runs");
  say(
    table(
      ["RUN", "WORKFLOW", "STATUS", "STARTED", "TRIGGERED BY"],
      page.items.map((r) => [
        r.id,
        r.workflowId,
        r.status,
        when(r.startedAt),
        r.triggeredByLabel ?? r.triggeredByEmail ?? "-",
      ]),
    ),
  );
}

export async function runsShow(c: WfloClient, id: string | undefined, o: { json: boolean }) {
  const d = await c.getRun(idArg("run", id));
  if (o.json) return json(d);
  say(`run ${d.run.id}  ${d.run.workflowName} (${d.run.workflowId})`);
  say(
    `status ${d.status}${d.error?.message ? `: ${d.error.message}` : ""}   started ${when(d.run.startedAt)}   ended ${when(d.run.endedAt)}`,
  );
  say(
    `cost ${usd(d.cost.totalNano)} in ${d.cost.calls} LLM call(s)${d.cost.budgetNano ? ` / budget ${usd(d.cost.budgetNano)}, remaining ${usd(d.cost.remainingNano)}` : ""}`,
  );
  if (d.steps.length) {
    say("");
    say(
      table(
        ["STEP", "KIND", "STATUS", "TOOK"],
        d.steps.map((s) => [
          s.name,
          s.kind,
          s.status,
          duration(s.startedAt && s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : null),
        ]),
      ),
    );
  }
  if (d.status === "completed") say(`\nresult: ${JSON.stringify(d.result, null, 2)}`);
}

export async function runsTrace(c: WfloClient, id: string | undefined, o: { json: boolean }) {
  const t = await c.getTrace(idArg("run", id));
  if (o.json) return json(t);
  say(spanTree(t.spans));
  say(
    `\n${t.summary.spans} spans, ${t.summary.llmCalls} LLM call(s), ${usd(t.summary.costNano)}, ${duration(t.summary.durationMs)} (${t.status})`,
  );
}

export async function runsCancel(c: WfloClient, id: string | undefined, o: { json: boolean }) {
  const r = await c.cancelRun(idArg("run", id));
  if (o.json) return json(r);
  say(`run ${r.runId} cancelled`);
}

export async function runsRerun(c: WfloClient, id: string | undefined, o: { budget?: string; json: boolean }) {
  const r = await c.rerun(idArg("run", id), o.budget !== undefined ? { budgetUsd: o.budget } : {});
  const runId = r.runId ?? (await c.runForEvent(r.eventId));
  if (o.json) return json({ ...r, runId });
  say(`started run ${runId} (${r.workflowId}), a re-run of ${r.rerunOf}; follow it with: wflo runs show ${runId}`);
}

/** The divergence report in words: where today's code leaves the recording, if it does. */
export function describeReplay(r: ReplayReport): string[] {
  const lines = [
    `replayed run ${r.runId} (${r.workflowId}) against its records: ${r.stepsReplayed} step(s), nothing executed or billed`,
  ];
  lines.push(
    r.fingerprint.changed
      ? `definition changed since the run (${r.fingerprint.recorded} -> ${r.fingerprint.current})`
      : `definition ${r.fingerprint.recorded ? "unchanged" : "not recorded for this run"} (${r.fingerprint.current})`,
  );
  if (r.divergence) {
    const d = r.divergence;
    lines.push(
      `DIVERGES at step ${d.at + 1}: expected ${d.expected === null ? "nothing" : `"${d.expected}"`}, got ${d.got === null ? "nothing" : `"${d.got}"`}`,
    );
    lines.push(`  ${d.reason}`);
  } else lines.push("no divergence: today's code asks for the recorded steps in the recorded order");
  lines.push(
    `output: ${r.outputMatches === null ? "not compared (the run did not complete, or the replay stopped)" : r.outputMatches ? "matches the recorded result" : "DIFFERS from the recorded result"}`,
  );
  return lines;
}

export async function runsReplay(c: WfloClient, id: string | undefined, o: { json: boolean }) {
  const r = await c.replay(idArg("run", id));
  if (o.json) json(r);
  else describeReplay(r).forEach(say);
}

export async function approvalsList(c: WfloClient, o: { all: boolean; run?: string; json: boolean }) {
  const r = await c.listApprovals({ status: o.all ? "all" : "pending", runId: o.run });
  if (o.json) return json(r);
  if (!r.approvals.length) return say(o.all ? "no approvals" : "no pending approvals");
  say(
    table(
      ["APPROVAL", "STATUS", "RISK", "RUN", "ACTION"],
      r.approvals.map((a) => [a.id, a.status, a.risk, a.runId ?? "-", a.action]),
    ),
  );
}

/** The approval prompt: what is asked, how risky, by when, and the data it would act on. */
export async function approvalsShow(c: WfloClient, id: string | undefined, o: { json: boolean }) {
  const a = await c.getApprovalPrompt(idArg("approval or run", id));
  if (o.json) return json(a);
  say(`approval ${a.id}  ${a.status}${a.runId ? `  run ${a.runId}` : ""}  (${a.workflowId}, gate ${a.gate})`);
  say(`asks: ${a.action}`);
  if (a.summary) say(a.summary);
  say(
    `risk ${a.risk}, decided by ${a.deciderRole} or above, deadline ${when(a.deadlineAt)}${a.allowEdit ? ", the payload may be edited" : ""}`,
  );
  if (Object.keys(a.payload).length) say(`payload: ${JSON.stringify(a.payload, null, 2)}`);
  if (Object.keys(a.details).length) say(`details: ${JSON.stringify(a.details, null, 2)}`);
  if (a.status === "pending") say(`approve: wflo approvals approve ${a.id}   reject: wflo approvals reject ${a.id}`);
}

export async function approvalsDecide(
  c: WfloClient,
  decision: "approve" | "reject",
  id: string | undefined,
  o: { comment?: string; json: boolean },
) {
  const r = await c.decideApproval(idArg("approval", id), { decision, ...(o.comment && { comment: o.comment }) });
  if (o.json) return json(r);
  say(
    r.final
      ? `approval ${r.approvalId} ${r.status}`
      : `recorded: ${r.approvals} of ${r.approvalsNeeded} approvals for ${r.approvalId}`,
  );
}

export async function budgetsList(c: WfloClient, o: { json: boolean }) {
  const r = await c.listBudgets();
  if (o.json) return json(r);
  if (!r.budgets.length) return say("no budgets");
  say(
    table(
      ["BUDGET", "SCOPE", "PERIOD", "LIMIT", "SPENT", "RESERVED", "USED"],
      r.budgets.map((b) => [
        b.name,
        b.scope + (b.scopeValue ? `:${b.scopeValue}` : ""),
        b.period,
        usd(b.limitNano),
        usd(b.current?.spentNano ?? "0"),
        usd(b.current?.reservedNano ?? "0"),
        `${Math.round((b.current?.utilization ?? 0) * 100)}%${b.enabled ? "" : " (off)"}`,
      ]),
    ),
  );
}

/** Checks the URL and key with a real call before writing them. */
export async function login(makeClient: (url: string, key: string) => WfloClient, o: { url?: string; key?: string }) {
  const url = (o.url ?? process.env.WFLO_URL)?.replace(/\/+$/, "");
  const key = o.key ?? process.env.WFLO_API_KEY;
  if (!url || !key)
    throw new CliError(
      EXIT.usage,
      "wflo login needs --url <control panel URL> and --key <API key> (or WFLO_URL / WFLO_API_KEY)",
    );
  if (!/^https?:\/\//.test(url))
    throw new CliError(EXIT.usage, `--url must start with http:// or https:// (got ${url})`);
  await makeClient(url, key).listBudgets();
  say(`saved ${url} and the key to ${saveConfig({ url, apiKey: key })}`);
}
