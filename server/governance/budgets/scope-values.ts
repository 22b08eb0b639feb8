import { eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { apiKeys, users, type BudgetScope } from "@/db/schema";
import { fieldError } from "@/server/errors";

/**
 * A budget's scope value must name something a call can carry, or the budget silently never
 * applies (a budget on workflow "helo" matched nothing). Workflows must be ones this app serves
 * (the caller passes the catalog's ids: the domain does not import the workflows), users and
 * API keys must exist (a user may be named by email; the id is stored, since calls carry ids),
 * and agents and tags are free labels that a call sets itself.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const refuse = (message: string): never => {
  throw fieldError("bad_request", "scopeValue", `${message}`);
};

/** The value to store for `scope`, or a DomainError naming scopeValue. */
export async function resolveScopeValue(
  db: DbOrTx,
  scope: BudgetScope,
  value: string,
  servedWorkflows: readonly string[],
): Promise<string> {
  switch (scope) {
    case "workflow":
      if (!servedWorkflows.includes(value))
        refuse(
          `no workflow named ${JSON.stringify(value)}; this app serves ${servedWorkflows.join(", ") || "no workflows"}`,
        );
      return value;
    case "user": {
      if (UUID.test(value)) {
        const [u] = await db.select({ id: users.id }).from(users).where(eq(users.id, value));
        return u?.id ?? refuse(`no user with id ${JSON.stringify(value)}`);
      }
      if (value.includes("@")) {
        const [u] = await db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${value})`);
        return u?.id ?? refuse(`no user with email ${JSON.stringify(value)}`);
      }
      return refuse(`a user budget names a user by id (a UUID) or email; ${JSON.stringify(value)} is neither`);
    }
    case "api_key": {
      if (!UUID.test(value))
        return refuse(
          `an API key budget names a key by its id (a UUID, on the API keys page); ${JSON.stringify(value)} is not one`,
        );
      const [k] = await db
        .select({ id: apiKeys.id, name: apiKeys.name, revokedAt: apiKeys.revokedAt })
        .from(apiKeys)
        .where(eq(apiKeys.id, value));
      if (!k) return refuse(`no API key with id ${JSON.stringify(value)}`);
      if (k.revokedAt) return refuse(`API key ${JSON.stringify(k.name)} (${k.id}) is revoked`);
      return k.id;
    }
    case "global":
    case "agent":
    case "tag":
      return value;
  }
}
