import { useQuery } from "@tanstack/react-query";
import { Save } from "lucide-react";
import { useState } from "react";
import { JsonView } from "@/components/runs/json-view";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Label, Select } from "@/components/ui/form";
import { type Checkpoint, cpKey, type ForkFrom } from "./types";

/** The run's checkpoints: each state, a path-by-path diff of two versions, and forking from one. */
export function CheckpointsCard({
  items,
  runId,
  canFork,
  onFork,
}: {
  items: Checkpoint[];
  runId: string;
  canFork: boolean;
  onFork: (f: ForkFrom) => void;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const trpc = useTRPC();
  const parse = (k: string) => {
    const cp = items.find((c) => cpKey(c) === k);
    return cp ? { name: cp.name, version: cp.version } : null;
  };
  const pa = parse(a);
  const pb = parse(b);
  const diff = useQuery({
    ...trpc.recovery.diff.queryOptions({
      runId,
      a: pa ?? { name: "-", version: 1 },
      b: pb ?? { name: "-", version: 1 },
    }),
    enabled: Boolean(pa && pb),
  });
  const shown = items.find((c) => cpKey(c) === open);

  return (
    <Card data-testid="checkpoints">
      <CardHeader
        title={`Checkpoints (${items.length})`}
        description="State the workflow saved with wflo.checkpoint; fork from one to continue from there."
      />
      {items.length === 0 ? (
        <p className="px-5 py-6 text-center text-sm text-slate-500">This run saved no checkpoints.</p>
      ) : (
        <div className="space-y-4 px-5 py-4">
          <ul className="divide-y divide-slate-100 dark:divide-slate-800">
            {items.map((c) => (
              <li
                key={cpKey(c)}
                className="flex flex-wrap items-center justify-between gap-2 py-2"
                data-testid={`checkpoint-${c.name}-v${c.version}`}
              >
                <button
                  type="button"
                  className="flex items-center gap-2 text-left text-sm"
                  onClick={() => setOpen(open === cpKey(c) ? null : cpKey(c))}
                >
                  <Save className="h-4 w-4 text-slate-400" aria-hidden />
                  <span className="font-medium">{c.name}</span>
                  <Badge>v{c.version}</Badge>
                </button>
                {canFork ? (
                  <Button
                    variant="secondary"
                    onClick={() => onFork({ kind: "checkpoint", name: c.name, version: c.version, state: c.state })}
                  >
                    Fork from here
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
          {shown ? (
            <div>
              <div className="mb-1 text-xs font-medium text-slate-500">
                State of {shown.name} v{shown.version}
              </div>
              <JsonView value={shown.state} />
            </div>
          ) : null}
          {items.length > 1 ? (
            <div className="space-y-2">
              <div className="grid grid-cols-2 gap-2">
                <div>
                  <Label htmlFor="diff-a">Compare</Label>
                  <Select id="diff-a" value={a} onChange={(e) => setA(e.target.value)}>
                    <option value="">—</option>
                    {items.map((c) => (
                      <option key={cpKey(c)} value={cpKey(c)}>
                        {c.name} v{c.version}
                      </option>
                    ))}
                  </Select>
                </div>
                <div>
                  <Label htmlFor="diff-b">with</Label>
                  <Select id="diff-b" value={b} onChange={(e) => setB(e.target.value)}>
                    <option value="">—</option>
                    {items.map((c) => (
                      <option key={cpKey(c)} value={cpKey(c)}>
                        {c.name} v{c.version}
                      </option>
                    ))}
                  </Select>
                </div>
              </div>
              {diff.error ? <p className="text-sm text-rose-600">{errorMessage(diff.error)}</p> : null}
              {diff.data ? (
                diff.data.changes.length === 0 ? (
                  <p className="text-sm text-slate-500">No differences.</p>
                ) : (
                  <table className="w-full text-left text-xs" data-testid="checkpoint-diff">
                    <thead className="text-slate-500">
                      <tr>
                        <th className="py-1">Path</th>
                        <th>Before</th>
                        <th>After</th>
                      </tr>
                    </thead>
                    <tbody className="font-mono">
                      {diff.data.changes.map((d) => (
                        <tr key={d.path} className="border-t border-slate-100 align-top dark:border-slate-800">
                          <td className="py-1 pr-2">{d.path}</td>
                          <td className="pr-2 text-rose-600">{"before" in d ? short(d.before) : "—"}</td>
                          <td className="text-emerald-600">{"after" in d ? short(d.after) : "—"}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )
              ) : null}
            </div>
          ) : null}
        </div>
      )}
    </Card>
  );
}

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? "undefined";
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};
