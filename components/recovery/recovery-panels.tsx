"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { GitBranch, History, Save } from "lucide-react";
import Link from "next/link";
import { useEffect, useState } from "react";
import { JsonView } from "@/components/runs/json-view";
import { StatusBadge } from "@/components/runs/status-badge";
import { useOpenRunForEvent } from "@/components/runs/use-open-run";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Label, Select, Textarea } from "@/components/ui/form";
import type { AppRouter } from "@/server/api/root";

type Out = inferRouterOutputs<AppRouter>["recovery"];
type Checkpoint = Out["checkpoints"][number];
type TreeNode = Out["tree"]["root"];
type Status = Parameters<typeof StatusBadge>[0]["status"];

const cpKey = (c: { name: string; version: number }) => `${c.name}@${c.version}`;

/**
 * The run page's recovery panels: lineage (fork tree), checkpoints with their state and a diff
 * of two versions, time travel through the steps, forking from a checkpoint or step, and
 * rolling the run back through its steps' compensations.
 */
export function RecoveryPanels({ runId, live, canFork, canRollback = false }: { runId: string; live: boolean; canFork: boolean; canRollback?: boolean }) {
  const trpc = useTRPC();
  const poll = { refetchInterval: live ? 2000 : (false as const) };
  const checkpoints = useQuery(trpc.recovery.checkpoints.queryOptions({ runId }, poll));
  const info = useQuery(trpc.recovery.info.queryOptions({ runId }));
  const tree = useQuery(trpc.recovery.tree.queryOptions({ runId }, poll));
  const [forkFrom, setForkFrom] = useState<ForkFrom | null>(null);
  const qc = useQueryClient();
  // Polling stops when the run ends; one more read picks up what its last request saved.
  useEffect(() => {
    if (!live) void qc.invalidateQueries({ queryKey: trpc.recovery.pathKey() });
  }, [live, qc, trpc]);

  return (
    <div className="space-y-6" data-testid="recovery-panels">
      {info.data?.resumedWithChangedDefinition || info.data?.definitionChangedSince ? (
        <div role="status" className="rounded-md border border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-800 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-300">
          {info.data.resumedWithChangedDefinition
            ? "This run was resumed by a changed workflow definition: its later steps ran different code than its earlier ones."
            : "The workflow's definition has changed since this run started: a fork or replay runs today's code against its records."}
        </div>
      ) : null}
      {tree.data && (tree.data.root.children.length > 0 || info.data?.parent) ? <ForkTree root={tree.data.root} current={runId} /> : null}
      <RollbackCard runId={runId} live={live} canRollback={canRollback} />
      <CheckpointsCard items={checkpoints.data ?? []} runId={runId} canFork={canFork} onFork={setForkFrom} />
      <TimeTravel runId={runId} live={live} canFork={canFork} onFork={setForkFrom} />
      {canFork && !live ? <ReplayCard runId={runId} /> : null}
      {forkFrom ? <ForkForm runId={runId} from={forkFrom} onClose={() => setForkFrom(null)} /> : null}
    </div>
  );
}

function ForkTree({ root, current }: { root: TreeNode; current: string }) {
  const render = (n: TreeNode, depth: number): React.ReactNode => (
    <li key={n.runId}>
      <div className="flex flex-wrap items-center gap-2 py-1" style={{ paddingLeft: depth * 20 }}>
        {depth > 0 ? <GitBranch className="h-3.5 w-3.5 text-slate-400" aria-hidden /> : null}
        {n.runId === current ? (
          <span className="font-mono text-xs font-semibold">{n.runId.slice(0, 14)}… (this run)</span>
        ) : (
          <Link className="font-mono text-xs text-brand-600 hover:underline" href={`/runs/${n.runId}`}>{n.runId.slice(0, 14)}…</Link>
        )}
        <StatusBadge status={n.status as Status} />
        {n.forkPoint ? <span className="text-xs text-slate-500">from {n.forkPoint.checkpoint ? `checkpoint ${cpKey(n.forkPoint.checkpoint)}` : `step ${n.forkPoint.stepId}`}</span> : null}
      </div>
      {n.children.length ? <ul>{n.children.map((c) => render(c, depth + 1))}</ul> : null}
    </li>
  );
  return (
    <Card data-testid="fork-tree">
      <CardHeader title="Fork tree" description="Runs forked from one another; each reused its parent's results up to the fork point." />
      <ul className="px-5 py-3">{render(root, 0)}</ul>
    </Card>
  );
}

