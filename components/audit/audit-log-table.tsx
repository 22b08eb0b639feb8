"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";

export function AuditLogTable() {
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ limit: 50 }, { getNextPageParam: (p) => p.nextCursor }),
  );
  const verify = useQuery({ ...trpc.audit.verify.queryOptions(), enabled: false });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Card>
      <CardHeader
        title="Entries"
        action={
          <div className="flex items-center gap-3">
            {verify.data ? (
              verify.data.ok ? (
                <Badge tone="green">Chain intact · {verify.data.rows} entries</Badge>
              ) : (
                <Badge tone="red">
                  Chain broken at entry {verify.data.brokenAtId}: {verify.data.reason}
                </Badge>
              )
            ) : null}
            <Button variant="secondary" onClick={() => void verify.refetch()} disabled={verify.isFetching}>
              {verify.isFetching ? "Verifying…" : "Verify chain"}
            </Button>
          </div>
        }
      />
      <Table>
        <thead>
          <tr>
            <Th>#</Th>
            <Th>When</Th>
            <Th>Who</Th>
            <Th>Action</Th>
            <Th>Target</Th>
            <Th>Change</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.length === 0 && !list.isLoading ? <EmptyRow colSpan={6}>No entries yet.</EmptyRow> : null}
          {rows.map((r) => (
            <Tr key={r.id}>
              <Td className="tabular-nums text-slate-500">{r.id}</Td>
              <Td className="whitespace-nowrap text-slate-500">{new Date(r.at).toLocaleString()}</Td>
              <Td>{r.actorEmail}</Td>
              <Td>
                <Badge tone="blue">{r.action}</Badge>
              </Td>
              <Td className="font-mono text-xs">
                {r.targetType}:{r.targetId.slice(0, 8)}
              </Td>
              <Td
                className="max-w-md truncate font-mono text-xs text-slate-500"
                title={JSON.stringify({ before: r.before, after: r.after })}
              >
                {describeChange(r.before, r.after)}
              </Td>
            </Tr>
          ))}
        </tbody>
      </Table>
      {list.hasNextPage ? (
        <div className="border-t border-slate-200 px-5 py-3 dark:border-slate-800">
          <Button variant="ghost" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            Load more
          </Button>
        </div>
      ) : null}
    </Card>
  );
}

function describeChange(before: unknown, after: unknown): string {
  if (before && after && typeof before === "object" && typeof after === "object") {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const changed = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    return changed.map((k) => `${k}: ${JSON.stringify(b[k])} → ${JSON.stringify(a[k])}`).join(", ") || "no change";
  }
  return JSON.stringify(after ?? before ?? null);
}
