import { Badge } from "@/components/ui/badge";
import { LIMITS, type Policy, type ProviderInfo, humanHint } from "./sandbox-policy-model";
import { FixedRules, Hint, ProviderLine, Section } from "./sandbox-policy-parts";

/** The policy as everyone sees it: providers (and whether each can run here), languages, defaults and maximums. */
export function PolicyView({ policy, providers }: { policy: Policy; providers: ProviderInfo[] | undefined }) {
  return (
    <div className="space-y-5 px-5 py-4">
      <div className="grid gap-5 md:grid-cols-2">
        <Section title="Providers allowed">
          <ul className="space-y-1" data-testid="sandbox-providers">
            {policy.providers.map((p) => (
              <ProviderLine key={p} name={p} info={providers?.find((i) => i.name === p)} />
            ))}
          </ul>
        </Section>
        <Section title="Languages">
          <div className="flex flex-wrap gap-1.5" data-testid="sandbox-languages">
            {policy.languages.map((l) => (
              <Badge key={l}>{l}</Badge>
            ))}
          </div>
        </Section>
      </div>
      <Section title="Limits">
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="sandbox-limits">
            <thead>
              <tr className="text-left text-xs text-slate-500 dark:text-slate-400">
                <th className="py-1 pr-6 font-medium">Limit</th>
                <th className="py-1 pr-6 font-medium">Default</th>
                <th className="py-1 font-medium">Maximum a step may ask for</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {LIMITS.map((l) => (
                <tr key={l.key} data-testid={`sandbox-limit-${l.key}`}>
                  <td className="py-1.5 pr-6">{l.label}</td>
                  <td className="py-1.5 pr-6 tabular-nums">
                    {policy.defaults[l.key].toLocaleString("en-US")} {l.unit}{" "}
                    <Hint text={humanHint(l, policy.defaults[l.key])} />
                  </td>
                  <td className="py-1.5 tabular-nums">
                    {policy.maximums[l.key].toLocaleString("en-US")} {l.unit}{" "}
                    <Hint text={humanHint(l, policy.maximums[l.key])} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <FixedRules />
    </div>
  );
}
