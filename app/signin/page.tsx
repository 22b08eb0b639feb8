import { redirect } from "next/navigation";
import { Suspense } from "react";
import { SignInForm } from "@/components/shell/sign-in-form";
import { safeCallbackPath } from "@/server/auth/callback-url";
import { currentUser } from "@/server/auth/session";
import { env } from "@/server/env";

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  // Checked here, on the server: the form only ever receives a path on this origin.
  const callbackPath = safeCallbackPath((await searchParams).callbackUrl);
  if (await currentUser()) redirect(callbackPath);
  const sso = env.WFLO_OIDC_ISSUER && env.WFLO_OIDC_CLIENT_ID ? env.WFLO_OIDC_NAME : null;
  return (
    <div className="grid min-h-screen place-items-center bg-slate-100 px-4 dark:bg-slate-950">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2">
          <div className="grid h-9 w-9 place-items-center rounded-lg bg-brand-600 text-lg font-bold text-white">w</div>
          <span className="text-2xl font-semibold tracking-tight">wflo</span>
        </div>
        <Suspense>
          <SignInForm ssoName={sso} callbackPath={callbackPath} />
        </Suspense>
        <p className="mt-6 text-center text-xs text-slate-500">The secure runtime and control panel for AI agents</p>
      </div>
    </div>
  );
}
