import { fieldErrorsOf } from "@/server/errors";
import { desc, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, DbOrTx } from "@/db/client";
import { policyVersions } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { DEFAULT_RULES, evaluatePolicy, syntaxError, unreachableRules, type PolicyVerdict } from "./evaluate";
import { policyRule, type PolicyRequest, type PolicyRule, type savePolicyInput } from "./schemas";

const POLICY_LOCK = 727_010;

export type CurrentPolicy = {
  version: number;
  rules: PolicyRule[];
  note: string;
  createdByEmail: string | null;
  createdAt: Date | null;
  builtIn: boolean;
};

/** Stored rules are re-parsed on read: a row is trusted only after it fits the schema again. */
function parseStoredRules(raw: unknown[]): PolicyRule[] {
  return raw.flatMap((r) => {
    const p = policyRule.safeParse(r);
    return p.success ? [p.data] : [];
  });
}

/** The policy in force: the newest saved version, else the built-in risk routing (version 0). */
export async function currentPolicy(db: DbOrTx): Promise<CurrentPolicy> {
  const [row] = await db.select().from(policyVersions).orderBy(desc(policyVersions.version)).limit(1);
  if (!row)
    return {
      version: 0,
      rules: DEFAULT_RULES,
      note: "Built-in risk routing",
      createdByEmail: null,
      createdAt: null,
      builtIn: true,
    };
  return {
    version: row.version,
    rules: parseStoredRules(row.rules),
    note: row.note,
    createdByEmail: row.createdByEmail,
    createdAt: row.createdAt,
    builtIn: false,
  };
}

export async function listPolicyVersions(db: DbOrTx) {
  const rows = await db.select().from(policyVersions).orderBy(desc(policyVersions.version)).limit(50);
  return rows.map((r) => ({
    version: r.version,
    note: r.note,
    rules: r.rules.length,
    createdByEmail: r.createdByEmail,
    createdAt: r.createdAt,
  }));
}

/** Every problem a rule list has that saving must refuse, each naming its field ("rules.2.condition"). */
export function policyProblems(rules: readonly PolicyRule[]): { field: string; rule: string }[] {
  const problems: { field: string; rule: string }[] = [];
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    const err = syntaxError(r.condition);
    if (err) problems.push({ field: `rules.${i}.condition`, rule: `rule "${r.id}" has a syntax error: ${err}` });
    if (ids.has(r.id)) problems.push({ field: `rules.${i}.id`, rule: `rule id "${r.id}" is used twice` });
    ids.add(r.id);
    if (r.outcome.type === "require_approval" && r.outcome.escalateAfter && !r.outcome.timeout) {
      problems.push({
        field: `rules.${i}.outcome.timeout`,
        rule: `rule "${r.id}" escalates, so it needs a timeout after the escalation`,
      });
    }
  });
  return problems;
}

/** The same problems as "field: rule" lines, for the test box. */
export function policyErrors(rules: readonly PolicyRule[]): string[] {
  return policyProblems(rules).map((p) => `${p.field}: ${p.rule}`);
}

export function policyWarnings(rules: readonly PolicyRule[]): string[] {
  return unreachableRules(rules).map((u) => u.reason);
}

/** Validates (CEL syntax, ids) and writes version n+1 with an audit row; older versions stay as they were. */
export async function savePolicy(db: Database, actor: Actor, input: z.output<typeof savePolicyInput>) {
  const problems = policyProblems(input.rules);
  if (problems.length) throw fieldErrorsOf("bad_request", problems);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${POLICY_LOCK})`);
    const before = await currentPolicy(tx);
    const version = before.version + 1;
    await tx
      .insert(policyVersions)
      .values({ version, rules: input.rules, note: input.note, createdById: actor.id, createdByEmail: actor.email });
    await writeAudit(tx, actor, {
      action: "policy.save",
      targetType: "policy",
      targetId: String(version),
      before: { version: before.version, rules: before.rules },
      after: { version, rules: input.rules, note: input.note },
    });
    return { version, warnings: policyWarnings(input.rules) };
  });
}

/**
 * The test box: what the given rules (or the policy in force) decide for a sample request. It
 * runs in its own lane of the CEL sandbox, so what anyone types here never delays a real
 * decision; a condition that overruns its budget is refused, naming the rule.
 */
export async function testPolicy(
  db: DbOrTx,
  rules: PolicyRule[] | undefined,
  request: PolicyRequest,
): Promise<PolicyVerdict & { errors: string[]; warnings: string[] }> {
  const policy = rules ? { rules, version: -1 } : await currentPolicy(db);
  const errors = policyErrors(policy.rules);
  const verdict = await evaluatePolicy(policy.rules, policy.version, request, "test");
  const overran = verdict.trace.filter((t) => t.overrun);
  if (overran.length) {
    const problems = overran.map((t) => {
      const i = policy.rules.findIndex((r) => r.id === t.ruleId);
      return { field: `rules.${i}.condition`, rule: `rule "${t.ruleId}" ${t.error}` };
    });
    throw fieldErrorsOf("bad_request", problems);
  }
  return { ...verdict, errors, warnings: policyWarnings(policy.rules) };
}
