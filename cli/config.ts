import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { z } from "zod";
// Relative, as the CLI's other imports: `npx wflo` runs it through tsx from the user's directory.
import { describeZodIssues } from "../server/zod-issues";
import { CliError, EXIT } from "./errors";

/**
 * Where the CLI finds the server and the key, first match wins:
 *   WFLO_URL / WFLO_API_KEY in the environment,
 *   the project's .env (only next to a wflo.config.json, as `wflo init` sets up),
 *   wflo.config.json's `url` (the key is named by its `apiKeyEnv`, never stored there),
 *   ~/.wflo/config.json, written by `wflo login`.
 */
const fileSchema = z.object({ url: z.url().optional(), apiKey: z.string().optional() });
const projectSchema = z.object({
  url: z.url({ error: "url must be a URL like http://localhost:3000" }).optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "apiKeyEnv must be an environment variable name")
    .default("WFLO_API_KEY"),
});
export type Config = { url: string; apiKey: string };

export const PROJECT_CONFIG = "wflo.config.json";

export const configPath = () => path.join(process.env.WFLO_CONFIG_DIR ?? path.join(homedir(), ".wflo"), "config.json");

function readText(p: string): string | null {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return null;
  }
}

function readFile(): z.output<typeof fileSchema> {
  const text = readText(configPath());
  if (text === null) return {};
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  throw new CliError(EXIT.usage, `${configPath()} is not valid wflo config (run wflo login again)`);
}

/** wflo.config.json in the current directory, and the .env beside it. */
function readProject(): { config: z.output<typeof projectSchema>; env: Record<string, string> } | null {
  const text = readText(path.resolve(PROJECT_CONFIG));
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CliError(EXIT.usage, `${PROJECT_CONFIG} must be JSON: ${(e as Error).message}`);
  }
  const parsed = projectSchema.safeParse(raw);
  if (!parsed.success)
    throw new CliError(EXIT.usage, `${PROJECT_CONFIG}: ${describeZodIssues(parsed.error, { root: "(root)" }).message}`);
  const dotenv = readText(path.resolve(".env"));
  return { config: parsed.data, env: dotenv === null ? {} : (parseEnv(dotenv) as Record<string, string>) };
}

export function loadConfig(): Config {
  const file = readFile();
  const project = readProject();
  const keyVar = project?.config.apiKeyEnv ?? "WFLO_API_KEY";
  const url = process.env.WFLO_URL || project?.env.WFLO_URL || project?.config.url || file.url;
  const apiKey = process.env[keyVar] || project?.env[keyVar] || process.env.WFLO_API_KEY || file.apiKey;
  if (!url) throw new CliError(EXIT.usage, "no server: set WFLO_URL (e.g. http://localhost:3000) or run wflo login");
  if (!apiKey)
    throw new CliError(EXIT.usage, `no API key: set ${keyVar} (create one in Settings → API keys) or run wflo login`);
  if (!/^https?:\/\//.test(url))
    throw new CliError(EXIT.usage, `WFLO_URL must start with http:// or https:// (got ${url})`);
  return { url: url.replace(/\/+$/, ""), apiKey };
}

/** The key is a secret: the file is readable by its owner only. */
export function saveConfig(c: Config): string {
  const p = configPath();
  mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
  writeFileSync(p, `${JSON.stringify({ url: c.url, apiKey: c.apiKey }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}
