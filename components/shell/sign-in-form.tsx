"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { FieldError, Input, Label } from "@/components/ui/form";

/** `callbackPath` is already a same-origin path (the page checks it with safeCallbackPath). */
export function SignInForm({ ssoName, callbackPath }: { ssoName: string | null; callbackPath: string }) {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(
    params.get("error") === "AccessDenied" ? "This account is not allowed to sign in" : null,
  );
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email")),
      password: String(form.get("password")),
      callbackUrl: callbackPath,
      redirect: false,
    });
    setBusy(false);
    if (!res || res.error) {
      setError(res?.error && res.error !== "CredentialsSignin" ? res.error : "Wrong email or password");
      return;
    }
    router.replace(callbackPath);
    router.refresh();
  }

  return (
    <Card className="p-6">
      <h1 className="text-lg font-semibold">Sign in</h1>
      <form onSubmit={onSubmit} className="mt-4 space-y-4" noValidate>
        <div>
          <Label htmlFor="email">Email</Label>
          <Input id="email" name="email" type="email" autoComplete="username" required />
        </div>
        <div>
          <Label htmlFor="password">Password</Label>
          <Input id="password" name="password" type="password" autoComplete="current-password" required />
        </div>
        <FieldError message={error} id="signin-error" />
        <Button type="submit" className="w-full" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
      {ssoName ? (
        <Button
          variant="secondary"
          className="mt-3 w-full"
          onClick={() => void signIn("oidc", { callbackUrl: callbackPath })}
        >
          Sign in with {ssoName}
        </Button>
      ) : null}
    </Card>
  );
}
