import { parse } from "@marcbachmann/cel-js";
import { CEL_MEMORY_BUDGET_MB, CEL_TIME_BUDGET_MS, runConditions, type Lane, type Overrun } from "./cel-sandbox";
import type { PolicyOutcome, PolicyRequest, PolicyRule } from "./schemas";

/**
 * Policy rules are CEL (the same library the engine uses for Inngest's `if` expressions), so a
 * condition is data, not code: it cannot call out or touch the process. It can still loop
 * (comprehensions), so evaluation runs in a worker with a budget; parsing (linear in the
 * condition, which is at most 2,000 characters) stays here for syntax checks.
 */
type Compiled = ReturnType<typeof parse>;
const cache = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let fn = cache.get(expression);
  if (!fn) {
    fn = parse(expression);
    if (cache.size > 2_000) cache.clear();
    cache.set(expression, fn);
  }
  return fn;
}

/** The parse error for an expression, first line only, or null when it parses. */
export function syntaxError(expression: string): string | null {
  try {
    compile(expression);
    return null;
  } catch (e) {
    return String((e as Error).message).split("\n")[0] ?? "invalid expression";
  }
}

export type RuleTrace = { ruleId: string; matched: boolean; error?: string; overrun?: true };
export type PolicyVerdict = {
  version: number;
  ruleId: string | null;
  ruleName: string;
  outcome: PolicyOutcome;
  trace: RuleTrace[];
};

/** With no rule matching, a person decides: failing closed is the safe default for a gate. */
export const NO_MATCH_OUTCOME: PolicyOutcome = { type: "require_approval", role: "approver", approvalsNeeded: 1 };

/**
 * A condition that overran cannot say whether it matched. Skipping it would let a request that
 * makes a restrictive rule overrun (a payload built to be slow) fall through to a permissive
 * rule after it, so a real decision fails closed at the first overrun: a person other than the
 * requester decides.
 */
export const OVERRUN_OUTCOME: PolicyOutcome = {
  type: "require_approval",
  role: "approver",
  approvalsNeeded: 1,
  allowSelfApproval: false,
};

export const overrunMessage = (reason: Overrun["reason"]) =>
  reason === "memory"
    ? `exceeded the evaluation budget (${CEL_MEMORY_BUDGET_MB} MB of memory) on this request; a condition may not build large lists`
    : `exceeded the evaluation budget (${CEL_TIME_BUDGET_MS} ms) on this request; a condition may not loop over large lists inside loops`;

/**
 * First matching rule wins. A condition that errors (missing payload field, wrong type) or
 * yields a non-boolean does not match; the trace says why, for the test box. Conditions run
 * off the main thread under a time and memory budget (cel-sandbox.ts); one that overruns
 * fails the decision closed (OVERRUN_OUTCOME) unless an earlier rule matched.
 */
export async function evaluatePolicy(
  rules: readonly PolicyRule[],
  version: number,
  request: PolicyRequest,
  lane: Lane = "decide",
): Promise<PolicyVerdict> {
  const conditions = rules.map((r) => r.condition);
  const out = await runConditions(lane, conditions, { ...request }, []);
  if (out.kind === "overrun") {
    const overran = rules[out.index]!;
    const trace: RuleTrace[] = [
      { ruleId: overran.id, matched: false, error: overrunMessage(out.reason), overrun: true },
    ];
    // First match wins, so a rule before the one that overran still decides when it matches
    // (those conditions finished before it; re-running them alone is cheap). Otherwise, and
    // always in the test box (which refuses, naming the rule), the decision fails closed.
    const before =
      lane === "decide" && out.index > 0
        ? await runConditions(lane, conditions.slice(0, out.index), { ...request }, [])
        : undefined;
    const hit = before?.kind === "done" ? before.results.findIndex((r) => r.matched) : -1;
    const rule = hit >= 0 ? rules[hit] : undefined;
    if (rule) return { version, ruleId: rule.id, ruleName: rule.name, outcome: rule.outcome, trace };
    return {
      version,
      ruleId: null,
      ruleName: `rule "${overran.id}" overran its evaluation budget: a person other than the requester decides`,
      outcome: OVERRUN_OUTCOME,
      trace,
    };
  }
  const trace = out.results.map(
    (r, i): RuleTrace =>
      r.error === undefined
        ? { ruleId: rules[i]!.id, matched: r.matched }
        : { ruleId: rules[i]!.id, matched: false, error: r.error },
  );
  const hit = out.results.findIndex((r) => r.matched);
  const rule = hit >= 0 ? rules[hit] : undefined;
  if (rule) return { version, ruleId: rule.id, ruleName: rule.name, outcome: rule.outcome, trace };
  return { version, ruleId: null, ruleName: "no rule matched: a person decides", outcome: NO_MATCH_OUTCOME, trace };
}

const normalise = (c: string) => c.replace(/\s+/g, " ").trim();

/** Rules no request can reach: after a catch-all (`true`), or repeating an earlier condition. */
export function unreachableRules(rules: readonly PolicyRule[]): { ruleId: string; reason: string }[] {
  const out: { ruleId: string; reason: string }[] = [];
  const seen = new Map<string, string>();
  let catchAll: string | null = null;
  for (const r of rules) {
    const c = normalise(r.condition);
    if (catchAll)
      out.push({
        ruleId: r.id,
        reason: `rule "${r.id}" can never match: rule "${catchAll}" before it matches every request`,
      });
    else if (seen.has(c))
      out.push({
        ruleId: r.id,
        reason: `rule "${r.id}" can never match: rule "${seen.get(c)}" before it has the same condition`,
      });
    if (!seen.has(c)) seen.set(c, r.id);
    if (!catchAll && c === "true") catchAll = r.id;
  }
  return out;
}

/** Risk-based routing out of the box (policy version 0): low auto-approved, medium/high to an approver, critical needs two. */
export const DEFAULT_RULES: PolicyRule[] = [
  {
    id: "low-risk",
    name: "Low risk runs without asking",
    condition: 'risk == "low"',
    outcome: { type: "auto_approve" },
  },
  {
    id: "medium-risk",
    name: "Medium risk: one approver",
    condition: 'risk == "medium"',
    outcome: { type: "require_approval", role: "approver", approvalsNeeded: 1 },
  },
  {
    id: "high-risk",
    name: "High risk: an approver other than the person who started the run",
    condition: 'risk == "high"',
    outcome: { type: "require_approval", role: "approver", approvalsNeeded: 1, allowSelfApproval: false },
  },
  {
    id: "critical-risk",
    name: "Critical: two approvers, with a comment, never the requester",
    condition: 'risk == "critical"',
    outcome: {
      type: "require_approval",
      role: "approver",
      approvalsNeeded: 2,
      allowSelfApproval: false,
      requireComment: true,
    },
  },
];
