import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "./embedded";
import { detachNaturalExitHooks } from "./testing/exit-hooks";

// Real clusters, real initdb/postgres. As root (CI and this machine) the cluster runs as the
// `postgres` user, which is what makes an owner-only parent directory a problem at all.
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  detachNaturalExitHooks();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wflo-embedded-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function started(dir: string, port: number): Promise<EmbeddedPostgresHandle> {
  const pg = await startEmbeddedPostgres({ dir, port, database: "wflo" });
  cleanup.push(() => pg.stop());
  return pg;
}

describe("embedded PostgreSQL data directory", () => {
  it("starts and answers inside a directory only its owner may enter (mode 0700)", async () => {
    const parent = await scratch();
    await chmod(parent, 0o700);
    const dir = path.join(parent, "wflo", "pg");
    const pg = await started(dir, await freePort());
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end();
    }
    // Only traversal was added to the owner-only parent: nobody else may list or write it.
    expect((await stat(parent)).mode & 0o777 & ~0o001).toBe(0o700);
  });

  it("starts again on the cluster it created, with nothing left to fix", async () => {
    const parent = await scratch();
    await chmod(parent, 0o700);
    const dir = path.join(parent, "pg");
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dir, port, database: "wflo" });
    await first.stop();
    const said: string[] = [];
    const again = await startEmbeddedPostgres({ dir, port, database: "wflo", log: (m) => said.push(m) });
    cleanup.push(() => again.stop());
    const sql = postgres(again.url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end();
    }
    expect(said.some((m) => m.startsWith("initialising") || m.startsWith("made "))).toBe(false);
  });

  it("shows initdb's own error text and the directory when initdb fails (data dir is a regular file)", async () => {
    const dir = path.join(await scratch(), "pg");
    await mkdir(dir);
    const dataDir = path.join(dir, "data");
    await writeFile(dataDir, "not a directory\n");
    const err = await startEmbeddedPostgres({ dir, port: await freePort(), database: "wflo" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(dataDir);
    expect(message).toMatch(/initdb/);
    expect(message).toContain("Not a directory");
  });

  it("shows initdb's own error text when the data dir holds something else", async () => {
    const dir = path.join(await scratch(), "pg");
    await mkdir(path.join(dir, "data"), { recursive: true });
    await writeFile(path.join(dir, "data", "leftover.txt"), "from something else\n");
    await expect(startEmbeddedPostgres({ dir, port: await freePort(), database: "wflo" })).rejects.toThrow(
      /exists but is not empty/,
    );
  });

  it("shows postgres's own error text and the directory when the server cannot start (port taken)", async () => {
    const port = await freePort();
    const sockets = new Set<Socket>();
    const squatter: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => squatter.listen(port, "127.0.0.1", r));
    // Connections wflo opened to probe the port are cut, so closing the squatter never waits on one.
    cleanup.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          squatter.close(r);
        }),
    );
    const dir = path.join(await scratch(), "pg");
    const err = await startEmbeddedPostgres({ dir, port, database: "wflo" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(path.join(dir, "data"));
    expect(message).toContain("Address already in use");
  });
});
