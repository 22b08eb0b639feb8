// The ports the end-to-end run uses: the panel (next start), its embedded engine and its
// PostgreSQL. Each comes from its variable when set (and must be free), otherwise a free port is
// picked, so a second wflo on 3100 never breaks `npm test`.
//
// Playwright evaluates its config in the runner and again in every worker (and may evaluate it
// more than once in the runner). The first evaluation resolves the ports and writes them into
// process.env, which the web server and the workers inherit; WFLO_E2E_PORTS_RESOLVED tells every
// later evaluation to take them as they are (by then the web server itself holds them).
import { spawnSync } from "node:child_process";

/** Which variable holds which port. */
export const E2E_PORT_VARIABLES = { web: "WFLO_E2E_PORT", engine: "WFLO_E2E_ENGINE_PORT", pg: "WFLO_E2E_PG_PORT" };
export const RESOLVED_MARKER = "WFLO_E2E_PORTS_RESOLVED";

// Listening happens in a child process because config evaluation is synchronous. Each port is
// held until all are bound, so the picked ones are distinct. No host given: Node binds the
// dual-stack wildcard, which collides with a listener on 127.0.0.1, 0.0.0.0 or ::.
const PROBE = `
const net = require("node:net");
const wanted = JSON.parse(process.argv[1]);
const held = [];
(async () => {
  const out = [];
  for (const port of wanted) {
    out.push(await new Promise((resolve) => {
      const s = net.createServer();
      s.once("error", (e) => resolve({ port, error: e.code || String(e) }));
      s.listen(port, () => { held.push(s); resolve({ port: s.address().port }); });
    }));
  }
  held.forEach((s) => s.close());
  process.stdout.write(JSON.stringify(out));
})();
`;

/** @returns {{ port: number; error?: string }[]} */
function probe(ports) {
  const r = spawnSync(process.execPath, ["-e", PROBE, JSON.stringify(ports)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not probe ports for the e2e run: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

/**
 * The e2e ports, resolved once per Playwright run and shared through `env`.
 * @param {Record<string, string | undefined>} env
 * @returns {{ web: number; engine: number; pg: number }}
 */
export function resolveE2EPorts(env = process.env) {
  const names = /** @type {("web" | "engine" | "pg")[]} */ (Object.keys(E2E_PORT_VARIABLES));
  const given = names.map((n) => {
    const variable = E2E_PORT_VARIABLES[n];
    const raw = env[variable]?.trim();
    if (!raw) return 0;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`${variable}=${raw} is not a port number (1-65535)`);
    return port;
  });
  if (env[RESOLVED_MARKER] !== "1") {
    const results = probe(given);
    results.forEach((r, i) => {
      const variable = E2E_PORT_VARIABLES[names[i]];
      if (r.error === "EADDRINUSE")
        throw new Error(
          `${variable}=${given[i]}: port ${given[i]} is already in use. Stop what listens there, choose another port, or unset ${variable} to let the e2e run pick a free one.`,
        );
      if (r.error) throw new Error(`${variable}: cannot listen on port ${given[i] || "(any)"}: ${r.error}`);
      env[variable] = String(r.port);
    });
    env[RESOLVED_MARKER] = "1";
  }
  const [web, engine, pg] = names.map((n) => Number(env[E2E_PORT_VARIABLES[n]]));
  return { web, engine, pg };
}
