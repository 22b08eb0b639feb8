import type { Role } from "@/db/schema";

/**
 * Who is acting: THE one type every path hands to the services. The panel's tRPC context makes a
 * user principal from the session; the REST layer (and OTLP intake) make a key principal from the
 * API key. A service that acts on a workflow's runs reads the key's scope from here itself
 * (server/apikeys/scope.ts), so no handler has to remember to check it.
 */

/** A signed-in person. `kind` may be left out: a principal without it is a user. */
export type UserPrincipal = {
  kind?: "user";
  id: string;
  email: string;
  name: string;
  role: Role;
  /** Set while the user must replace a generated or admin-reset password (server/users/account.ts). */
  mustChangePassword?: boolean;
};

/**
 * An API key: it acts with its own role under its own id (what the audit log and the run record),
 * for its creator in separation of duties and N-of-M counting, and only on its workflows.
 */
export type ApiKeyPrincipal = {
  kind: "api_key";
  /** The key's id. */
  id: string;
  /** How the audit log names it: "api-key:<name> (<prefix>…)". */
  email: string;
  /** The key's name. */
  name: string;
  role: Role;
  /** The workflows it is limited to (null = all; enforced by server/apikeys/scope.ts). */
  workflowIds: readonly string[] | null;
  /** The user the key acts for (null: a key no user created). */
  createdById: string | null;
};

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** The workflows a principal may act on: null for every workflow (people, unscoped keys). */
export function workflowScopeOf(p: Principal): readonly string[] | null {
  return p.kind === "api_key" ? p.workflowIds : null;
}
