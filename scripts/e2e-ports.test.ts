import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { resolveE2EPorts } from "./e2e-ports.mjs";

// Real sockets throughout: a port is "taken" because this process listens on it.
const VARS = ["WFLO_E2E_PORT", "WFLO_E2E_ENGINE_PORT", "WFLO_E2E_PG_PORT", "WFLO_E2E_PORTS_RESOLVED"] as const;
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
const servers: Server[] = [];
afterEach(async () => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Listens on `port` (0: any free one) unless something already does; returns the port, taken either way. */
function occupy(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? resolve(port) : reject(e)));
    srv.listen(port, () => {
      servers.push(srv);
      resolve((srv.address() as { port: number }).port);
    });
  });
}

describe("e2e ports", () => {
  it("playwright.config picks free ports, not 3100/8388/54350, when the variables are unset, and hands them to the web server", async () => {
    for (const v of VARS) delete process.env[v];
    await occupy(3100); // as when a second wflo runs there
    const { default: config, E2E_PORT } = await import("../playwright.config");
    expect(E2E_PORT).not.toBe(3100);
    expect(config.use?.baseURL).toBe(`http://localhost:${E2E_PORT}`);
    const web = Array.isArray(config.webServer) ? config.webServer[0] : config.webServer;
    expect(web?.url).toBe(`http://localhost:${E2E_PORT}/signin`);
    expect(web?.env?.PORT).toBe(String(E2E_PORT));
    expect(web?.env?.WFLO_ENGINE_PORT).not.toBe("8388");
    expect(web?.env?.WFLO_PG_PORT).not.toBe("54350");
    // The workers and specs (e2e/event-keys.spec.ts) read the same ports from the environment.
    expect(process.env.WFLO_E2E_PORT).toBe(String(E2E_PORT));
    expect(process.env.WFLO_E2E_ENGINE_PORT).toBe(web?.env?.WFLO_ENGINE_PORT);
    expect(process.env.WFLO_E2E_PG_PORT).toBe(web?.env?.WFLO_PG_PORT);
    expect(new Set([E2E_PORT, Number(web?.env?.WFLO_ENGINE_PORT), Number(web?.env?.WFLO_PG_PORT)]).size).toBe(3);
  });

  it("stops with a message naming the variable when its port is taken", async () => {
    const taken = await occupy(0);
    const env: Record<string, string | undefined> = { WFLO_E2E_ENGINE_PORT: String(taken) };
    expect(() => resolveE2EPorts(env)).toThrow(`WFLO_E2E_ENGINE_PORT=${taken}: port ${taken} is already in use`);
  });

  it("keeps a variable's port when it is free, and picks the others", async () => {
    const free = await occupy(0);
    await new Promise((r) => servers.pop()!.close(r));
    const env: Record<string, string | undefined> = { WFLO_E2E_PORT: String(free) };
    const ports = resolveE2EPorts(env);
    expect(ports.web).toBe(free);
    expect(env.WFLO_E2E_ENGINE_PORT).toBe(String(ports.engine));
    expect(env.WFLO_E2E_PG_PORT).toBe(String(ports.pg));
    expect(new Set([ports.web, ports.engine, ports.pg]).size).toBe(3);
  });

  it("takes already-resolved ports as they are (a worker, or the runner once the web server holds them)", async () => {
    const held = await occupy(0);
    const env: Record<string, string | undefined> = {
      WFLO_E2E_PORT: String(held),
      WFLO_E2E_ENGINE_PORT: "8401",
      WFLO_E2E_PG_PORT: "8402",
      WFLO_E2E_PORTS_RESOLVED: "1",
    };
    expect(resolveE2EPorts(env)).toEqual({ web: held, engine: 8401, pg: 8402 });
  });

  it("rejects a value that is not a port, naming the variable", () => {
    expect(() => resolveE2EPorts({ WFLO_E2E_PG_PORT: "5432x" })).toThrow("WFLO_E2E_PG_PORT=5432x is not a port number");
  });
});
