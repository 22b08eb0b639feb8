import { parse } from "@marcbachmann/cel-js";
import type { PolicyOutcome, PolicyRequest, PolicyRule } from "./schemas";

/**
 * Policy rules are CEL (the same library the engine uses for Inngest's `if` expressions), so a
 * condition is data, not code: it cannot call out, loop or touch the process.
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

export type RuleTrace = { ruleId: string; matched: boolean; error?: string };
export type PolicyVerdict = { version: number; ruleId: string | null; ruleName: string; outcome: PolicyOutcome; trace: RuleTrace[] };

/** With no rule matching, a person decides: failing closed is the safe default for a gate. */
export const NO_MATCH_OUTCOME: PolicyOutcome = { type: "require_approval", role: "approver", approvalsNeeded: 1 };

/**
 * First matching rule wins. A condition that errors (missing payload field, wrong type) or
 * yields a non-boolean does not match; the trace says why, for the test box.
 */
export function evaluatePolicy(rules: readonly PolicyRule[], version: number, request: PolicyRequest): PolicyVerdict {
  const trace: RuleTrace[] = [];
  const vars = { ...request };
  for (const rule of rules) {
    try {
      const v: unknown = compile(rule.condition)(vars);
      if (typeof v !== "boolean") {
        trace.push({ ruleId: rule.id, matched: false, error: `condition returned ${typeof v}, not a boolean` });
        continue;
      }
      trace.push({ ruleId: rule.id, matched: v });
      if (v) return { version, ruleId: rule.id, ruleName: rule.name, outcome: rule.outcome, trace };
    } catch (e) {
      trace.push({ ruleId: rule.id, matched: false, error: String((e as Error).message).split("\n")[0] });
    }
  }
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
    if (catchAll) out.push({ ruleId: r.id, reason: `rule "${r.id}" can never match: rule "${catchAll}" before it matches every request` });
    else if (seen.has(c)) out.push({ ruleId: r.id, reason: `rule "${r.id}" can never match: rule "${seen.get(c)}" before it has the same condition` });
    if (!seen.has(c)) seen.set(c, r.id);
    if (!catchAll && c === "true") catchAll = r.id;
  }
  return out;
}

/** Risk-based routing out of the box (policy version 0): low auto-approved, medium/high to an approver, critical needs two. */
export const DEFAULT_RULES: PolicyRule[] = [
  { id: "low-risk", name: "Low risk runs without asking", condition: 'risk == "low"', outcome: { type: "auto_approve" } },
  { id: "medium-risk", name: "Medium risk: one approver", condition: 'risk == "medium"', outcome: { type: "require_approval", role: "approver", approvalsNeeded: 1 } },
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
    outcome: { type: "require_approval", role: "approver", approvalsNeeded: 2, allowSelfApproval: false, requireComment: true },
  },
];
