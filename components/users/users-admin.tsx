"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input, Label, Select } from "@/components/ui/form";
import { Table, Td, Th, Tr } from "@/components/ui/table";
import { ROLES } from "@/db/schema/auth";

export function UsersAdmin({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data: users } = useSuspenseQuery(trpc.users.list.queryOptions());
  const [rowError, setRowError] = useState<string | null>(null);
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const changeRole = useMutation(
    trpc.users.changeRole.mutationOptions({ onSuccess: invalidate, onError: (e) => setRowError(errorMessage(e)) }),
  );
  const setActive = useMutation(
    trpc.users.setActive.mutationOptions({ onSuccess: invalidate, onError: (e) => setRowError(errorMessage(e)) }),
  );

  return (
    <div className="grid gap-6 2xl:grid-cols-[minmax(0,1fr)_22rem]">
      <Card className="self-start">
        <CardHeader title={`${users.length} user${users.length === 1 ? "" : "s"}`} />
        {rowError ? (
          <div
            role="alert"
            className="border-b border-rose-200 bg-rose-50 px-5 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
          >
            {rowError}
          </div>
        ) : null}
        <Table>
          <thead>
            <tr>
              <Th>User</Th>
              <Th>Role</Th>
              <Th>Status</Th>
              <Th>Last sign-in</Th>
              <Th className="text-right">Actions</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {users.map((u) => (
              <Tr key={u.id} data-testid={`user-row-${u.email}`}>
                <Td>
                  <div className="font-medium">{u.name || u.email}</div>
                  <div className="text-xs text-slate-500">
                    {u.email}
                    {u.sso ? " · SSO" : ""}
                  </div>
                </Td>
                <Td>
                  <Select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    className="w-32 min-w-32"
                    disabled={changeRole.isPending}
                    onChange={(e) => {
                      setRowError(null);
                      changeRole.mutate({ userId: u.id, role: e.target.value as (typeof ROLES)[number] });
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </Select>
                </Td>
                <Td>{u.active ? <Badge tone="green">active</Badge> : <Badge tone="slate">deactivated</Badge>}</Td>
                <Td className="text-slate-500">
                  {u.lastSignInAt ? new Date(u.lastSignInAt).toLocaleString() : "never"}
                </Td>
                <Td className="text-right">
                  {u.id === currentUserId ? (
                    <span className="text-xs text-slate-400">you</span>
                  ) : (
                    <Button
                      variant={u.active ? "secondary" : "primary"}
                      disabled={setActive.isPending}
                      onClick={() => {
                        setRowError(null);
                        setActive.mutate({ userId: u.id, active: !u.active });
                      }}
                    >
                      {u.active ? "Deactivate" : "Activate"}
                    </Button>
                  )}
                </Td>
              </Tr>
            ))}
          </tbody>
        </Table>
      </Card>
      <div className="space-y-6">
        <CreateUserCard onCreated={invalidate} />
        <ResetPasswordCard users={users.filter((u) => !u.sso && u.id !== currentUserId)} />
      </div>
    </div>
  );
}

function CreateUserCard({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [formKey, setFormKey] = useState(0);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => {
        setFormKey((k) => k + 1);
        onCreated();
      },
    }),
  );
  const errors = fieldErrors(create.error);
  const general = create.error && Object.keys(errors).length === 0 ? errorMessage(create.error) : null;

  return (
    <Card className="self-start">
      <CardHeader title="Add a user" description="They sign in with this email and password." />
      <form
        key={formKey}
        noValidate
        className="space-y-4 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          create.mutate({
            email: String(f.get("email")),
            name: String(f.get("name")),
            role: String(f.get("role")) as (typeof ROLES)[number],
            password: String(f.get("password")),
          });
        }}
      >
        <div>
          <Label htmlFor="new-email">Email</Label>
          <Input id="new-email" name="email" type="email" aria-invalid={!!errors.email} />
          <FieldError message={errors.email} />
        </div>
        <div>
          <Label htmlFor="new-name">Name</Label>
          <Input id="new-name" name="name" />
          <FieldError message={errors.name} />
        </div>
        <div>
          <Label htmlFor="new-role">Role</Label>
          <Select id="new-role" name="role" defaultValue="viewer">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Select>
          <FieldError message={errors.role} />
        </div>
        <div>
          <Label htmlFor="new-password">Password</Label>
          <Input
            id="new-password"
            name="password"
            type="password"
            autoComplete="new-password"
            aria-invalid={!!errors.password}
          />
          <p className="mt-1 text-xs text-slate-500">At least 12 characters.</p>
          <FieldError message={errors.password} />
        </div>
        <FieldError message={general} />
        {create.isSuccess ? (
          <p role="status" className="text-sm text-emerald-600">
            Created {create.data.email}
          </p>
        ) : null}
        <Button type="submit" disabled={create.isPending} className="w-full">
          {create.isPending ? "Creating…" : "Create user"}
        </Button>
      </form>
    </Card>
  );
}

/** An admin sets a temporary password; the user must choose their own at next sign-in, and their sessions end now. */
function ResetPasswordCard({ users }: { users: { id: string; email: string }[] }) {
  const trpc = useTRPC();
  const [formKey, setFormKey] = useState(0);
  const reset = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: () => setFormKey((k) => k + 1) }));
  const errors = fieldErrors(reset.error);
  const general = reset.error && Object.keys(errors).length === 0 ? errorMessage(reset.error) : null;
  if (users.length === 0) return null;
  return (
    <Card className="self-start">
      <CardHeader
        title="Reset a password"
        description="They must choose their own at next sign-in; their sessions end now."
      />
      <form
        key={formKey}
        noValidate
        className="space-y-4 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          reset.mutate({ userId: String(f.get("userId")), password: String(f.get("password")) });
        }}
      >
        <div>
          <Label htmlFor="reset-user">User</Label>
          <Select id="reset-user" name="userId">
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <Label htmlFor="reset-password">Temporary password</Label>
          <Input
            id="reset-password"
            name="password"
            type="password"
            autoComplete="new-password"
            aria-invalid={!!errors.password}
          />
          <FieldError message={errors.password} />
        </div>
        <FieldError message={general} />
        {reset.isSuccess ? (
          <p role="status" className="text-sm text-emerald-600">
            Password reset
          </p>
        ) : null}
        <Button type="submit" disabled={reset.isPending} className="w-full">
          {reset.isPending ? "Resetting…" : "Reset password"}
        </Button>
      </form>
    </Card>
  );
}
