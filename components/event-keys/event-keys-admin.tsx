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
import { FieldError, Input, Label } from "@/components/ui/form";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";

/**
 * Settings -> Event keys: keys for outside senders to the engine's intake (`POST /e/<key>`).
 * Create (the key is shown once), see last use, revoke. The server is the guard (admins only);
 * this page mirrors it.
 */
export function EventKeysAdmin({ intakeUrl }: { intakeUrl: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data: keys } = useQuery(trpc.eventKeys.list.queryOptions());
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.eventKeys.list.queryKey() });
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const create = useMutation(
    trpc.eventKeys.create.mutationOptions({
      onSuccess: (r) => {
        setSecret({ name: r.key.name, secret: r.secret });
        form.current?.reset();
        void invalidate();
      },
    }),
  );
  const revoke = useMutation(trpc.eventKeys.revoke.mutationOptions({ onSuccess: () => void invalidate() }));
  const errors = fieldErrors(create.error);

  return (
    <div className="grid gap-6 2xl:grid-cols-[minmax(0,1fr)_22rem]">
      <Card className="self-start">
        <CardHeader
          title="Event keys"
          description={`Outside apps send events to ${intakeUrl}/e/<key> (INNGEST_EVENT_KEY). They may not send wflo/ or inngest/ names; runs they start are attributed to the key.`}
        />
        {secret ? (
          <SecretOnce what="Event key" name={secret.name} secret={secret.secret} testId="new-event-key" />
        ) : null}
        {revoke.error ? (
          <div role="alert" className="px-5 py-2 text-sm text-rose-600">
            {errorMessage(revoke.error)}
          </div>
        ) : null}
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
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
                  <div className="font-mono text-xs text-slate-500">
                    {k.prefix}…{k.last4}
                  </div>
                </Td>
                <Td className="text-slate-500">
                  <LocalTime date={k.createdAt} />
                  <div className="text-xs">{k.createdByEmail}</div>
                </Td>
                <Td className="text-slate-500">{k.lastUsedAt ? <LocalTime date={k.lastUsedAt} /> : "never"}</Td>
                <Td className="text-right">
                  {k.revokedAt ? (
                    <Badge>revoked</Badge>
                  ) : (
                    <Button
                      variant="secondary"
                      disabled={revoke.isPending}
                      onClick={() => {
                        if (confirm(`Revoke the event key "${k.name}"? Its sender's events are refused at once.`))
                          revoke.mutate({ keyId: k.id });
                      }}
                    >
                      Revoke
                    </Button>
                  )}
                </Td>
              </Tr>
            ))}
            {keys && keys.length === 0 ? (
              <EmptyRow colSpan={4}>No event keys yet. wflo&apos;s own events need none.</EmptyRow>
            ) : null}
          </tbody>
        </Table>
      </Card>
      <Card className="self-start">
        <CardHeader title="Create an event key" />
        <form
          ref={form}
          className="space-y-4 px-5 py-4"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            setSecret(null);
            create.mutate({ name: String(f.get("name")) });
          }}
        >
          <div>
            <Label htmlFor="event-key-name">Name</Label>
            <Input id="event-key-name" name="name" placeholder="shop-webhooks" />
            <FieldError message={errors.name} />
          </div>
          <FieldError message={create.error && !Object.keys(errors).length ? errorMessage(create.error) : null} />
          <Button type="submit" disabled={create.isPending}>
            Create event key
          </Button>
        </form>
      </Card>
    </div>
  );
}
