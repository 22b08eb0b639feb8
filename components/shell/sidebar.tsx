"use client";

import {
  Bell,
  Coins,
  KeyRound,
  LayoutDashboard,
  LogOut,
  Play,
  Scale,
  ScrollText,
  Settings,
  ShieldCheck,
  Wallet,
  Workflow,
  type LucideIcon,
} from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { ApprovalsIndicator } from "@/components/approvals/approvals-indicator";
import { NotificationsIndicator } from "@/components/governance/notifications-indicator";
import { cn } from "@/components/ui/cn";
import { NAV } from "./nav";
import { ThemeToggle } from "./theme-toggle";

const ICONS: Record<string, LucideIcon> = {
  LayoutDashboard,
  Play,
  ShieldCheck,
  Wallet,
  Coins,
  Bell,
  Scale,
  Workflow,
  ScrollText,
  Settings,
};

export function Sidebar({
  user,
  permissions,
}: {
  user: { email: string; name: string; role: string };
  permissions: string[];
}) {
  const pathname = usePathname();
  const items = NAV.filter((i) => permissions.includes(i.permission));
  return (
    <aside className="flex w-60 shrink-0 flex-col border-r border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="flex h-14 items-center gap-2 px-5">
        <div className="grid h-7 w-7 place-items-center rounded-md bg-brand-600 text-sm font-bold text-white">w</div>
        <span className="text-base font-semibold tracking-tight">wflo</span>
      </div>
      <nav aria-label="Main" className="flex-1 space-y-0.5 px-3 py-2">
        {items.map((item) => {
          const Icon = ICONS[item.icon] ?? LayoutDashboard;
          const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
          return (
            <Link
              key={item.href}
              href={item.href}
              aria-current={active ? "page" : undefined}
              className={cn(
                "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium",
                active
                  ? "bg-brand-50 text-brand-700 dark:bg-brand-700/20 dark:text-brand-100"
                  : "text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100",
              )}
            >
              <Icon className="h-4 w-4" aria-hidden />
              {item.label}
              {item.href === "/notifications" ? <NotificationsIndicator /> : null}
              {item.href === "/approvals" ? <ApprovalsIndicator /> : null}
            </Link>
          );
        })}
      </nav>
      <div className="border-t border-slate-200 p-3 dark:border-slate-800">
        <div className="flex items-center justify-between gap-2 px-2 py-1">
          <div className="min-w-0">
            <div className="truncate text-sm font-medium" data-testid="current-user">
              {user.name || user.email}
            </div>
            <div className="truncate text-xs text-slate-500 dark:text-slate-400">
              {user.email} · <span data-testid="current-role">{user.role}</span>
            </div>
          </div>
          <ThemeToggle />
        </div>
        <Link
          href="/settings/account"
          className="mt-2 flex w-full items-center gap-3 rounded-md px-3 py-2 text-sm text-slate-600 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-800"
        >
          <KeyRound className="h-4 w-4" aria-hidden /> Your account
        </Link>
        <button
          type="button"
          onClick={() => void signOut({ callbackUrl: "/signin" })}
          className="flex w-full items-center gap-3 rounded-md px-3 py-2 text-sm text-slate-600 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-800"
        >
          <LogOut className="h-4 w-4" aria-hidden /> Sign out
        </button>
      </div>
    </aside>
  );
}
