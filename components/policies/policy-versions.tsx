import { useQuery } from "@tanstack/react-query";
import { LocalTime } from "@/components/runs/time";
import { useTRPC } from "@/components/trpc/client";
import { Card, CardHeader } from "@/components/ui/card";

/** The CEL variables a condition may use, with what each means. */
export function PolicyVariables({ variables }: { variables: Record<string, string> | undefined }) {
  return (
    <Card>
      <CardHeader title="Variables" />
      <dl className="grid grid-cols-[7rem_1fr] gap-y-1 px-5 py-4 text-xs">
        {Object.entries(variables ?? {}).map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="font-mono">{k}</dt>
            <dd className="text-slate-500">{v}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

/** Every saved version of the policy, newest first, and the built-in version 0. */
export function PolicyVersions() {
  const trpc = useTRPC();
  const versions = useQuery(trpc.policies.versions.queryOptions());
  return (
    <Card>
      <CardHeader title="Versions" />
      <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
        {(versions.data ?? []).map((v) => (
          <li key={v.version} className="px-5 py-2.5">
            <div className="flex justify-between">
              <span className="font-medium">v{v.version}</span>
              <span className="text-xs text-slate-500">
                <LocalTime date={v.createdAt} />
              </span>
            </div>
            <div className="text-xs text-slate-500">
              {v.createdByEmail} · {v.rules} rules{v.note ? ` · ${v.note}` : ""}
            </div>
          </li>
        ))}
        <li className="px-5 py-2.5 text-xs text-slate-500">v0 · built-in risk routing</li>
      </ul>
    </Card>
  );
}
