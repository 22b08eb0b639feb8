import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { getDb } from "@/db/client";
import { registryCatalog } from "@/inngest/catalog";
import { prepareDatabase } from "@/db/connect";
import { inngestMode } from "@/server/events/connection";
import type { Engine } from "@/inngest/engine";
import { startEmbeddedEngine } from "@/inngest/engine/from-env";
import { bootstrapAdmin } from "@/server/auth/bootstrap";
import { log } from "@/server/log";
import { startTraceExport } from "@/server/tracing/export";
import { provideWorkflowCatalog } from "@/server/workflows/workflow-catalog";
import { assertValidEnv, env } from "@/server/env";

const g = globalThis as unknown as { __wfloBoot?: Promise<void>; __wfloEngine?: Engine };

/** Everything the server needs before its first request; runs once per process (instrumentation.ts). */
export function boot(): Promise<void> {
  g.__wfloBoot ??= doBoot();
  return g.__wfloBoot;
}

async function doBoot() {
  // Configuration first: a bad value stops start-up naming each variable and what is wrong with it.
  try {
    assertValidEnv();
  } catch (e) {
    log.fatal(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
  // First: services read the served workflows through this (the domain never imports them).
  provideWorkflowCatalog(registryCatalog);
  const dataDir = env.WFLO_DATA_DIR;
  const say = (m: string) => log.info(m);
  const target = await prepareDatabase(say).catch((e: unknown) => {
    // Start-up must stop, loudly, with the message that names the variable and host.
    log.fatal(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
  log.info({ embedded: target.embedded }, "database ready, migrations applied");
  // Written back into process.env: NextAuth reads both from there itself.
  process.env.NEXTAUTH_SECRET ??= await loadOrCreateSecret(path.join(dataDir, "auth-secret"));
  process.env.NEXTAUTH_URL ??= `http://localhost:${env.PORT}`;
  // Printed with console.log on purpose: the one-time password must reach a person, not a log pipeline.
  await bootstrapAdmin(getDb(), (line) => console.log(`[wflo] ${line}`));
  // Spans leave over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  startTraceExport(getDb());
  if (inngestMode() === "embedded") await startEngine();
  else log.info({ mode: inngestMode() }, "workflows run on the configured Inngest server; embedded engine off");
}

/** With no Inngest server configured, this process runs the embedded engine (inngest/engine). */
async function startEngine() {
  try {
    const engine = await startEmbeddedEngine(getDb());
    g.__wfloEngine = engine;
    const stop = () => void engine.stop();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  } catch (e) {
    log.fatal(
      `the embedded engine cannot start (WFLO_ENGINE_PORT=${env.WFLO_ENGINE_PORT}): ${e instanceof Error ? e.message : String(e)}`,
    );
    process.exit(1);
  }
}

async function loadOrCreateSecret(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
