import { Badge, type Tone } from "./badge";
import { cn } from "./cn";

/**
 * How each value of a status looks, one table per domain (runs, approvals, risk): its tone, or
 * its tone and a label where the value itself does not read well ("auto_approved").
 */
export type StatusLooks<S extends string> = Record<S, Tone | readonly [Tone, string]>;

/**
 * A status as a pill, the one way the panel shows one. `testId` goes on the label, so a test
 * reads exactly the words a person sees; `dot` adds a leading mark ("pulse" for states still moving).
 */
export function StatusPill<S extends string>({
  status,
  looks,
  label,
  testId,
  dot,
}: {
  status: S;
  looks: StatusLooks<S>;
  /** Overrides the table's label (e.g. a run waiting for a named event). */
  label?: string;
  testId?: string;
  dot?: "solid" | "pulse" | "dim";
}) {
  const look = looks[status];
  const [tone, name] = typeof look === "string" ? [look, status] : look;
  return (
    <Badge tone={tone} className="gap-1.5 whitespace-nowrap">
      {dot && (
        <span
          aria-hidden
          className={cn(
            "h-1.5 w-1.5 rounded-full bg-current",
            dot === "pulse" && "animate-pulse",
            dot === "dim" && "opacity-50",
          )}
        />
      )}
      <span data-testid={testId}>{label ?? name}</span>
    </Badge>
  );
}
