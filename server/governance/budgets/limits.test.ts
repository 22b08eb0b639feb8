import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, budgets, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createApiKey, revokeApiKey } from "@/server/apikeys/service";
import { appRouter } from "@/server/api/root";
import { createInnerContext } from "@/server/api/trpc";
import { usdToNano } from "@/server/governance/money";
import { triggerInput } from "@/server/runs/schemas";
import { createBudgetInput, type CreateBudgetInput } from "./schemas";
import { createBudget } from "./service";

/**
 * Issue 13, finding 10: a budget limit of 0.0000000001 became a $0 global budget that blocked
 * every call, and a budget on workflow "helo" (a typo) was stored and never matched anything.
 * Money limits must be at least one nano-dollar and exact; scope values must name something
 * that exists (tags and agents are free labels).
 */

let fresh: FreshDb;
let userId: string;
let keyId: string;
let revokedKeyId: string;

beforeAll(async () => {
  fresh = await freshDatabase();
  const [u] = await fresh.db
    .insert(users)
    .values({ email: "ana@example.com", role: "admin", passwordHash: "x" })
    .returning();
  userId = u!.id;
  const creator = { id: u!.id, email: u!.email, role: "admin" as const };
  keyId = (await createApiKey(fresh.db, creator, { name: "bot", role: "operator" })).key.id;
  revokedKeyId = (await createApiKey(fresh.db, creator, { name: "old bot", role: "operator" })).key.id;
  await revokeApiKey(fresh.db, creator, revokedKeyId);
});
afterAll(async () => fresh?.drop());

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error");
}
const count = async () => (await fresh.db.select().from(budgets)).length;
/**
 * Through the procedure, as the panel sends it: the schema's rules first, then the service's
 * against the workflows the test app serves (hello, research-assistant, ...).
 */
const asAdmin = () =>
  appRouter.createCaller(
    createInnerContext({ db: fresh.db, user: { id: userId, email: "ana@example.com", name: "Ana", role: "admin" } }),
  );
const create = (input: Record<string, unknown>) =>
  asAdmin().governance.budgets.create({ name: "b", period: "day", ...input } as CreateBudgetInput);

describe("money limits are at least one nano-dollar and exact", () => {
  it.each([
    [0.0000000001, "limitUsd: limitUsd must be a decimal amount of US dollars with at most 9 decimals"],
    ["0.0000000001", "limitUsd: limitUsd must be a decimal amount of US dollars with at most 9 decimals"],
    [1.0000000001, "limitUsd: limitUsd must be a decimal amount of US dollars with at most 9 decimals"],
    [1e-10, "limitUsd: limitUsd must be a decimal amount of US dollars with at most 9 decimals"],
    [0, "limitUsd: limitUsd must be more than 0 (at least 0.000000001, one nano-dollar)"],
    ["0.000", "limitUsd: limitUsd must be more than 0 (at least 0.000000001, one nano-dollar)"],
  ])("a global budget of %s is refused naming limitUsd; nothing stored", async (limitUsd, message) => {
    const before = await count();
    expect(await messageOf(create({ scope: "global", limitUsd }))).toContain(message);
    expect(await count()).toBe(before);
  });

  it("one nano-dollar, and binary noise of an exact amount (0.1 + 0.2), are accepted exactly", async () => {
    expect((await create({ scope: "global", period: "hour", limitUsd: "0.000000001" })).limitNano).toBe(1n);
    expect((await create({ scope: "global", period: "week", limitUsd: 0.1 + 0.2 })).limitNano).toBe(300_000_000n);
    expect(usdToNano(0.000000001, "x")).toBe(1n);
  });

  it("the parser itself refuses a number with more than 9 decimals instead of rounding it", () => {
    expect(() => usdToNano(0.0000000015, "amountUsd")).toThrow(
      /^amountUsd: must be a decimal amount of US dollars with at most 9 decimals/,
    );
  });

  it("a run's budgetUsd and a guard's burnLimitUsd refuse sub-nano amounts too", async () => {
    const r = triggerInput.safeParse({ workflowId: "hello", budgetUsd: 0.0000000015 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(
      /^budgetUsd must be a decimal amount of US dollars with at most 9 decimals/,
    );
    const g = await messageOf(
      asAdmin().governance.guards.set({
        workflowId: "hello",
        expectedVersion: 0,
        maxLlmCallsPerRun: null,
        maxStepsPerRun: null,
        maxIdenticalCalls: null,
        burnWindowMinutes: 5,
        burnLimitUsd: 1e-10,
      }),
    );
    expect(g).toMatch(/burnLimitUsd: burnLimitUsd must be a decimal amount of US dollars with at most 9 decimals/);
  });
});

describe("budget scope values name something that exists", () => {
  it("a workflow budget must name a served workflow", async () => {
    const before = await count();
    // The service itself, given the workflows an app serves (the router gives it the catalog's).
    const served = (input: Record<string, unknown>) =>
      createBudget(
        fresh.db,
        { id: userId, email: "ana@example.com" },
        createBudgetInput.parse({ name: "b", period: "day", ...input }),
        ["hello", "research-assistant"],
      );
    expect(await messageOf(served({ scope: "workflow", scopeValue: "helo", limitUsd: 5 }))).toBe(
      'scopeValue: no workflow named "helo"; this app serves hello, research-assistant',
    );
    expect(await count()).toBe(before);
    expect(await served({ scope: "workflow", scopeValue: "hello", limitUsd: 5 })).toMatchObject({
      scope: "workflow",
      scopeValue: "hello",
    });
  });

  it("a user budget must name an existing user, by id or email (stored as the id)", async () => {
    expect(
      await messageOf(create({ scope: "user", scopeValue: "00000000-0000-4000-8000-000000000000", limitUsd: 5 })),
    ).toBe('scopeValue: no user with id "00000000-0000-4000-8000-000000000000"');
    expect(await messageOf(create({ scope: "user", scopeValue: "nobody@example.com", limitUsd: 5 }))).toBe(
      'scopeValue: no user with email "nobody@example.com"',
    );
    expect(await messageOf(create({ scope: "user", scopeValue: "ana", limitUsd: 5 }))).toBe(
      'scopeValue: a user budget names a user by id (a UUID) or email; "ana" is neither',
    );
    expect(await create({ scope: "user", scopeValue: "ANA@example.com", limitUsd: 5 })).toMatchObject({
      scopeValue: userId,
    });
  });

  it("an API key budget must name an existing, unrevoked key", async () => {
    expect(
      await messageOf(create({ scope: "api_key", scopeValue: "00000000-0000-4000-8000-000000000000", limitUsd: 5 })),
    ).toBe('scopeValue: no API key with id "00000000-0000-4000-8000-000000000000"');
    expect(await messageOf(create({ scope: "api_key", scopeValue: revokedKeyId, limitUsd: 5 }))).toBe(
      `scopeValue: API key "old bot" (${revokedKeyId}) is revoked`,
    );
    expect(await create({ scope: "api_key", scopeValue: keyId, limitUsd: 5 })).toMatchObject({ scopeValue: keyId });
    expect((await fresh.db.select().from(apiKeys).where(eq(apiKeys.id, keyId))).length).toBe(1);
  });

  it("tags and agents are free labels", async () => {
    expect(await create({ scope: "tag", scopeValue: "experiment-7", limitUsd: 5 })).toMatchObject({
      scopeValue: "experiment-7",
    });
    expect(await create({ scope: "agent", scopeValue: "writer", limitUsd: 5 })).toMatchObject({ scopeValue: "writer" });
  });
});
