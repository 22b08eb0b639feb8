import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { errorOf } from "@/server/api/testing/error-of";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { DEFAULT_RULES, evaluatePolicy, unreachableRules } from "./evaluate";
import { policyRequest, type PolicyRule } from "./schemas";

let fresh: FreshDb;
let admin: SessionUser;
let viewer: SessionUser;

beforeAll(async () => {
  fresh = await freshDatabase();
  const [a] = await fresh.db
    .insert(users)
    .values({ email: "admin@example.com", role: "admin", passwordHash: "x" })
    .returning();
  const [v] = await fresh.db
    .insert(users)
    .values({ email: "viewer@example.com", role: "viewer", passwordHash: "x" })
    .returning();
  admin = { id: a!.id, email: a!.email, name: "", role: "admin" };
  viewer = { id: v!.id, email: v!.email, name: "", role: "viewer" };
});
afterAll(async () => fresh.drop());

const as = (u: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user: u }));
const req = (fields: Record<string, unknown>) => policyRequest.parse(fields);

describe("risk-based routing out of the box", () => {
  it.each([
    ["low", { type: "auto_approve" }, "low-risk"],
    ["medium", { type: "require_approval", role: "approver", approvalsNeeded: 1 }, "medium-risk"],
    ["high", { type: "require_approval", role: "approver", approvalsNeeded: 1, allowSelfApproval: false }, "high-risk"],
    [
      "critical",
      {
        type: "require_approval",
        role: "approver",
        approvalsNeeded: 2,
        allowSelfApproval: false,
        requireComment: true,
      },
      "critical-risk",
    ],
  ] as const)("%s risk", async (risk, outcome, rule) => {
    const v = await evaluatePolicy(DEFAULT_RULES, 0, req({ risk }));
    expect(v.ruleId).toBe(rule);
    expect(v.outcome).toEqual(outcome);
  });
});

describe("conditions", () => {
  const rules: PolicyRule[] = [
    {
      id: "big-wires",
      name: "Big wires are denied at night",
      condition: "amountUsd > 10000.0 && (hour < 6 || hour >= 22)",
      outcome: { type: "deny", reason: "no big wires at night" },
    },
    {
      id: "finance",
      name: "Finance needs two",
      condition: 'workflow == "payouts" && payload.currency == "EUR"',
      outcome: { type: "require_approval", role: "admin", approvalsNeeded: 2 },
    },
    {
      id: "admins-self",
      name: "Admins' own low-cost steps",
      condition: 'role == "admin" && costUsd < 1.0',
      outcome: { type: "auto_approve" },
    },
  ];
  it("match on amounts, time of day, workflow, payload fields, role and cost; first match wins", async () => {
    expect((await evaluatePolicy(rules, 3, req({ amountUsd: 25_000, hour: 23 }))).ruleId).toBe("big-wires");
    expect((await evaluatePolicy(rules, 3, req({ amountUsd: 25_000, hour: 12 }))).ruleId).toBeNull();
    expect(await evaluatePolicy(rules, 3, req({ workflow: "payouts", payload: { currency: "EUR" } }))).toMatchObject({
      ruleId: "finance",
      version: 3,
    });
    expect((await evaluatePolicy(rules, 3, req({ role: "admin", costUsd: 0.2 }))).ruleId).toBe("admins-self");
  });
  it("a condition that errors on a request does not match, and the trace says why; no match means a person decides", async () => {
    const v = await evaluatePolicy(rules, 3, req({ workflow: "payouts", payload: {} }));
    expect(v.trace[1]).toEqual({ ruleId: "finance", matched: false, error: "No such key: currency" });
    expect(v.outcome).toMatchObject({ type: "require_approval", role: "approver" });
  });
  it("warns about unreachable rules", () => {
    expect(unreachableRules([{ ...rules[0]!, id: "all", condition: "true" }, rules[1]!])).toEqual([
      { ruleId: "finance", reason: 'rule "finance" can never match: rule "all" before it matches every request' },
    ]);
    expect(
      unreachableRules([rules[2]!, { ...rules[2]!, id: "dup", condition: ' role == "admin"  && costUsd < 1.0' }])[0]
        ?.reason,
    ).toContain("same condition");
  });
});

