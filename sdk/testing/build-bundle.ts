import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

/**
 * Builds dist/sdk (what the package entries `wflo/sdk` and `wflo/client` load) from the current
 * sources, for tests that run a script importing the package entry: `npm install` builds it
 * (prepare), but a test must not run against a bundle older than the code it checks. The build
 * script renames finished files into place, so test files doing this at once do not collide.
 */
export async function buildSdkBundle(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "..", "..");
  await promisify(execFile)(process.execPath, [path.join(root, "scripts", "build-sdk.mjs")], {
    cwd: root,
    timeout: 60_000,
  });
}
