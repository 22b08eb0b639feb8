import type { Permission } from "@/server/auth/permissions";

export type NavItem = { href: string; label: string; icon: string; permission: Permission };

/** The sidebar mirrors the server's rules: an item shows only when its page's permission is held. */
export const NAV: readonly NavItem[] = [
  { href: "/", label: "Dashboard", icon: "LayoutDashboard", permission: "dashboard:read" },
  { href: "/runs", label: "Runs", icon: "Play", permission: "runs:read" },
  { href: "/approvals", label: "Approvals", icon: "ShieldCheck", permission: "approvals:read" },
  { href: "/budgets", label: "Budgets", icon: "Wallet", permission: "budgets:read" },
  { href: "/models", label: "Models & prices", icon: "Coins", permission: "budgets:read" },
  { href: "/notifications", label: "Notifications", icon: "Bell", permission: "dashboard:read" },
  { href: "/policies", label: "Policies", icon: "Scale", permission: "policies:read" },
  { href: "/workflows", label: "Workflows", icon: "Workflow", permission: "workflows:read" },
  { href: "/audit", label: "Audit", icon: "ScrollText", permission: "audit:read" },
  { href: "/settings", label: "Settings", icon: "Settings", permission: "dashboard:read" },
];
