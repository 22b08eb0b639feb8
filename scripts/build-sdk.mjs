#!/usr/bin/env node
/**
 * `npm run build:sdk` (also run by `prepare`, so `npm install` produces it): bundles the SDK
 * entries into dist/sdk/*.mjs. The sources use the `@/` tsconfig alias, which a project that
 * installs or links wflo cannot resolve; the bundle inlines wflo's own modules and leaves every
 * npm package as a bare import, which Node resolves from wflo's node_modules (through the
 * symlink's real path, which `npm link` / `npm install <dir>` create).
 *
 * Each file is written to a temporary name and renamed into place, so a test or a script that
 * loads the bundle while another process rebuilds it never reads half a file.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist", "sdk");

const result = await build({
  absWorkingDir: root,
  entryPoints: { index: "sdk/index.ts", client: "sdk/client.ts" },
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: path.join(root, "tsconfig.json"),
  sourcemap: "linked",
  logLevel: "warning",
  write: false,
});

mkdirSync(outdir, { recursive: true });
for (const file of result.outputFiles) {
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}
