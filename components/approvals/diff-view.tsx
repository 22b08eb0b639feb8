import { cn } from "@/components/ui/cn";

const show = (v: unknown) => (v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));

/** A step's proposed change, field by field: what is there now and what it will be. */
export function DiffView({ before, after }: { before: Record<string, unknown>; after: Record<string, unknown> }) {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return (
    <table className="w-full text-sm" data-testid="approval-diff">
      <thead>
        <tr className="text-left text-xs uppercase tracking-wide text-slate-500">
          <th className="py-1.5 pr-4 font-medium">Field</th>
          <th className="py-1.5 pr-4 font-medium">Now</th>
          <th className="py-1.5 font-medium">After</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 font-mono text-xs dark:divide-slate-800">
        {keys.map((k) => {
          const changed = show(before[k]) !== show(after[k]);
          return (
            <tr key={k}>
              <td className="py-1.5 pr-4 text-slate-500">{k}</td>
              <td
                className={cn(
                  "py-1.5 pr-4",
                  changed && "text-rose-700 line-through decoration-rose-400/60 dark:text-rose-300",
                )}
              >
                {show(before[k])}
              </td>
              <td className={cn("py-1.5", changed && "font-semibold text-emerald-700 dark:text-emerald-300")}>
                {show(after[k])}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
