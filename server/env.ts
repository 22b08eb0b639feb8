import path from "node:path";
import { z } from "zod";

/**
 * wflo's configuration: every environment variable the app reads, with its parse, its default and
 * the README's line for it (`env.test.ts` keeps the configuration tables of README.md and docs/*.md
 * and this list equal: the same names, the same descriptions). A leaf module (zod and node only,
 * the import-rule test keeps it so), so any layer may read it, the engine included.
 *
 * Reads are lazy: `env.X` parses `process.env.X` on each access, so importing this module never
 * throws (`next build` imports route modules with nothing set) and tests may set a variable
 * before a call. `assertValidEnv()` checks everything at once at boot, so a bad value stops
 * start-up naming the variable and what is wrong with it. An empty or blank value counts as unset.
 *
 * Not read through here, on purpose: `db/` (below `server/`, so it reads DATABASE_URL, WFLO_PG_PORT
 * and WFLO_DATA_DIR itself), `cli/` (the CLI's own WFLO_URL / WFLO_API_KEY / WFLO_CONFIG_DIR; it
 * never imports server/), `scripts/*.mjs` and the test tooling, the signing and envelope keys
 * (server/security/signing-key.ts, server/runs/envelope-key.ts resolve them per call from the
 * environment they are given), and `NODE_ENV` / `NEXT_RUNTIME`, which Next inlines.
 */

type Entry<T> = { schema: z.ZodType<T, string | undefined>; description: string };
const entry = <T>(schema: z.ZodType<T, string | undefined>, description: string): Entry<T> => ({ schema, description });

