import { ROLES, type Role } from "@/db/schema";

/**
 * The one role -> permission map. Each role lists what it adds; a role also has
 * everything of the roles below it (viewer < operator < approver < admin).
 * The "Roles and permissions" table in docs/roles-and-audit.md is this map, written out.
 */
const ADDED_BY_ROLE = {
  viewer: [
    // One's own account: change one's password, sign out everywhere.
    "account:manage",
    "dashboard:read",
    "runs:read",
    "approvals:read",
    "budgets:read",
    "policies:read",
    "workflows:read",
  ],
  operator: ["runs:trigger", "runs:cancel", "runs:rerun", "guards:reset", "usage:record"],
  approver: ["approvals:decide"],
  admin: ["users:read", "users:manage", "audit:read", "budgets:manage", "policies:manage", "settings:manage"],
} as const satisfies Record<Role, readonly string[]>;

export type Permission = (typeof ADDED_BY_ROLE)[Role][number];

export const ALL_PERMISSIONS: readonly Permission[] = ROLES.flatMap((r) => ADDED_BY_ROLE[r]);

function inherited(role: Role): ReadonlySet<Permission> {
  return new Set(ROLES.slice(0, ROLES.indexOf(role) + 1).flatMap((r): readonly Permission[] => ADDED_BY_ROLE[r]));
}

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  viewer: inherited("viewer"),
  operator: inherited("operator"),
  approver: inherited("approver"),
  admin: inherited("admin"),
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}
