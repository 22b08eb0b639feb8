import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, type Role } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type ProcedureMeta, type SessionUser } from "@/server/api/trpc";
import { can } from "./permissions";

/**
 * Calls every procedure in the router as every role (and signed out), and checks the
 * outcome against the permission map. A procedure without a permission (or an explicit
 * public marker) fails here, so nothing new can ship unchecked.
 */
type AnyProcedure = { _def: { meta?: ProcedureMeta; type: string } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>);

let fresh: FreshDb;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => fresh.drop());

function userFor(role: Role): SessionUser {
  return {
    id: `00000000-0000-4000-8000-00000000000${ROLES.indexOf(role)}`,
    email: `${role}@example.com`,
    name: role,
    role,
  };
}

async function outcome(path: string, user: SessionUser | null): Promise<string> {
  const caller = appRouter.createCaller(createInnerContext({ db: fresh.db, user }));
  let target: unknown = caller;
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  try {
    // An empty input: allowed callers get past the gate and usually fail validation, which counts as allowed.
    await (target as (input: unknown) => Promise<unknown>)({});
    return "allowed";
  } catch (e) {
    if (e instanceof TRPCError && (e.code === "UNAUTHORIZED" || e.code === "FORBIDDEN")) return e.code;
    return "allowed";
  }
}

describe("permission matrix", () => {
  it("covers a non-trivial router", () => {
    expect(procedures.length).toBeGreaterThan(5);
  });

  for (const [path, proc] of procedures) {
    const meta = proc._def.meta ?? {};
    it(`${path} declares a permission or is explicitly public`, () => {
      expect(meta.permission !== undefined || meta.public === true, `${path} has no permission check`).toBe(true);
    });
    if (meta.public) {
      it(`${path} is reachable by everyone`, async () => {
        expect(await outcome(path, null)).toBe("allowed");
      });
      continue;
    }
    const permission = meta.permission;
    if (!permission) continue;
    it(`${path} refuses anonymous callers`, async () => {
      expect(await outcome(path, null)).toBe("UNAUTHORIZED");
    });
    for (const role of ROLES) {
      const expected = can(role, permission) ? "allowed" : "FORBIDDEN";
      it(`${path} as ${role} -> ${expected}`, async () => {
        expect(await outcome(path, userFor(role))).toBe(expected);
      });
    }
  }
});
