import { cn } from "@/components/ui/cn";
import { percentOf, usd } from "./money";

/** Spend against a limit: green, amber from 80 %, red at 100 %. Reserved money (calls in flight) is shown lighter. */
export function SpendBar({
  spent,
  reserved = 0n,
  limit,
  label,
}: {
  spent: bigint;
  reserved?: bigint;
  limit: bigint;
  label: string;
}) {
  const pct = percentOf(spent, limit);
  const held = Math.min(100 - Math.min(pct, 100), percentOf(reserved, limit));
  const tone = pct >= 100 ? "bg-rose-500" : pct >= 80 ? "bg-amber-500" : "bg-emerald-500";
  return (
    <div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(100, Math.round(pct))}
        aria-valuetext={`${usd(spent)} of ${usd(limit)}`}
        className="flex h-2 w-full overflow-hidden rounded-full bg-slate-100 dark:bg-slate-800"
      >
        <div className={cn("h-full", tone)} style={{ width: `${Math.min(100, pct)}%` }} />
        {held > 0 ? <div className={cn("h-full opacity-40", tone)} style={{ width: `${held}%` }} /> : null}
      </div>
      <div className="mt-1 flex justify-between text-xs tabular-nums text-slate-500 dark:text-slate-400">
        <span>
          {usd(spent)} of {usd(limit)}
          {reserved > 0n ? ` · ${usd(reserved)} held` : ""}
        </span>
        <span className={cn(pct >= 100 && "font-semibold text-rose-600 dark:text-rose-400")}>
          {pct.toFixed(pct < 10 ? 1 : 0)}%
        </span>
      </div>
    </div>
  );
}
