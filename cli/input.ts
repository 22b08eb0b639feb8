import { readFileSync } from "node:fs";
import { CliError, EXIT } from "./errors";

/** `--input '{...}'`, `--input -` (stdin), or piped stdin when --input is absent; `{}` when nothing is given. */
export function readInput(flag: string | undefined): Record<string, unknown> {
  let text: string;
  let from: string;
  if (flag !== undefined && flag !== "-") {
    text = flag;
    from = "--input";
  } else if (flag === "-" || !process.stdin.isTTY) {
    try {
      text = readFileSync(0, "utf8");
    } catch {
      text = "";
    }
    from = "stdin";
    if (!text.trim()) {
      if (flag === "-") throw new CliError(EXIT.usage, "--input - reads the input from stdin, but stdin was empty");
      return {};
    }
  } else return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(EXIT.usage, `${from} must be JSON: ${(e as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new CliError(EXIT.usage, `${from} must be a JSON object, e.g. '{"table":"temp_uploads"}'`);
  return value as Record<string, unknown>;
}
