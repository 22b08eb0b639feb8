"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { LocalTime } from "@/components/runs/time";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { SecretOnce } from "@/components/ui/secret-once";
import { FieldError, Input, Label, Select } from "@/components/ui/form";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";
import { ROLES, type Role } from "@/db/schema/auth";

/** The workflows a key is limited to: "all", or their names. */
function ScopeCell({ ids, names }: { ids: string[] | null; names: Map<string, string> }) {
  if (!ids?.length) return <span className="text-slate-500">all workflows</span>;
  return (
    <div className="flex flex-wrap gap-1" data-testid="key-scope">
      {ids.map((id) => (
        <Badge key={id} tone="blue">
          {names.get(id) ?? id}
        </Badge>
      ))}
    </div>
  );
}

/**
 * Settings -> API keys: create (the secret is shown once; optionally limited to some workflows),
 * see scope and last use, revoke. `workflows` are the registry's, passed by the page.
 */
export function ApiKeysAdmin({ workflows }: { workflows: { id: string; name: string }[] }) {
  const names = new Map(workflows.map((w) => [w.id, w.name]));
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data: keys } = useQuery(trpc.apiKeys.list.queryOptions());
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const form = useRef<HTMLFormElement>(null);
  // A created key clears the form, so the next key does not silently inherit this one's workflows.
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (r) => {
        setSecret({ name: r.key.name, secret: r.secret });
        form.current?.reset();
        void invalidate();
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void invalidate() }));
  const errors = fieldErrors(create.error);

  return (
    <div className="grid gap-6 2xl:grid-cols-[minmax(0,1fr)_22rem]">
      <Card className="self-start">
        <CardHeader
          title="API keys"
          description="Machines (ChatOps bots, scripts) act with the key's role. Send it as Authorization: Bearer <key>."
        />
        {secret ? <SecretOnce what="Key" name={secret.name} secret={secret.secret} testId="new-api-key" /> : null}
        {revoke.error ? (
          <div role="alert" className="px-5 py-2 text-sm text-rose-600">
            {errorMessage(revoke.error)}
          </div>
        ) : null}
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Role</Th>
              <Th>Workflows</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th className="text-right">Status</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {(keys ?? []).map((k) => (
              <Tr key={k.id}>
                <Td>
                  <div className="font-medium">{k.name}</div>
                  <div className="font-mono text-xs text-slate-500">{k.prefix}…</div>
                </Td>
                <Td>{k.role}</Td>
                <Td>
                  <ScopeCell ids={k.workflowIds} names={names} />
                </Td>
                <Td className="text-slate-500">
                  <LocalTime date={k.createdAt} />
                  <div className="text-xs">{k.createdByEmail}</div>
                </Td>
                <Td className="text-slate-500">{k.lastUsedAt ? <LocalTime date={k.lastUsedAt} /> : "never"}</Td>
                <Td className="text-right">
                  {k.revokedAt ? (
                    <Badge>revoked</Badge>
                  ) : k.status === "creator deactivated" ? (
                    // A key acts for its creator: it stopped working when they were deactivated.
                    <span className="inline-flex items-center gap-2" data-testid="key-inactive">
                      <Badge tone="amber">inactive: creator deactivated</Badge>
                      <Button
                        variant="secondary"
                        disabled={revoke.isPending}
                        onClick={() => {
                          if (confirm(`Revoke the key "${k.name}"?`)) revoke.mutate({ keyId: k.id });
                        }}
                      >
                        Revoke
                      </Button>
                    </span>
                  ) : (
                    <Button
                      variant="secondary"
                      disabled={revoke.isPending}
                      onClick={() => {
                        if (confirm(`Revoke the key "${k.name}"? Anything using it stops working at once.`))
                          revoke.mutate({ keyId: k.id });
                      }}
                    >
                      Revoke
                    </Button>
                  )}
                </Td>
              </Tr>
            ))}
            {keys && keys.length === 0 ? <EmptyRow colSpan={6}>No API keys yet.</EmptyRow> : null}
          </tbody>
        </Table>
      </Card>
      <Card className="self-start">
        <CardHeader title="Create a key" />
        <form
          ref={form}
          className="space-y-4 px-5 py-4"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            setSecret(null);
            // No box ticked = every workflow (the key is not limited).
            create.mutate({
              name: String(f.get("name")),
              role: String(f.get("role")) as Role,
              workflowIds: f.getAll("workflowIds").map(String),
            });
          }}
        >
          <div>
            <Label htmlFor="key-name">Name</Label>
            <Input id="key-name" name="name" placeholder="slack-approvals-bot" />
            <FieldError message={errors.name} />
          </div>
          <div>
            <Label htmlFor="key-role">Role</Label>
            <Select id="key-role" name="role" defaultValue="approver">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          </div>
          <fieldset>
            <legend className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-300">Workflows</legend>
            <p className="mb-2 text-xs text-slate-500">
              Leave all unticked for a key that may act on every workflow. A limited key sees only these workflows&apos;
              runs, approvals and LLM calls.
            </p>
            <div className="max-h-48 space-y-1 overflow-y-auto rounded-md border border-slate-200 px-3 py-2 dark:border-slate-800">
              {workflows.map((w) => (
                <label key={w.id} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="workflowIds" value={w.id} className="h-4 w-4 rounded border-slate-300" />
                  <span>{w.name}</span>
                  <span className="font-mono text-xs text-slate-500">{w.id}</span>
                </label>
              ))}
            </div>
            <FieldError message={errors.workflowIds} />
          </fieldset>
          <FieldError message={create.error && !Object.keys(errors).length ? errorMessage(create.error) : null} />
          <Button type="submit" disabled={create.isPending}>
            Create key
          </Button>
        </form>
      </Card>
    </div>
  );
}
