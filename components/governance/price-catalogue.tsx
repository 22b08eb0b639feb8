import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Input, Select } from "@/components/ui/form";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";

const PAGE = 50;
/** A per-million-token rate as the catalogue shows it: dollars, or a dash when the model has none. */
const rate = (v: string | null) => (v === null ? <span className="text-slate-400">—</span> : `$${v}`);

/** Search the price catalogue: dollars per million tokens for each kind of token. */
export function Catalogue() {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const [provider, setProvider] = useState("");
  const [offset, setOffset] = useState(0);
  const deferred = useDeferredValue(query);
  const { data } = useQuery({
    ...trpc.governance.models.search.queryOptions({
      query: deferred,
      provider: provider || undefined,
      limit: PAGE,
      offset,
    }),
    placeholderData: keepPreviousData,
  });
  return (
    <Card>
      <CardHeader
        title="Price catalogue"
        description="From @pydantic/genai-prices, bundled with wflo; USD per million tokens. Admin overrides win over these."
      />
      <div className="flex flex-wrap gap-3 px-5 py-3">
        <Input
          aria-label="Search models"
          placeholder="Search models, e.g. gpt-4o or claude sonnet"
          className="max-w-md"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setOffset(0);
          }}
        />
        <Select
          aria-label="Provider"
          className="max-w-56"
          value={provider}
          onChange={(e) => {
            setProvider(e.target.value);
            setOffset(0);
          }}
        >
          <option value="">All providers</option>
          {(data?.providers ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </Select>
        <span className="self-center text-sm text-slate-500" data-testid="catalogue-total">
          {data ? `${data.total.toLocaleString()} model${data.total === 1 ? "" : "s"}` : "…"}
        </span>
      </div>
      <Table>
        <thead>
          <tr>
            <Th>Model</Th>
            <Th className="text-right">Input</Th>
            <Th className="text-right">Cached input</Th>
            <Th className="text-right">Cache write</Th>
            <Th className="text-right">Output</Th>
            <Th className="text-right">Reasoning</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {data && data.items.length === 0 ? <EmptyRow colSpan={6}>No model matches.</EmptyRow> : null}
          {(data?.items ?? []).map((m) => (
            <Tr key={`${m.provider}/${m.model}`}>
              <Td>
                <div className="font-mono text-xs">
                  {m.provider}/{m.model}
                </div>
                <div className="flex flex-wrap gap-1 text-xs text-slate-500">
                  {m.name !== m.model ? m.name : null}
                  {m.provider === "simulated" ? <Badge tone="violet">simulated</Badge> : null}
                  {m.overridden ? <Badge tone="blue">overridden</Badge> : null}
                  {m.variable ? <Badge>tiered / timed</Badge> : null}
                  {m.deprecated ? <Badge tone="amber">deprecated</Badge> : null}
                </div>
              </Td>
              <Td className="text-right tabular-nums">{rate(m.rates.input)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.cachedInput)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.cacheWrite)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.output)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.reasoning)}</Td>
            </Tr>
          ))}
        </tbody>
      </Table>
      {data && data.total > PAGE ? (
        <div className="flex items-center justify-between px-5 py-3 text-sm text-slate-500">
          <span>
            {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
          </span>
          <div className="flex gap-2">
            <Button variant="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous
            </Button>
            <Button variant="secondary" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
              Next
            </Button>
          </div>
        </div>
      ) : null}
    </Card>
  );
}