/** A whole number from min to max; "abc", "1.5" and "-1" are refused rather than becoming NaN. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const port = int(1, 65535);
const bytes = int(1);
const text = z.string().trim();
const secret = z.string();
const url = z
  .string()
  .trim()
  .refine((v) => URL.canParse(v), "must be a URL");
const flag = z.enum(["true", "false"], "must be true or false").transform((v) => v === "true");
const timeZone = text.refine((tz) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "unknown time zone (use an IANA name such as UTC or Europe/Berlin)");

const KiB = 1024;
const MiB = 1024 * KiB;

const spec = {
  // The panel and its database
  PORT: entry(port.default(3000), "Where the control panel listens."),
  HOST: entry(text.default("0.0.0.0"), "Where the control panel listens."),
  DATABASE_URL: entry(
    url.optional(),
    "A `postgres://` URL. When set, wflo uses that server (and checks it at start-up: an unreachable server stops start-up with a message naming `DATABASE_URL` and the host). When unset, wflo starts its own PostgreSQL.",
  ),
  WFLO_DATA_DIR: entry(
    text.default(() => path.join(process.cwd(), ".wflo")),
    "Where the embedded PostgreSQL keeps its data, plus the generated session secret. Ignored by git.",
  ),
  WFLO_PG_PORT: entry(port.default(54320), "Port of the embedded PostgreSQL (bound to 127.0.0.1 only)."),
  // Internal: set by db/connect.ts when DATABASE_URL points at an external server (shown on the dashboard).
  WFLO_EXTERNAL_DATABASE: entry(
    z.string().optional().transform(Boolean),
    "Set by wflo itself when DATABASE_URL is used.",
  ),
  WFLO_LOG_LEVEL: entry(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
    "pino log level.",
  ),

  // People and sessions
  WFLO_ADMIN_EMAIL: entry(
    text.default("admin@wflo.local"),
    "Email of the first admin, created only when there are no users.",
  ),
  WFLO_ADMIN_PASSWORD: entry(secret.optional(), "Password of the first admin (12 characters at least)."),
  NEXTAUTH_SECRET: entry(
    secret.optional(),
    "Signs session cookies. Set it explicitly when several app processes share one database.",
  ),
  NEXTAUTH_URL: entry(url.optional(), "The public URL of the control panel (needed for SSO callbacks)."),
  WFLO_SESSION_MAX_AGE: entry(int(1).default(8 * 3600), "Seconds a session lasts before sign-in is required again."),
  WFLO_SIGNIN_MAX_PER_ACCOUNT: entry(
    int(1).default(5),
    "Failed sign-ins per account within 15 minutes before the account is locked out for the rest of the window.",
  ),
  WFLO_SIGNIN_MAX_PER_ADDRESS: entry(
    int(1).default(20),
    "Failed sign-ins per client address within 15 minutes before that address is refused.",
  ),
  WFLO_TRUSTED_PROXIES: entry(
    text.default(""),
    "Proxies (comma-separated IPs or CIDRs) whose `X-Forwarded-For` names the client address for sign-in limits; an entry that is not an IP or CIDR stops start-up.",
  ),
  WFLO_OIDC_ISSUER: entry(
    url.optional(),
    "OpenID Connect issuer URL (e.g. `https://login.example.com/realms/acme`). SSO is on when this, `WFLO_OIDC_CLIENT_ID` and `WFLO_OIDC_CLIENT_SECRET` are all set. The redirect URI to register is `$NEXTAUTH_URL/api/auth/callback/oidc`.",
  ),
  WFLO_OIDC_CLIENT_ID: entry(text.optional(), "The OIDC client."),
  WFLO_OIDC_CLIENT_SECRET: entry(secret.optional(), "The OIDC client."),
  WFLO_OIDC_NAME: entry(text.default("SSO"), "Label of the SSO button."),
  // A role name; server/auth/options.ts falls back to viewer for an unknown one.
  WFLO_OIDC_DEFAULT_ROLE: entry(
    text.default("viewer"),
    "Role given to a person the first time they sign in through SSO. An admin can change it.",
  ),

  // Request-size limits (server/security/limits.ts)
  WFLO_TRPC_MAX_BYTES: entry(
    bytes.default(1 * MiB),
    "Largest request body, in bytes, of the panel (tRPC), the REST API (`/api/v1`) and a trace upload (OTLP `/api/v1/traces`, `/api/v1/spans`); a larger one gets 413 naming the variable.",
  ),
  WFLO_REST_MAX_BYTES: entry(
    bytes.default(1 * MiB),
    "Largest request body, in bytes, of the panel (tRPC), the REST API (`/api/v1`) and a trace upload (OTLP `/api/v1/traces`, `/api/v1/spans`); a larger one gets 413 naming the variable.",
  ),
  WFLO_OTLP_MAX_BYTES: entry(
    bytes.default(8 * MiB),
    "Largest request body, in bytes, of the panel (tRPC), the REST API (`/api/v1`) and a trace upload (OTLP `/api/v1/traces`, `/api/v1/spans`); a larger one gets 413 naming the variable.",
  ),

  // Workflows and the embedded engine
  WFLO_ENGINE_PORT: entry(port.default(8288), "Port of the embedded engine's Inngest API."),
  WFLO_ENGINE_HOST: entry(text.default("127.0.0.1"), "Interface it binds to."),
  WFLO_ENGINE_APPS: entry(text.optional(), "Serve URLs the engine syncs at start (comma-separated)."),
  WFLO_ENGINE_SIGNING_KEY: entry(
    secret.optional(),
    "The embedded engine's signing key; set the same value everywhere when several processes or scripts share one engine ([engine signing](docs/engine.md)).",
  ),
  WFLO_ENVELOPE_KEY: entry(
    secret.optional(),
    "Signs wflo's run envelopes (who triggered a run, its budget); 32 characters at least.",
  ),
  WFLO_ENVELOPE_KEY_PREVIOUS: entry(
    text.optional(),
    "Earlier envelope key secrets, comma-separated, still accepted while runs signed with them drain after a rotation.",
  ),
  // The Inngest SDK's own variables: wflo reads them to pick the engine (inngest/client.ts).
  INNGEST_DEV: entry(text.optional(), "Use Inngest's dev server (its URL, or 1)."),
  INNGEST_BASE_URL: entry(url.optional(), "A self-hosted Inngest server."),
  INNGEST_API_BASE_URL: entry(url.optional(), "The Inngest server's API URL, when it differs from INNGEST_BASE_URL."),
  INNGEST_EVENT_API_BASE_URL: entry(
    url.optional(),
    "The Inngest server's event API URL, when it differs from INNGEST_BASE_URL.",
  ),
  INNGEST_SIGNING_KEY: entry(secret.optional(), "Inngest Cloud or server signing key."),
  INNGEST_EVENT_KEY: entry(secret.optional(), "Inngest Cloud or server event key."),

  // Cost governance
  OPENAI_API_KEY: entry(text.optional(), "Real OpenAI calls (base URL for gateways/proxies)."),
  OPENAI_BASE_URL: entry(url.optional(), "Real OpenAI calls (base URL for gateways/proxies)."),
  ANTHROPIC_API_KEY: entry(text.optional(), "Real Anthropic calls."),
  ANTHROPIC_BASE_URL: entry(url.optional(), "Real Anthropic calls."),
  WFLO_BUDGET_TIMEZONE: entry(
    timeZone.default("UTC"),
    "IANA zone for calendar budget periods and the dashboard's days (weeks start Monday).",
  ),
  WFLO_ALERT_WEBHOOK_URLS: entry(text.optional(), "Comma-separated webhook URLs for alerts."),
  WFLO_ALERT_WEBHOOK_FORMAT: entry(
    text
      .toLowerCase()
      .pipe(z.enum(["slack", "generic"], "must be slack or generic"))
      .optional(),
    "`slack` or `generic` for every URL.",
  ),
  WFLO_PRICE_CACHE_MS: entry(int(0).default(5000), "How long a process keeps price overrides in memory."),

  // Sandboxed execution
  WFLO_SANDBOX_PROVIDER: entry(
    text.optional(),
    "Sandbox provider: `bubblewrap`, `isolated-vm`, `docker` or `e2b` ([sandbox](docs/sandbox.md)).",
  ),
  WFLO_BWRAP_PATH: entry(text.default("/usr/bin/bwrap"), "The bubblewrap binary."),
  DOCKER_HOST: entry(text.default("unix:///var/run/docker.sock"), "The Docker Engine API the `docker` provider uses."),
  WFLO_SANDBOX_DOCKER_IMAGE_PYTHON: entry(text.optional(), "Images the `docker` provider runs each language in."),
  WFLO_SANDBOX_DOCKER_IMAGE_NODE: entry(text.optional(), "Images the `docker` provider runs each language in."),
  WFLO_SANDBOX_DOCKER_IMAGE_BASH: entry(text.optional(), "Images the `docker` provider runs each language in."),
  E2B_API_KEY: entry(secret.optional(), "The `e2b` provider's API key and template."),
  WFLO_SANDBOX_E2B_TEMPLATE: entry(text.default("base"), "The `e2b` provider's API key and template."),

  // Observability
  WFLO_TRACE_PAYLOAD_CAP_BYTES: entry(
    bytes.default(64 * KiB),
    "Per-side cap, in bytes, on a captured LLM prompt or response.",
  ),
  WFLO_OTLP_MAX_ATTRIBUTE_BYTES: entry(
    bytes.default(64 * KiB),
    "An OTLP span attribute value over this many bytes refuses the upload (413).",
  ),
  WFLO_OTLP_RATE_LIMIT: entry(int(1).default(20_000), "Spans per second one API key may send over OTLP."),
  WFLO_REDACT_PATTERNS: entry(
    text.optional(),
    "Extra regular expressions to redact: one per line, or a JSON array of strings.",
  ),
  WFLO_METRICS_TOKEN: entry(
    secret.optional(),
    "`/api/metrics` wants `Authorization: Bearer <token>`; `true` opens it without one ([metrics](docs/observability.md)).",
  ),
  WFLO_METRICS_PUBLIC: entry(
    flag.default(false),
    "`/api/metrics` wants `Authorization: Bearer <token>`; `true` opens it without one ([metrics](docs/observability.md)).",
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: entry(
    url.optional(),
    "Export finished runs' traces over OTLP/HTTP to this collector; the standard `OTEL_EXPORTER_OTLP_*` variables configure the exporter.",
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: entry(
    url.optional(),
    "Export finished runs' traces over OTLP/HTTP to this collector; the standard `OTEL_EXPORTER_OTLP_*` variables configure the exporter.",
  ),
} satisfies Record<string, Entry<unknown>>;

type Spec = typeof spec;
export type EnvName = keyof Spec;
/** The parsed configuration: `env.WFLO_PG_PORT` is a number, `env.WFLO_METRICS_PUBLIC` a boolean. */
export type Env = { readonly [K in EnvName]: z.output<Spec[K]["schema"]> };
/** What environment variables arrive as: `process.env` or a test's own object. */
export type RawEnv = Record<string, string | undefined>;