describe("saving and testing policies", () => {
  it("refuses a syntax error naming the rule and field, and writes nothing", async () => {
    const before = (await fresh.db.select().from(auditLog)).length;
    const err = await errorOf(
      as(admin).policies.save({
        rules: [{ id: "broken", name: "Broken", condition: 'risk == "high" &&', outcome: { type: "auto_approve" } }],
      }),
    );
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/^rules\.0\.condition: rule "broken" has a syntax error: /);
    expect((await as(viewer).policies.current()).version).toBe(0);
    expect((await fresh.db.select().from(auditLog)).length).toBe(before);
  });
  it("versions every save, with an audit row and unreachable-rule warnings; viewers cannot save", async () => {
    const v1 = await as(admin).policies.save({ rules: DEFAULT_RULES, note: "copy of the defaults" });
    expect(v1).toEqual({ version: 1, warnings: [] });
    const v2 = await as(admin).policies.save({
      rules: [
        { id: "everything", name: "Everything", condition: "true", outcome: { type: "auto_approve" } },
        DEFAULT_RULES[3]!,
      ],
    });
    expect(v2).toEqual({
      version: 2,
      warnings: ['rule "critical-risk" can never match: rule "everything" before it matches every request'],
    });
    expect((await as(viewer).policies.versions()).map((v) => v.version)).toEqual([2, 1]);
    expect((await as(viewer).policies.current()).rules.map((r) => r.id)).toEqual(["everything", "critical-risk"]);
    expect((await errorOf(as(viewer).policies.save({ rules: [] }))).code).toBe("FORBIDDEN");
    expect((await fresh.db.select().from(auditLog)).filter((r) => r.action === "policy.save")).toHaveLength(2);
  });
  it("the test box evaluates draft rules against a sample request without saving", async () => {
    const out = await as(viewer).policies.test({ rules: DEFAULT_RULES, request: req({ risk: "critical" }) });
    expect(out).toMatchObject({ ruleId: "critical-risk", errors: [], warnings: [] });
    const bad = await as(viewer).policies.test({
      rules: [{ id: "x", name: "X", condition: "risk ==", outcome: { type: "auto_approve" } }],
      request: req({}),
    });
    expect(bad.errors[0]).toMatch(/^rules\.0\.condition: rule "x" has a syntax error/);
    expect((await as(viewer).policies.versions())[0]?.version).toBe(2);
  });
});

describe("CEL cannot stall the process", () => {
  // A nested comprehension over a 6,000-item list: 36 million steps, seconds of CPU.
  const bomb: PolicyRule = {
    id: "bomb",
    name: "Bomb",
    condition: "payload.xs.all(a, payload.xs.all(b, a + b >= 0))",
    outcome: { type: "auto_approve" },
  };
  const xs = Array.from({ length: 6_000 }, (_, i) => i);

  it("a comprehension bomb in the test box is refused naming the rule, while the process keeps answering other requests", async () => {
    const probe = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
    try {
      // The probe is scheduled before the bomb starts: if the bomb holds the event loop, the
      // probe's timer cannot even fire until it is done.
      const scheduledAt = performance.now() + 100;
      const answered = new Promise<number>((resolve, reject) => {
        const probeOnce = async () => {
          await (await fetch(url)).text();
          resolve(performance.now());
        };
        setTimeout(() => void probeOnce().catch(reject), 100);
      });
      const err = errorOf(
        as(viewer).policies.test({ rules: [bomb, DEFAULT_RULES[0]!], request: req({ risk: "low", payload: { xs } }) }),
      );
      // Liveness bound, not a speed claim: an idle process answers in milliseconds.
      expect((await answered) - scheduledAt).toBeLessThan(1_000);
      const e = await err;
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toMatch(/^rules\.0\.condition: rule "bomb" exceeded the evaluation budget/);
    } finally {
      probe.close();
    }
  });

  it("in a real decision an overrun fails closed: a slow deny rule cannot be skipped to reach an auto-approve after it", async () => {
    const slowDeny: PolicyRule = {
      ...bomb,
      id: "slow-deny",
      name: "Deny big jobs",
      outcome: { type: "deny", reason: "too big" },
    };
    const v = await evaluatePolicy([slowDeny, DEFAULT_RULES[0]!], 7, req({ risk: "low", payload: { xs } }));
    expect(v.ruleId).toBeNull();
    expect(v.outcome).toEqual({
      type: "require_approval",
      role: "approver",
      approvalsNeeded: 1,
      allowSelfApproval: false,
    });
    expect(v.ruleName).toMatch(/rule "slow-deny" overran/);
    expect(v.trace[0]).toMatchObject({ ruleId: "slow-deny", matched: false, overrun: true });
    expect(v.trace[0]?.error).toMatch(/exceeded the evaluation budget/);
  });

  it("in a real decision a rule before the one that overran still wins (first match)", async () => {
    const v = await evaluatePolicy([DEFAULT_RULES[0]!, bomb], 7, req({ risk: "low", payload: { xs } }));
    expect(v.ruleId).toBe("low-risk");
  });

  it("a real decision does not queue behind a bomb in the test box", async () => {
    let bombSettled = false;
    const bombing = errorOf(as(viewer).policies.test({ rules: [bomb], request: req({ payload: { xs } }) })).finally(
      () => (bombSettled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    const v = await evaluatePolicy(DEFAULT_RULES, 0, req({ risk: "high" }));
    expect(v.ruleId).toBe("high-risk");
    expect(bombSettled).toBe(false);
    expect((await bombing).code).toBe("BAD_REQUEST");
  });

  it("refuses a request whose payload is larger than the cap, naming the field", async () => {
    const big = { blob: "x".repeat(70 * 1024) };
    const e = await errorOf(as(viewer).policies.test({ rules: DEFAULT_RULES, request: { payload: big } }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/request\.payload.*at most 65536 bytes/);
  });
});
