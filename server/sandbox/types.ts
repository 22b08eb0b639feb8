import { z } from "zod";
import { DomainError } from "@/server/errors";

/**
 * The one interface every sandbox provider implements, and the request/result shapes
 * `wflo.sandbox.run` speaks. Requests are parsed here (zod, "field: rule" messages); limits are
 * resolved against the workflow's policy (policy.ts) before any provider sees them.
 */

export const SANDBOX_LANGUAGES = ["python", "node", "bash"] as const;
export type SandboxLanguage = (typeof SANDBOX_LANGUAGES)[number];

export const SANDBOX_PROVIDERS = ["bubblewrap", "isolated-vm", "docker", "e2b"] as const;
export type SandboxProviderName = (typeof SANDBOX_PROVIDERS)[number];

/** Input sizes: the request travels through a durable step and the executions table. */
export const MAX_CODE_BYTES = 64 * 1024;
export const MAX_FILES_BYTES = 1024 * 1024;
export const MAX_FILES = 100;
export const MAX_STDIN_BYTES = 1024 * 1024;
/** What comes back as files, in total, whatever the policy says: it is stored and memoized. */
export const MAX_RETURNED_FILES_BYTES = 1024 * 1024;

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
/** No lone UTF-16 surrogates (they cannot become UTF-8 file names or Postgres text). */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

const filePath = z
  .string({ error: "files[].path must be text" })
  .min(1, "files[].path must not be empty")
  .refine((p) => wellFormed(p), "files[].path must be valid Unicode (no lone surrogates)")
  .refine((p) => !p.includes("\0"), "files[].path must not contain NUL bytes")
  .refine((p) => !p.startsWith("/"), "files[].path must be relative to the workspace")
  .refine(
    (p) => p.split("/").every((part) => part !== ".." && part !== "." && part !== ""),
    "files[].path must not contain '..', '.' or empty segments",
  )
  .refine((p) => bytes(p) <= 200, "files[].path must be at most 200 bytes");

const inputFile = z.object({
  path: filePath,
  content: z.string({ error: "files[].content must be text" }),
  encoding: z.enum(["utf8", "base64"], { error: "files[].encoding must be utf8 or base64" }).default("utf8"),
});

