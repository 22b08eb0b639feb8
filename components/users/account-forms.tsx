"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn, signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { FieldError, Input, Label } from "@/components/ui/form";

/**
 * Changes the signed-in user's password. The server ends every session on success (this one
 * too), so the form signs in again with the new password and carries on to `then`.
 */
export function ChangePasswordForm({ email, then }: { email: string; then: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const change = useMutation(trpc.account.changePassword.mutationOptions());
  const errors = fieldErrors(change.error);
  // Service refusals name their field first ("currentPassword: …"); show them under it.
  const serverField = change.error && Object.keys(errors).length === 0 ? errorMessage(change.error) : null;
  const currentError =
    errors.currentPassword ?? (serverField?.startsWith("currentPassword:") ? serverField : undefined);
  const general = error ?? (serverField && !currentError ? serverField : null);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    setDone(false);
    const form = e.currentTarget;
    const f = new FormData(form);
    const newPassword = String(f.get("newPassword"));
    if (newPassword !== String(f.get("confirmPassword"))) {
      setError("The new password and its confirmation differ");
      return;
    }
    try {
      await change.mutateAsync({ currentPassword: String(f.get("currentPassword")), newPassword });
    } catch {
      return;
    }
    const res = await signIn("credentials", { email, password: newPassword, redirect: false });
    if (!res || res.error) {
      router.replace("/signin");
      return;
    }
    form.reset();
    setDone(true);
    router.replace(then);
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      <div>
        <Label htmlFor="current-password">Current password</Label>
        <Input
          id="current-password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          aria-invalid={!!currentError}
        />
        <FieldError message={currentError} />
      </div>
      <div>
        <Label htmlFor="new-password">New password</Label>
        <Input
          id="new-password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          aria-invalid={!!errors.newPassword}
        />
        <p className="mt-1 text-xs text-slate-500">At least 12 characters.</p>
        <FieldError message={errors.newPassword} />
      </div>
      <div>
        <Label htmlFor="confirm-password">Confirm new password</Label>
        <Input id="confirm-password" name="confirmPassword" type="password" autoComplete="new-password" />
      </div>
      <FieldError message={general} id="change-password-error" />
      {done ? (
        <p role="status" className="text-sm text-emerald-600">
          Password changed
        </p>
      ) : null}
      <Button type="submit" disabled={change.isPending}>
        {change.isPending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}

/** Ends every session of this user on every device, then goes to the sign-in page. */
export function SignOutEverywhereButton() {
  const trpc = useTRPC();
  const end = useMutation(
    trpc.account.signOutEverywhere.mutationOptions({ onSuccess: () => void signOut({ callbackUrl: "/signin" }) }),
  );
  return (
    <div>
      <Button variant="secondary" disabled={end.isPending} onClick={() => end.mutate()}>
        Sign out everywhere
      </Button>
      <FieldError message={end.error ? errorMessage(end.error) : null} />
    </div>
  );
}
