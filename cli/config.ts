import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { CliError, EXIT } from "./errors";

/** ~/.wflo/config.json, written by `wflo login`; WFLO_URL / WFLO_API_KEY win over it. */
const fileSchema = z.object({ url: z.url().optional(), apiKey: z.string().optional() });
export type Config = { url: string; apiKey: string };

export const configPath = () => path.join(process.env.WFLO_CONFIG_DIR ?? path.join(homedir(), ".wflo"), "config.json");

function readFile(): z.output<typeof fileSchema> {
  let text: string;
  try {
    text = readFileSync(configPath(), "utf8");
  } catch {
    return {};
  }
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  throw new CliError(EXIT.usage, `${configPath()} is not valid wflo config (run wflo login again)`);
}

export function loadConfig(): Config {
  const file = readFile();
  const url = process.env.WFLO_URL || file.url;
  const apiKey = process.env.WFLO_API_KEY || file.apiKey;
  if (!url) throw new CliError(EXIT.usage, "no server: set WFLO_URL (e.g. http://localhost:3000) or run wflo login");
  if (!apiKey) throw new CliError(EXIT.usage, "no API key: set WFLO_API_KEY (create one in Settings → API keys) or run wflo login");
  if (!/^https?:\/\//.test(url)) throw new CliError(EXIT.usage, `WFLO_URL must start with http:// or https:// (got ${url})`);
  return { url: url.replace(/\/+$/, ""), apiKey };
}

/** The key is a secret: the file is readable by its owner only. */
export function saveConfig(c: Config): string {
  const p = configPath();
  mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
  writeFileSync(p, JSON.stringify({ url: c.url, apiKey: c.apiKey }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}