const positiveInt = (field: string, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .int(`${field} must be a whole number`)
    .positive(`${field} must be positive`)
    .max(max, `${field} must be at most ${max}`);

/** Limits a request may ask for; unset ones come from the policy's defaults. */
export const sandboxLimitsSchema = z.object({
  timeoutMs: positiveInt("timeoutMs", 3_600_000).optional(),
  memoryMb: positiveInt("memoryMb", 65_536).optional(),
  cpuSeconds: positiveInt("cpuSeconds", 3_600).optional(),
  maxOutputBytes: positiveInt("maxOutputBytes", 64 * 1024 * 1024).optional(),
});

export const sandboxRequestSchema = sandboxLimitsSchema.extend({
  language: z.enum(SANDBOX_LANGUAGES, { error: `language must be one of: ${SANDBOX_LANGUAGES.join(", ")}` }),
  code: z
    .string({ error: "code must be text" })
    .min(1, "code must not be empty")
    .refine((c) => bytes(c) <= MAX_CODE_BYTES, `code must be at most ${MAX_CODE_BYTES} bytes`)
    .refine((c) => !c.includes("\0"), "code must not contain NUL bytes")
    .refine((c) => wellFormed(c), "code must be valid Unicode"),
  files: z
    .array(inputFile, { error: "files must be a list of { path, content }" })
    .max(MAX_FILES, `files must hold at most ${MAX_FILES} entries`)
    .default([])
    .refine((fs) => new Set(fs.map((f) => f.path)).size === fs.length, "files must not repeat a path")
    .refine(
      (fs) => fs.reduce((n, f) => n + fileBytes(f).length, 0) <= MAX_FILES_BYTES,
      `files must total at most ${MAX_FILES_BYTES} bytes`,
    ),
  stdin: z
    .string({ error: "stdin must be text" })
    .refine((s) => bytes(s) <= MAX_STDIN_BYTES, `stdin must be at most ${MAX_STDIN_BYTES} bytes`)
    .default(""),
  /** Network is off unless asked for AND granted by policy; `hosts` is the allowlist asked for. */
  network: z
    .union(
      [
        z.literal(false),
        z.object({
          hosts: z
            .array(z.string().trim().min(1, "network.hosts[] must not be empty").max(253))
            .min(1, "network.hosts must name at least one host")
            .max(20),
        }),
      ],
      {
        error: "network must be false or { hosts: [...] }",
      },
    )
    .default(false),
  /** A provider other than the configured default; must be allowed by policy. */
  provider: z.enum(SANDBOX_PROVIDERS, { error: `provider must be one of: ${SANDBOX_PROVIDERS.join(", ")}` }).optional(),
});

export type SandboxRequestInput = z.input<typeof sandboxRequestSchema>;
export type SandboxRequest = z.output<typeof sandboxRequestSchema>;
export type SandboxFileInput = SandboxRequest["files"][number];

export function fileBytes(f: { content: string; encoding: "utf8" | "base64" }): Buffer {
  return f.encoding === "base64" ? Buffer.from(f.content, "base64") : Buffer.from(f.content, "utf8");
}

/** Limits after policy: every one set. */
export type SandboxLimits = { timeoutMs: number; memoryMb: number; cpuSeconds: number; maxOutputBytes: number };

/** What a provider is asked to do: a parsed request with limits resolved. */
export type SandboxJob = {
  language: SandboxLanguage;
  code: string;
  files: SandboxFileInput[];
  stdin: string;
  limits: SandboxLimits;
};

/**
 * How an execution ended. `ok`/`error`: the code exited by itself (0 / non-zero);
 * `timeout`: the wall clock ran out and the whole process tree was killed; `cpu_limit`:
 * RLIMIT_CPU (or the provider's CPU limit) stopped it; `memory_limit`: allocation failed at the
 * memory cap (detected from the runtime's own message or the provider's report);
 * `output_limit`: stdout+stderr passed maxOutputBytes and the sandbox was killed; `killed`: another signal.
 */
export const SANDBOX_OUTCOMES = [
  "ok",
  "error",
  "timeout",
  "cpu_limit",
  "memory_limit",
  "output_limit",
  "killed",
] as const;
export type SandboxOutcome = (typeof SANDBOX_OUTCOMES)[number];

export type SandboxOutputFile = {
  /** The name as written; non-UTF-8 bytes are replaced with U+FFFD and `nameBytesBase64` keeps the original. */
  path: string;
  nameBytesBase64?: string;
  size: number;
  /** utf8 text, or base64 for binary content. Empty when `truncated` left it out. */
  content: string;
  encoding: "utf8" | "base64";
  truncated: boolean;
};

export type SandboxUsage = { wallMs: number; userCpuMs: number | null; systemCpuMs: number | null };

/** What a provider reports back. */
export type SandboxOutput = {
  outcome: SandboxOutcome;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** stdout/stderr were not valid UTF-8 (shown with U+FFFD replacements). */
  binaryOutput: boolean;
  files: SandboxOutputFile[];
  /** Some written files were left out or cut to stay under the cap. */
  filesTruncated: boolean;
  usage: SandboxUsage;
};

/** What `wflo.sandbox.run` returns: the provider's output plus who ran it, with what. */
export type SandboxResult = SandboxOutput & {
  executionId: string;
  provider: SandboxProviderName;
  language: SandboxLanguage;
  limits: SandboxLimits;
  durationMs: number;
};

export type SandboxProvider = {
  name: SandboxProviderName;
  /** What it guarantees, in a sentence (shown in the policy UI and errors). */
  isolation: string;
  languages: readonly SandboxLanguage[];
  /** Throws SandboxUnavailableError naming what is missing. */
  ensureAvailable(): Promise<void>;
  run(job: SandboxJob): Promise<SandboxOutput>;
};

/** The chosen provider cannot run here; `missing` names the piece (binary, socket, key, package). */
export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
  constructor(
    readonly provider: SandboxProviderName,
    readonly missing: string,
  ) {
    super(
      `sandbox provider "${provider}" is unavailable: ${missing}. Nothing was run (wflo never falls back to running code unsandboxed).`,
    );
  }
}

/** The request asks for something the workflow's sandbox policy does not allow. */
export class SandboxPolicyError extends Error {
  override readonly name = "SandboxPolicyError";
}

/** The request itself is malformed (field: rule). */
export class SandboxInputError extends DomainError {
  override readonly name = "SandboxInputError";
  constructor(message: string) {
    super("bad_request", message);
  }
}