function CheckpointsCard({ items, runId, canFork, onFork }: { items: Checkpoint[]; runId: string; canFork: boolean; onFork: (f: ForkFrom) => void }) {
  const [open, setOpen] = useState<string | null>(null);
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const trpc = useTRPC();
  const parse = (k: string) => {
    const cp = items.find((c) => cpKey(c) === k);
    return cp ? { name: cp.name, version: cp.version } : null;
  };
  const pa = parse(a);
  const pb = parse(b);
  const diff = useQuery({ ...trpc.recovery.diff.queryOptions({ runId, a: pa ?? { name: "-", version: 1 }, b: pb ?? { name: "-", version: 1 } }), enabled: Boolean(pa && pb) });
  const shown = items.find((c) => cpKey(c) === open);

  return (
    <Card data-testid="checkpoints">
      <CardHeader title={`Checkpoints (${items.length})`} description="State the workflow saved with wflo.checkpoint; fork from one to continue from there." />
      {items.length === 0 ? (
        <p className="px-5 py-6 text-center text-sm text-slate-500">This run saved no checkpoints.</p>
      ) : (
        <div className="space-y-4 px-5 py-4">
          <ul className="divide-y divide-slate-100 dark:divide-slate-800">
            {items.map((c) => (
              <li key={cpKey(c)} className="flex flex-wrap items-center justify-between gap-2 py-2" data-testid={`checkpoint-${c.name}-v${c.version}`}>
                <button type="button" className="flex items-center gap-2 text-left text-sm" onClick={() => setOpen(open === cpKey(c) ? null : cpKey(c))}>
                  <Save className="h-4 w-4 text-slate-400" aria-hidden />
                  <span className="font-medium">{c.name}</span>
                  <Badge>v{c.version}</Badge>
                </button>
                {canFork ? (
                  <Button variant="secondary" onClick={() => onFork({ kind: "checkpoint", name: c.name, version: c.version, state: c.state })}>
                    Fork from here
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
          {shown ? (
            <div>
              <div className="mb-1 text-xs font-medium text-slate-500">State of {shown.name} v{shown.version}</div>
              <JsonView value={shown.state} />
            </div>
          ) : null}
          {items.length > 1 ? (
            <div className="space-y-2">
              <div className="grid grid-cols-2 gap-2">
                <div>
                  <Label htmlFor="diff-a">Compare</Label>
                  <Select id="diff-a" value={a} onChange={(e) => setA(e.target.value)}>
                    <option value="">—</option>
                    {items.map((c) => <option key={cpKey(c)} value={cpKey(c)}>{c.name} v{c.version}</option>)}
                  </Select>
                </div>
                <div>
                  <Label htmlFor="diff-b">with</Label>
                  <Select id="diff-b" value={b} onChange={(e) => setB(e.target.value)}>
                    <option value="">—</option>
                    {items.map((c) => <option key={cpKey(c)} value={cpKey(c)}>{c.name} v{c.version}</option>)}
                  </Select>
                </div>
              </div>
              {diff.error ? <p className="text-sm text-rose-600">{errorMessage(diff.error)}</p> : null}
              {diff.data ? (
                diff.data.changes.length === 0 ? (
                  <p className="text-sm text-slate-500">No differences.</p>
                ) : (
                  <table className="w-full text-left text-xs" data-testid="checkpoint-diff">
                    <thead className="text-slate-500"><tr><th className="py-1">Path</th><th>Before</th><th>After</th></tr></thead>
                    <tbody className="font-mono">
                      {diff.data.changes.map((d) => (
                        <tr key={d.path} className="border-t border-slate-100 align-top dark:border-slate-800">
                          <td className="py-1 pr-2">{d.path}</td>
                          <td className="pr-2 text-rose-600">{"before" in d ? short(d.before) : "—"}</td>
                          <td className="text-emerald-600">{"after" in d ? short(d.after) : "—"}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )
              ) : null}
            </div>
          ) : null}
        </div>
      )}
    </Card>
  );
}

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? "undefined";
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

function TimeTravel({ runId, live, canFork, onFork }: { runId: string; live: boolean; canFork: boolean; onFork: (f: ForkFrom) => void }) {
  const trpc = useTRPC();
  const timeline = useQuery(trpc.recovery.timeline.queryOptions({ runId }, { refetchInterval: live ? 2000 : false }));
  const [at, setAt] = useState<number | null>(null);
  const steps = timeline.data ?? [];
  if (steps.length === 0) return null;
  const i = Math.min(at ?? steps.length - 1, steps.length - 1);
  const s = steps[i]!;
  return (
    <Card data-testid="time-travel">
      <CardHeader title="Time travel" description="Step through the run and see what the workflow knew after each step." />
      <div className="space-y-3 px-5 py-4">
        <div className="flex items-center gap-2">
          <Button variant="secondary" disabled={i === 0} onClick={() => setAt(i - 1)} aria-label="Previous step">‹</Button>
          <input aria-label="Step" type="range" min={0} max={steps.length - 1} value={i} onChange={(e) => setAt(Number(e.target.value))} className="flex-1" />
          <Button variant="secondary" disabled={i === steps.length - 1} onClick={() => setAt(i + 1)} aria-label="Next step">›</Button>
        </div>
        <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
          <span className="flex items-center gap-2">
            <History className="h-4 w-4 text-slate-400" aria-hidden />
            <span className="tabular-nums text-slate-500">{i + 1}/{steps.length}</span>
            <span className="font-mono" data-testid="time-travel-step">{s.stepId}</span>
            <StatusBadge status={s.status as Status} />
          </span>
          {canFork && s.status === "completed" ? (
            <Button variant="secondary" onClick={() => onFork({ kind: "step", position: s.position, stepId: s.stepId })}>Fork from this step</Button>
          ) : null}
        </div>
        <JsonView value={s.state} />
      </div>
    </Card>
  );
}

type ForkFrom = { kind: "checkpoint"; name: string; version: number; state: unknown } | { kind: "step"; position: number; stepId: string };

function ForkForm({ runId, from, onClose }: { runId: string; from: ForkFrom; onClose: () => void }) {
  const trpc = useTRPC();
  const opener = useOpenRunForEvent();
  const [state, setState] = useState(from.kind === "checkpoint" ? JSON.stringify(from.state, null, 2) : "");
  const [input, setInput] = useState("");
  const [error, setError] = useState<string | null>(null);
  const fork = useMutation(trpc.recovery.fork.mutationOptions({ onSuccess: (r) => opener.open(r.eventId), onError: (e) => setError(errorMessage(e)) }));
  const original = from.kind === "checkpoint" ? JSON.stringify(from.state, null, 2) : "";

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    let editedState: unknown;
    let editedInput: Record<string, unknown> | undefined;
    try {
      if (from.kind === "checkpoint" && state.trim() !== original.trim()) editedState = JSON.parse(state) as unknown;
    } catch {
      return setError("state: is not valid JSON");
    }
    try {
      if (input.trim()) {
        const v = JSON.parse(input) as unknown;
        if (!v || typeof v !== "object" || Array.isArray(v)) return setError("input: must be a JSON object");
        editedInput = v as Record<string, unknown>;
      }
    } catch {
      return setError("input: is not valid JSON");
    }
    fork.mutate({
      runId,
      from: from.kind === "checkpoint" ? { kind: "checkpoint", name: from.name, version: from.version } : { kind: "step", position: from.position },
      ...(editedState !== undefined ? { state: editedState } : {}),
      ...(editedInput ? { input: editedInput } : {}),
    });
  };

  return (
    <Card data-testid="fork-form">
      <CardHeader
        title={from.kind === "checkpoint" ? `Fork from checkpoint ${from.name} v${from.version}` : `Fork from step ${from.stepId}`}
        description="A new run reuses every recorded result up to here (no LLM call is made or billed again) and continues with today's code."
      />
      <form className="space-y-3 px-5 py-4" onSubmit={submit}>
        {from.kind === "checkpoint" ? (
          <div>
            <Label htmlFor="fork-state">State (edit to continue with different values)</Label>
            <Textarea id="fork-state" rows={8} className="font-mono text-xs" value={state} onChange={(e) => setState(e.target.value)} />
          </div>
        ) : null}
        <div>
          <Label htmlFor="fork-input">Input (optional JSON object; empty keeps the run's input)</Label>
          <Textarea id="fork-input" rows={3} className="font-mono text-xs" value={input} onChange={(e) => setInput(e.target.value)} />
        </div>
        {error || opener.message ? <p role="alert" className={cn("text-sm text-rose-600")}>{error ?? opener.message}</p> : null}
        <div className="flex gap-2">
          <Button type="submit" disabled={fork.isPending || opener.waiting}>{fork.isPending || opener.waiting ? "Starting…" : "Start fork"}</Button>
          <Button type="button" variant="secondary" onClick={onClose}>Close</Button>
        </div>
      </form>
    </Card>
  );
}

/** "Replay run": today's code against the run's records, in the app process, at zero cost. */
function ReplayCard({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const replay = useMutation(trpc.recovery.replay.mutationOptions());
  const r = replay.data;
  return (
    <Card data-testid="replay">
      <CardHeader
        title="Replay"
        description="Re-executes today's workflow code against this run's recorded step results and LLM responses; nothing is called or billed."
        action={<Button variant="secondary" disabled={replay.isPending} onClick={() => replay.mutate({ runId })}>{replay.isPending ? "Replaying…" : "Replay run"}</Button>}
      />
      {replay.error ? <p role="alert" className="px-5 py-3 text-sm text-rose-600">{errorMessage(replay.error)}</p> : null}
      {r ? (
        <div className="space-y-2 px-5 py-3 text-sm" data-testid="replay-report">
          <p>{r.stepsReplayed} steps replayed from the records.</p>
          {r.fingerprint.changed ? <p className="text-amber-700 dark:text-amber-300">The workflow definition changed since this run (fingerprint {r.fingerprint.recorded?.slice(0, 8)} → {r.fingerprint.current.slice(0, 8)}).</p> : null}
          {r.divergence ? (
            <p className="text-rose-600">Diverges at step {r.divergence.at + 1}: {r.divergence.reason}.</p>
          ) : (
            <p className="text-emerald-700 dark:text-emerald-400">Today&apos;s code follows the recorded run step for step{r.outputMatches === false ? ", but returns a different output" : r.outputMatches ? " and returns the same output" : ""}.</p>
          )}
        </div>
      ) : null}
    </Card>
  );
}

const COMPENSATION_TONE: Record<string, string> = {
  compensated: "text-emerald-700 dark:text-emerald-400",
  failed: "text-rose-600",
  skipped: "text-amber-700 dark:text-amber-300",
  pending: "text-zinc-500",
};

/**
 * Compensation: the steps this run can undo (newest first, the order a rollback runs them),
 * the rollback's outcome, and "Roll back run". A partly rolled back run is flagged as needing a
 * person, with the compensation that kept failing and its error.
 */
function RollbackCard({ runId, live, canRollback }: { runId: string; live: boolean; canRollback: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery(
    trpc.recovery.rollbackStatus.queryOptions({ runId }, { refetchInterval: (q) => (live || q.state.data?.rollback?.status === "running" ? 2000 : false) }),
  );
  const rollback = useMutation(trpc.recovery.rollback.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.recovery.rollbackStatus.queryKey({ runId }) }) }));
  const s = status.data;
  if (!s || (s.compensations.length === 0 && !s.rollback)) return null;
  const open = s.compensations.some((c) => c.status !== "compensated");
  const running = s.rollback?.status === "running";
  const label = !s.rollback ? null : running ? "Rolling back…" : s.rollback.status === "rolled_back" ? "Rolled back" : "Partly rolled back — needs attention";
  return (
    <Card data-testid="rollback">
      <CardHeader
        title="Compensation"
        description="Steps that declared how to undo themselves. Rolling back runs their compensations newest first, each as a durable, retried step."
        action={
          canRollback && !live && open && !running ? (
            <Button variant="secondary" disabled={rollback.isPending} onClick={() => rollback.mutate({ runId })}>
              {rollback.isPending ? "Starting…" : s.rollback ? "Retry rollback" : "Roll back run"}
            </Button>
          ) : undefined
        }
      />
      {label ? (
        <p role="status" data-testid="rollback-status" className={cn("px-5 pt-3 text-sm font-medium", s.needsAttention ? "text-rose-600" : running ? "text-zinc-500" : "text-emerald-700 dark:text-emerald-400")}>
          {label}
          <span className="font-normal text-zinc-500"> · {s.rollback?.reason === "automatic" ? "automatic, on failure" : `by ${s.rollback?.requestedByEmail ?? "an operator"}`}</span>
        </p>
      ) : null}
      {s.needsAttention && s.rollback?.failedStepId ? (
        <p role="alert" className="px-5 pt-1 text-sm text-rose-600">
          The compensation of “{s.rollback.failedStepId}” kept failing: {s.rollback.error?.message ?? "unknown error"}. Earlier steps were left as they are; fix the cause, then retry.
        </p>
      ) : null}
      {rollback.error ? <p role="alert" className="px-5 pt-2 text-sm text-rose-600">{errorMessage(rollback.error)}</p> : null}
      <ol className="divide-y divide-zinc-100 px-5 py-2 text-sm dark:divide-zinc-800">
        {s.compensations.map((c) => (
          <li key={c.stepId} className="flex items-baseline justify-between gap-4 py-1.5">
            <span className="font-mono">{c.stepId}</span>
            <span className={COMPENSATION_TONE[c.status] ?? ""}>
              {c.status}
              {c.attempts > 1 ? ` after ${c.attempts} attempts` : ""}
              {c.status === "failed" && c.error ? `: ${c.error.message}` : ""}
            </span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
