import { env } from "@/server/env";
/**
 * Secret redaction and size caps for everything a trace stores, serves, logs or exports.
 *
 * Dependency-free on purpose: server/log.ts uses it, and the logger is imported everywhere.
 * Two rules: a value under a secret-sounding key is dropped whole (we cannot know which part of
 * `password: "..."` is the secret), and secret-shaped substrings are cut out of any string, so a
 * token pasted into free text ("call it with Bearer abc...") is caught too.
 */

export const REDACTED = "[redacted]";

/** Keys whose values are secrets whatever they look like. Matched on the key with `_`/`-` removed, lower-cased. */
const SECRET_KEY =
  /^(pass(word|wd|phrase)?|secret|clientsecret|token|accesstoken|refreshtoken|idtoken|apikey|xapikey|apitoken|authorization|proxyauthorization|cookie|setcookie|privatekey|credentials?|sessiontoken|awssecretaccesskey)$/;

/** Secret-shaped substrings, whatever key (or no key) they sit under. */
const BUILTIN_PATTERNS: readonly RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, // Authorization header values
  /\bBasic\s+[A-Za-z0-9+/=]{12,}/g,
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, // OpenAI / Anthropic keys
  /\bwflo_[A-Za-z0-9_-]{20,}/g, // wflo API keys (the 11-character display prefix stays readable)
  /\bwflo-ek-[A-Za-z0-9_-]{16,}/g, // wflo event keys, admin-made and the internal derived one (display prefixes are shorter)
  /\bsignkey-[A-Za-z0-9]+-[0-9A-Fa-f]{16,}/g, // engine / Inngest signing keys and their hashed form, any <env>
  /\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+/g, // argon2 password hashes
  /\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}/g, // bcrypt password hashes
  /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)(?=@)/gi, // URL credentials: postgres://user:[redacted]@host keeps the user
  /\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /((?:password|passwd|pwd|secret|token)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"']+)/gi, // key=value (and "key":"value") in free text
  // api_key=value only when the value looks generated (16+ characters with a digit): wflo's own
  // actor names read "api-key:<key name> (wflo_abc123…)" and must stay readable.
  /(api[_-]?key["']?\s*[=:]\s*)("[^"]*"|'[^']*'|(?=[^\s&,;"']*\d)[^\s&,;"']{16,})/gi,
  /(Failed query: [\s\S]*?\nparams: )([\s\S]*?)(?=\n\s+at |$)/g, // drizzle's failed-query text, wherever it was copied (a recorded step error): the query stays, its values go
];

/**
 * `WFLO_REDACT_PATTERNS`: extra regular expressions, one per line, or a JSON array of strings.
 * Read once per process; an invalid pattern is reported by `configuredPatterns` and skipped rather
 * than failing every write.
 */
let cached: { source: string | undefined; patterns: RegExp[] } | null = null;
export function configuredPatterns(source: string | undefined = env.WFLO_REDACT_PATTERNS): RegExp[] {
  if (cached && cached.source === source) return cached.patterns;
  const raw = (source ?? "").trim();
  let list: string[] = [];
  if (raw.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) list = parsed.filter((p): p is string => typeof p === "string");
    } catch {
      list = [];
    }
  } else if (raw) list = raw.split(/\r?\n/);
  const patterns: RegExp[] = [];
  for (const p of list.map((s) => s.trim()).filter(Boolean)) {
    try {
      patterns.push(new RegExp(p, "g"));
    } catch {
      // An invalid pattern must not take the logger down; it is simply not applied.
    }
  }
  cached = { source, patterns };
  return patterns;
}

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/[_\-.\s]/g, "").toLowerCase());
}

/** One cheap scan first: a string with none of these fragments cannot match a built-in pattern (ingest runs this per attribute). */
const MAYBE_SECRET =
  /bearer|basic|sk-|wflo_|wflo-ek-|signkey-|\$argon2|\$2[aby]\$|:\/\/[^\s/]*@|gh[opsu]_|github_pat_|xox|akia|aiza|eyj|private key|pass|pwd|secret|token|api[_-]?key|params: /i;