export const ENV_NAMES = Object.keys(spec) as EnvName[];

/** The README's line for a variable (env.test.ts compares the names). */
export const describeEnv = (name: EnvName): string => spec[name].description;

/** A bad value: names the variable and says what is wrong with it. */
export class EnvError extends Error {
  constructor(readonly problems: { name: string; problem: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.name}: ${p.problem}`).join("; ")}`);
    this.name = "EnvError";
  }
}

function parse<K extends EnvName>(
  name: K,
  source: RawEnv,
): { ok: true; value: Env[K] } | { ok: false; problem: string } {
  const raw = source[name];
  const given = raw === undefined || raw.trim() === "" ? undefined : raw;
  const r = (spec[name].schema as z.ZodType<Env[K], string | undefined>).safeParse(given);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, problem: `${r.error.issues.map((i) => i.message).join(", ")} (got ${JSON.stringify(raw)})` };
}

function read<K extends EnvName>(name: K, source: RawEnv): Env[K] {
  const r = parse(name, source);
  if (!r.ok) throw new EnvError([{ name, problem: r.problem }]);
  return r.value;
}

/** A typed, lazy view over `source`: each property parses its variable when read. */
export function configFrom(source: RawEnv): Env {
  const view = {};
  for (const name of ENV_NAMES) Object.defineProperty(view, name, { enumerable: true, get: () => read(name, source) });
  return view as Env;
}

/** wflo's configuration, read from `process.env` at each access. */
export const env: Env = configFrom(process.env);

/** Every bad value at once (boot calls this): nothing when the configuration is valid. */
export function envProblems(source: RawEnv = process.env): { name: EnvName; problem: string }[] {
  return ENV_NAMES.flatMap((name) => {
    const r = parse(name, source);
    return r.ok ? [] : [{ name, problem: r.problem }];
  });
}

/** Throws an EnvError naming every invalid variable; boot stops start-up with its message. */
export function assertValidEnv(source: RawEnv = process.env): void {
  const problems = envProblems(source);
  if (problems.length > 0) throw new EnvError(problems);
}
