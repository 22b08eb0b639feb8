import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertValidEnv, configFrom, describeEnv, ENV_NAMES, envProblems } from "./env";

const root = path.resolve(__dirname, "..");

/** README.md plus docs/*.md: the guides may move to docs/ with their tables. */
function docs(): string {
  const dir = path.join(root, "docs");
  let guides: string[] = [];
  try {
    guides = readdirSync(dir)
      .filter((f) => f.endsWith(".md"))
      .map((f) => path.join(dir, f));
  } catch {
    // no docs/ folder yet
  }
  return [path.join(root, "README.md"), ...guides].map((f) => readFileSync(f, "utf8")).join("\n");
}

const VAR = /^[A-Z][A-Z0-9_]*$/;

/**
 * Every variable named in a configuration table, with the "What it does" cells of its rows: a
 * table row whose first cell starts with a backticked VARIABLE_NAME (`PORT` / `HOST`,
 * `OPENAI_API_KEY`, `OPENAI_BASE_URL` list several). Tables of routes, roles or providers start
 * with other text and are skipped.
 */
function tableVariables(markdown: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    const first = cells[0] ?? "";
    const ticked = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    if (cells.length < 3 || !first.startsWith("`") || !VAR.test(ticked[0] ?? "")) continue;
    for (const t of ticked) if (VAR.test(t)) names.set(t, [...(names.get(t) ?? []), cells[cells.length - 1]!]);
  }
  return names;
}

/** In env.ts, not in a README table, on purpose. */
const NOT_IN_TABLES = new Set<string>([
  // Internal: db/connect.ts sets it when DATABASE_URL is used; nobody configures it.
  "WFLO_EXTERNAL_DATABASE",
  // The Inngest SDK's own variables, documented in "Running on Inngest Cloud or a self-hosted Inngest server instead".
  "INNGEST_DEV",
  "INNGEST_BASE_URL",
  "INNGEST_API_BASE_URL",
  "INNGEST_EVENT_API_BASE_URL",
  "INNGEST_SIGNING_KEY",
  "INNGEST_EVENT_KEY",
]);

/** In a README table, not in env.ts, on purpose: read by other tools, not by the app. */
const NOT_IN_ENV = new Set<string>([
  // The test tooling's (scripts/*.mjs, playwright.config.ts, db/testing/): the app never reads them.
  "CHROMIUM_PATH",
  "WFLO_E2E_PORT",
  "WFLO_E2E_ENGINE_PORT",
  "WFLO_E2E_PG_PORT",
  "TEST_DATABASE_URL",
]);

describe("env.ts and the README's configuration tables", () => {
  const documented = tableVariables(docs());

  it("finds the configuration tables (the parser still matches the README)", () => {
    expect(documented.has("PORT") && documented.has("WFLO_ENGINE_PORT") && documented.has("OPENAI_API_KEY")).toBe(true);
  });

  it("documents every variable env.ts reads", () => {
    expect(ENV_NAMES.filter((n) => !documented.has(n) && !NOT_IN_TABLES.has(n))).toEqual([]);
  });

  it("describes each variable with its README line", () => {
    const differs = ENV_NAMES.filter((n) => documented.has(n) && !documented.get(n)!.includes(describeEnv(n)));
    expect(differs.map((n) => `${n}: ${describeEnv(n)}`)).toEqual([]);
  });

  it("reads every variable the README documents", () => {
    const known = new Set<string>(ENV_NAMES);
    expect([...documented.keys()].filter((n) => !known.has(n) && !NOT_IN_ENV.has(n) && !n.startsWith("NEXT_"))).toEqual(
      [],
    );
  });

  it("keeps its allowlists honest: nothing allowlisted is also on both sides", () => {
    expect([...NOT_IN_TABLES].filter((n) => documented.has(n))).toEqual([]);
    expect([...NOT_IN_ENV].filter((n) => (ENV_NAMES as string[]).includes(n))).toEqual([]);
  });
});

describe("env", () => {
  it("gives the defaults when nothing is set, and parses what is", () => {
    const none = configFrom({});
    expect(none.PORT).toBe(3000);
    expect(none.WFLO_ENGINE_PORT).toBe(8288);
    expect(none.WFLO_SESSION_MAX_AGE).toBe(8 * 3600);
    expect(none.WFLO_METRICS_PUBLIC).toBe(false);
    expect(none.DATABASE_URL).toBeUndefined();
    const some = configFrom({ WFLO_PG_PORT: "6543", WFLO_METRICS_PUBLIC: "true", WFLO_ALERT_WEBHOOK_FORMAT: "Slack" });
    expect(some.WFLO_PG_PORT).toBe(6543);
    expect(some.WFLO_METRICS_PUBLIC).toBe(true);
    expect(some.WFLO_ALERT_WEBHOOK_FORMAT).toBe("slack");
  });

  it("treats a blank value as unset", () => {
    expect(configFrom({ WFLO_ENGINE_PORT: " ", WFLO_OIDC_NAME: "" })).toMatchObject({
      WFLO_ENGINE_PORT: 8288,
      WFLO_OIDC_NAME: "SSO",
    });
  });

  it("reads lazily: a later change to the source is seen, and a bad value throws only when read", () => {
    const source: Record<string, string | undefined> = { WFLO_ENGINE_PORT: "nope" };
    const view = configFrom(source);
    expect(view.PORT).toBe(3000);
    expect(() => view.WFLO_ENGINE_PORT).toThrow(/WFLO_ENGINE_PORT: must be a whole number \(got "nope"\)/);
    source.WFLO_ENGINE_PORT = "9000";
    expect(view.WFLO_ENGINE_PORT).toBe(9000);
  });

  it("refuses bad values at boot, naming each variable and what is wrong", () => {
    const bad = {
      WFLO_PG_PORT: "70000",
      DATABASE_URL: "not a url",
      WFLO_BUDGET_TIMEZONE: "Mars/Olympus",
      WFLO_METRICS_PUBLIC: "yes",
      WFLO_LOG_LEVEL: "loud",
    };
    expect(envProblems(bad).map((p) => p.name)).toEqual([
      "DATABASE_URL",
      "WFLO_PG_PORT",
      "WFLO_LOG_LEVEL",
      "WFLO_BUDGET_TIMEZONE",
      "WFLO_METRICS_PUBLIC",
    ]);
    expect(() => assertValidEnv(bad)).toThrow(/WFLO_PG_PORT: must be at most 65535 \(got "70000"\)/);
    expect(() => assertValidEnv(bad)).toThrow(/WFLO_BUDGET_TIMEZONE: unknown time zone/);
    expect(() => assertValidEnv({ WFLO_SESSION_MAX_AGE: "1.5" })).toThrow(
      /WFLO_SESSION_MAX_AGE: must be a whole number/,
    );
    expect(() => assertValidEnv({})).not.toThrow();
  });
});
