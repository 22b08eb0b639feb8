/** What the CLI reads of the REST API's answers (JSON: dates are strings, money nano-dollar strings). */
export type RunSummary = { id: string; workflowId: string; status: string; triggeredByEmail: string | null; startedAt: string; endedAt: string | null; errorMessage?: string | null };
export type Step = { id: string; name: string; kind: string; status: string; startedAt: string | null; endedAt: string | null };
export type CostBreakdown = { totalNano: string; budgetNano: string | null; remainingNano: string | null; exceeded: boolean; calls: number; simulatedCalls: number; byModel: { provider: string; model: string; calls: number; costNano: string }[] };
export type RunDetail = {
  run: RunSummary & { workflowName: string; terminal: boolean };
  status: string;
  result: unknown;
  error: { name?: string; message?: string } | null;
  steps: Step[];
  cost: CostBreakdown;
};
export type Approval = { id: string; runId: string; workflowId: string; gate: string; action: string; risk: string; status: string; deciderRole: string; createdAt: string; deadlineAt: string };
export type Budget = { id: string; name: string; scope: string; scopeValue: string; period: string; limitNano: string; enabled: boolean; current: { spentNano: string; reservedNano: string; utilization: number } | null };
export type TraceSpan = { id: string; parentId: string | null; kind: string; name: string; status: string; startMs: number; endMs: number | null; llm?: { model: string; inputTokens: number; outputTokens: number; costNano: string | null; simulated: boolean } };
export type Trace = { runId: string; status: string; spans: TraceSpan[]; summary: { spans: number; llmCalls: number; costNano: string; durationMs: number | null } };
