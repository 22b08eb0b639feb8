import type { RunDetail, WfloClient } from "../sdk/client";
import { EXIT, type ExitCode } from "./errors";
import { duration, usd } from "./format";

export type RunOptions = {
  workflow: string;
  input: Record<string, unknown>;
  budget?: string;
  requireApproval: boolean;
  detach: boolean;
  json: boolean;
  pollMs: number;
};

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stdout.write(`${line}\n`);

/** A failed run's exit code: 5 when a budget stopped it, 1 otherwise. */
export function exitForRun(d: RunDetail): ExitCode {
  if (d.status === "completed") return EXIT.ok;
  const e = d.error;
  if (d.cost.exceeded || e?.name === "BudgetExceededError" || /budget exceeded/i.test(e?.message ?? ""))
    return EXIT.budgetExceeded;
  return EXIT.runFailed;
}

/**
 * `wflo run`: triggers, then (unless --detach) follows the run until it ends: each step once
 * it finishes, each approval the run waits for with the command that decides it, then the
 * result and what it cost. Ctrl-C leaves the run going on the server (exit 130).
 */
export async function runWorkflow(client: WfloClient, o: RunOptions): Promise<ExitCode> {
  let runId: string | undefined;
  // Ctrl-C (also while the trigger is in flight) stops following, never the run: exit 130.
  process.once("SIGINT", () => {
    process.stderr.write(
      runId
        ? `\nwflo: interrupted; run ${runId} goes on on the server (stop it with: wflo runs cancel ${runId})\n`
        : "\nwflo: interrupted\n",
    );
    process.exit(EXIT.interrupted);
  });
  const started = await client.triggerRun({
    workflowId: o.workflow,
    input: o.input,
    ...(o.budget !== undefined && { budgetUsd: o.budget }),
    ...(o.requireApproval && { requireApproval: true }),
  });
  // POST /runs waits up to 5 s for the run; a slower engine is polled by event id.
  runId = started.runId ?? (await client.runForEvent(started.eventId));
  if (o.detach) {
    if (o.json) say(JSON.stringify({ runId, eventId: started.eventId, workflowId: started.workflowId }));
    else say(`started run ${runId} (${o.workflow}); follow it with: wflo runs show ${runId}`);
    return EXIT.ok;
  }
  if (!o.json)
    say(
      `run ${runId} (${o.workflow}) started${o.budget ? `, budget $${o.budget}` : ""}${o.requireApproval ? ", every LLM step needs approval" : ""}`,
    );

  const shownSteps = new Set<string>();
  const shownApprovals = new Set<string>();
  for (;;) {
    const d = await client.getRun(runId);
    if (!o.json) {
      for (const s of d.steps) {
        // A step is shown once, when it has ended (steps share the run statuses).
        if (shownSteps.has(s.hashedId) || !TERMINAL.has(s.status)) continue;
        shownSteps.add(s.hashedId);
        const ms = s.startedAt && s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : null;
        say(`  ${s.status === "completed" ? "✓" : "✗"} ${s.name} (${s.kind}, ${duration(ms)})`);
      }
    }
    if (d.status === "waiting") {
      const { approvals } = await client.listApprovals({ runId, status: "pending" });
      for (const a of approvals) {
        if (shownApprovals.has(a.id)) continue;
        shownApprovals.add(a.id);
        // One line per approval, on stdout even with --json, so a script can pick the id up.
        say(
          o.json
            ? JSON.stringify({ approvalPending: a })
            : `  ⏸ waiting for approval ${a.id}: ${a.action} (${a.risk} risk, needs ${a.deciderRole})\n    approve: wflo approvals approve ${a.id}   reject: wflo approvals reject ${a.id}`,
        );
      }
    }
    if (TERMINAL.has(d.status)) {
      if (o.json) say(JSON.stringify(d));
      else {
        say(`run ${runId} ${d.status}${d.error?.message ? `: ${d.error.message}` : ""}`);
        if (d.status === "completed") say(`result: ${JSON.stringify(d.result, null, 2)}`);
        say(
          `cost: ${usd(d.cost.totalNano)} in ${d.cost.calls} LLM call(s)${d.cost.budgetNano ? ` of a ${usd(d.cost.budgetNano)} budget` : ""}${d.cost.simulatedCalls ? ` (${d.cost.simulatedCalls} simulated)` : ""}`,
        );
      }
      return exitForRun(d);
    }
    await pause(o.pollMs);
  }
}
