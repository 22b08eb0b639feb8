import { cn } from "@/components/ui/cn";

/** Pretty JSON in a scrollable block; long values stay inside their card. */
export function JsonView({
  value,
  className,
  tone = "plain",
}: {
  value: unknown;
  className?: string;
  tone?: "plain" | "error";
}) {
  const text = value === undefined ? "—" : JSON.stringify(value, null, 2);
  return (
    <pre
      className={cn(
        "max-h-80 overflow-auto whitespace-pre-wrap break-words rounded-md border px-3 py-2 font-mono text-xs leading-relaxed",
        tone === "error"
          ? "border-rose-200 bg-rose-50 text-rose-800 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-200"
          : "border-slate-200 bg-slate-50 text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300",
        className,
      )}
    >
      {text}
    </pre>
  );
}