export function redactString(s: string, extra: readonly RegExp[] = configuredPatterns()): string {
  if (s.length < 8) return s;
  if (extra.length === 0 && !MAYBE_SECRET.test(s)) return s;
  let out = s;
  for (const re of BUILTIN_PATTERNS) {
    re.lastIndex = 0;
    // The key=value pattern keeps the key so the reader still sees what was there.
    out = out.replace(re, (_m, ...groups: unknown[]) =>
      typeof groups[0] === "string" && typeof groups[1] === "string" && groups.length > 3
        ? `${groups[0]}${REDACTED}`
        : REDACTED,
    );
  }
  for (const re of extra) {
    re.lastIndex = 0;
    out = out.replace(re, REDACTED);
  }
  return out;
}

/**
 * SQL parameters never leave in an error. drizzle's DrizzleQueryError puts them in its message
 * ("Failed query: insert ...\nparams: alice@example.com,$argon2id$...") and its stack, and keeps
 * them in `params`; the postgres driver's error keeps them in `parameters`, and its `detail` can
 * quote the failing row. The message keeps the query text (no values: they are $1, $2 ...).
 */
const SQL_PARAMS = /\nparams: [\s\S]*?(?=\n\s+at |$)/;
const stripParams = (s: string) => s.replace(SQL_PARAMS, "\nparams: [not logged]");
/** What an error may say about itself beyond name and message: codes and names, never values. */
const SAFE_ERROR_FIELDS = [
  "code",
  "severity",
  "constraint_name",
  "table_name",
  "column_name",
  "schema_name",
  "status",
  "statusCode",
] as const;

function errorRecord(e: Error, walk: (v: unknown) => unknown, extra: readonly RegExp[]): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name, message: redactString(stripParams(e.message), extra) };
  if (e.stack) out.stack = redactString(stripParams(e.stack), extra);
  const fields = e as unknown as Record<string, unknown>;
  for (const k of SAFE_ERROR_FIELDS)
    if (typeof fields[k] === "string" || typeof fields[k] === "number") out[k] = fields[k];
  // The cause chain is where the driver's own error (and its parameters) usually sits.
  if (e.cause !== undefined) out.cause = walk(e.cause);
  return out;
}

/**
 * A deep copy with secrets replaced. Cycles and depth beyond 40 become a marker instead of
 * recursing forever (log objects can be anything). Errors become plain records (see
 * `errorRecord`): name, message and stack redacted and without SQL parameters, safe codes, cause.
 */
export function redact<T>(value: T, extra: readonly RegExp[] = configuredPatterns()): T {
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return redactString(v, extra);
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Date) return v;
    if (depth > 40) return "[too deep]";
    // Only an object inside itself is a cycle; the same object in two places is copied twice.
    if (seen.has(v)) return "[circular]";
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      if (v instanceof Error) return errorRecord(v, (x) => walk(x, depth + 1), extra);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        out[k] = isSecretKey(k) && x !== null && x !== undefined && x !== "" ? REDACTED : walk(x, depth + 1);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0) as T;
}

/** Default cap on one stored input/output/attribute value: large enough for a prompt, small enough for a 5k-span trace. */
export const DEFAULT_VALUE_CAP_BYTES = 32 * 1024;

export type Truncated = { truncated: true; bytes: number; preview: string };

/**
 * Redacted, then capped: a value whose JSON exceeds `capBytes` becomes `{ truncated, bytes, preview }`
 * with the first part of its JSON, so the reader sees what it was and that it was cut.
 */
export function capValue(value: unknown, capBytes = DEFAULT_VALUE_CAP_BYTES): unknown {
  if (value === undefined) return null;
  const clean = redact(value);
  let json: string;
  try {
    json = JSON.stringify(clean, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "null";
  } catch {
    return { truncated: true, bytes: 0, preview: "[unserialisable]" } satisfies Truncated;
  }
  const bytes = Buffer.byteLength(json);
  if (bytes <= capBytes) return JSON.parse(json) as unknown;
  return { truncated: true, bytes, preview: json.slice(0, Math.max(0, capBytes - 200)) } satisfies Truncated;
}
