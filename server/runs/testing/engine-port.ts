import { execFileSync } from "node:child_process";

/**
 * The Inngest client reads WFLO_ENGINE_PORT once, when `@/inngest/client` is first imported,
 * so a test file must fix the port before any import (in `vi.hoisted`), i.e. synchronously.
 * A random guess can collide with another test file running in parallel; instead a tiny child
 * process asks the OS for a free port (listen on 0) and reports it. The OS hands out ephemeral
 * ports round the range, so a port just released is not given to the next listen(0) at once;
 * if it ever were taken in between, the engine's listen fails loudly rather than sharing it.
 */
const FIND_FREE_PORT = `const s = require("node:net").createServer();
s.listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); });`;

export function claimEnginePort(): number {
  const out = execFileSync(process.execPath, ["-e", FIND_FREE_PORT], { encoding: "utf8", timeout: 10_000 });
  const port = Number(out.trim());
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`could not find a free port for the engine (child printed ${JSON.stringify(out)})`);
  process.env.WFLO_ENGINE_PORT = String(port);
  return port;
}
