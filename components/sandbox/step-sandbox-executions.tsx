"use client";

import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { Box } from "lucide-react";
import { useTRPC } from "@/components/trpc/client";
import { Badge, type Tone } from "@/components/ui/badge";
import type { AppRouter } from "@/server/api/root";

type Execution = inferRouterOutputs<AppRouter>["sandbox"]["byRun"][number];

const OUTCOME_TONE: Record<string, Tone> = {
  ok: "green",
  error: "red",
  refused: "red",
  failed: "red",
  timeout: "amber",
  cpu_limit: "amber",
  memory_limit: "amber",
  output_limit: "amber",
  killed: "red",
};

type Limits = { timeoutMs?: number; memoryMb?: number; cpuSeconds?: number; maxOutputBytes?: number };
type Usage = { wallMs?: number; userCpuMs?: number | null; systemCpuMs?: number | null };
type OutFile = { path: string; size: number; encoding: string; truncated: boolean };

function Pre({ label, text, note, tone }: { label: string; text: string; note?: string | null; tone?: "error" }) {
  return (
    <div>
      <div className="mb-1 text-xs font-medium text-slate-500">
        {label}
        {note ? <span className="ml-2 text-amber-600">{note}</span> : null}
      </div>
      <pre
        className={`max-h-64 overflow-auto whitespace-pre-wrap break-all rounded-md px-3 py-2 font-mono text-xs ${tone === "error" ? "bg-rose-50 text-rose-800 dark:bg-rose-950/40 dark:text-rose-200" : "bg-slate-50 text-slate-800 dark:bg-slate-900 dark:text-slate-200"}`}
      >
        {text || <span className="text-slate-400">(empty)</span>}
      </pre>
    </div>
  );
}

function ExecutionView({ e }: { e: Execution }) {
  const limits = (e.limits ?? {}) as Limits;
  const usage = (e.usage ?? {}) as Usage;
  const files = (Array.isArray(e.files) ? e.files : []) as OutFile[];
  const ended = e.exitCode !== null ? `exit ${e.exitCode}` : e.signal ? e.signal : null;
  return (
    <div
      className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-800"
      data-testid="sandbox-execution"
    >
      <div className="flex flex-wrap items-center gap-2 text-xs">
        <Box className="h-3.5 w-3.5 text-slate-500" />
        <span className="font-medium">Sandbox</span>
        <span className="font-mono text-slate-500">
          {e.provider} · {e.language}
          {e.attempt > 0 ? ` · attempt ${e.attempt + 1}` : ""}
        </span>
        <Badge tone={OUTCOME_TONE[e.outcome] ?? "slate"}>{e.outcome.replace("_", " ")}</Badge>
        {ended ? <span className="font-mono text-slate-500">{ended}</span> : null}
        <span className="ml-auto tabular-nums text-slate-500">
          {e.durationMs !== null ? `${e.durationMs} ms` : ""}
          {usage.userCpuMs != null ? ` · cpu ${usage.userCpuMs + (usage.systemCpuMs ?? 0)} ms` : ""}
        </span>
      </div>
      <div className="font-mono text-xs text-slate-500">
        limits: {limits.timeoutMs ?? "?"} ms wall · {limits.cpuSeconds ?? "?"} s cpu · {limits.memoryMb ?? "?"} MB ·{" "}
        {limits.maxOutputBytes ?? "?"} B output · network {e.network ? "requested" : "off"}
      </div>
      {e.error ? <Pre label="Not run" text={e.error} tone="error" /> : null}
      <details>
        <summary className="cursor-pointer text-xs font-medium text-slate-600 dark:text-slate-300">
          Code ({e.code.split("\n").length} lines)
        </summary>
        <div className="mt-1">
          <Pre label="" text={e.code} />
        </div>
      </details>
      {!e.error ? (
        <>
          <Pre
            label="stdout"
            text={e.stdout}
            note={
              e.stdoutTruncated
                ? "cut at the output limit"
                : e.binaryOutput
                  ? "not UTF-8; shown with replacements"
                  : null
            }
          />
          {e.stderr ? (
            <Pre
              label="stderr"
              text={e.stderr}
              tone={e.outcome === "ok" ? undefined : "error"}
              note={e.stderrTruncated ? "cut at the output limit" : null}
            />
          ) : null}
          {files.length ? (
            <div className="text-xs">
              <div className="mb-1 font-medium text-slate-500">
                Files written{e.filesTruncated ? " (some left out: over the size cap)" : ""}
              </div>
              <ul className="space-y-0.5 font-mono">
                {files.map((f) => (
                  <li key={f.path}>
                    {f.path}{" "}
                    <span className="text-slate-400">
                      {f.size} B{f.encoding === "base64" ? " binary" : ""}
                      {f.truncated ? " (not returned)" : ""}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

/** A step's sandbox executions (code, limits, outcome, output, usage) inside its detail on the run page. */
export function StepSandboxExecutions({ runId, stepId }: { runId: string; stepId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.sandbox.byRun.queryOptions({ runId }));
  const mine = (q.data ?? []).filter((e) => e.stepId === stepId);
  if (!mine.length) return null;
  return (
    <div className="space-y-2">
      {mine.map((e) => (
        <ExecutionView key={e.id} e={e} />
      ))}
    </div>
  );
}
