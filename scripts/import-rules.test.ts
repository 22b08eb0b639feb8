import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The arrows of wflo's shape (design.md, "The shape"), read from the imports themselves: every
 * import, export-from, dynamic import() and import("x") type of every source file (a careful
 * regex over the text without comments: the TypeScript in use, 7, has no JavaScript API), resolved
 * (`@/` and relative) to the project path it names. A failure lists each offending file and
 * import. Tests and `testing/` folders are harnesses over the layers and are not checked.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
const SCANNED = ["app", "components", "server", "inngest", "db", "sdk", "cli", "instrumentation.ts"];
const SOURCE = /\.(ts|tsx|mts|mjs)$/;

type Import = { from: string; to: string; spec: string; typeOnly: boolean };

function sourceFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (SOURCE.test(rel)) return [rel];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "testing" ? [] : sourceFiles(child);
    return SOURCE.test(e.name) &&
      !/\.test\.tsx?$/.test(e.name) &&
      !e.name.endsWith(".d.ts") &&
      !e.name.endsWith(".d.mts")
      ? [child]
      : [];
  });
}

/** The project path an import names ("inngest/engine/index", "server/log"), or null for a package. */
function resolve(from: string, spec: string): string | null {
  let target: string;
  if (spec.startsWith("@/")) target = spec.slice(2);
  else if (spec.startsWith(".")) target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  else return null;
  return target.replace(/\.(ts|tsx|mts|mjs|js)$/, "");
}

// Comments out first, so a commented-out import counts for nothing; "://" in a URL is not a comment.
const COMMENTS = /\/\*[\s\S]*?\*\/|(^|[^:\\])\/\/.*$/gm;
// `import x, { a, type b } from "m"`, `import type { T } from "m"`, `export { a } from "m"`, `export * from "m"`:
// the clause holds only names, braces, commas, `*`, `as` and `type`, so a match never spans code.
const STATIC = /(?:^|[;}])\s*(import|export)\s+([\w$\s{},*]*?)\s*from\s*["']([^"']+)["']/gm;
const BARE = /(?:^|[;}])\s*import\s*["']([^"']+)["']/gm;
// `import("m")`, in code or in a type (`import("m").T`), counted as a value import.
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Type-only: `import type ...`, `export type ...`, or braces in which every name is `type X`. */
function isTypeOnly(clause: string): boolean {
  const c = clause.trim();
  if (/^type\s/.test(c)) return true;
  const braces = /^\{([\s\S]*)\}$/.exec(c);
  const names =
    braces?.[1]
      ?.split(",")
      .map((n) => n.trim())
      .filter(Boolean) ?? [];
  return names.length > 0 && names.every((n) => /^type\s/.test(n));
}

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(ROOT, file), "utf8").replace(COMMENTS, "$1");
  const found: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const to = resolve(file, spec);
    if (to) found.push({ from: file, to, spec, typeOnly });
  };
  for (const m of text.matchAll(STATIC)) add(m[3] ?? "", isTypeOnly(m[2] ?? ""));
  for (const m of text.matchAll(BARE)) add(m[1] ?? "", false);
  for (const m of text.matchAll(DYNAMIC)) add(m[1] ?? "", false);
  return found;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);
/** The layer a path belongs to: the engine is a layer of its own inside inngest/. */
const layerOf = (p: string) => (under(p, "inngest/engine") ? "inngest/engine" : (p.split("/")[0] ?? p));

/**
 * Leaf modules the engine may use besides db/: pure helpers with no imports above them (the
 * logger, the typed config (server/env.ts: zod and node only), the signing key and its derived
 * keys, the event-key format, the one zod-issue formatter), shared with server/.
 */
const ENGINE_LEAVES = [
  "server/log",
  "server/env",
  "server/security/signing",
  "server/security/signing-key",
  "server/security/event-key-format",
  "server/security/text-input",
  "server/zod-issues",
];

/**
 * What cli/ may take from server/: the one zod-issue formatter, a leaf (the zod package only),
 * so the CLI reports a bad wflo.json the way the panel reports bad input, without a second copy.
 */
const CLI_LEAVES = ["server/zod-issues"];

/**
 * Type-only imports of inngest/ from server/ that cannot be avoided: an adapter's context is the
 * serving client's function context type, which the middleware shapes (`ctx.wflo`).
 */
const SERVER_TYPE_IMPORTS_OF_INNGEST = new Set(["server/adapters/framework.ts -> inngest/client"]);

/**
 * What components/ may take from server/ and db/ as values: schemas (zod schemas, drizzle enums
 * and constants of db/schema, `schemas.ts` and `types.ts` of a domain) and pure, import-free rule
 * modules the UI mirrors. Anything else only as a type.
 */
const COMPONENT_VALUE_IMPORTS = [
  /^db\/schema(\/|$)/,
  /^server\/.+\/(schemas|types)$/,
  /^server\/runs\/reserved-names$/,
];

/** Known arrows outside the table, each with its reason; the lead decides whether they stay. */
const EXCEPTIONS = new Set([
  // Route handlers take the connection (getDb) to hand to the service they call.
  "app/api/metrics/route.ts -> db/client",
  "app/api/trpc/[trpc]/route.ts -> db/client",
  "app/api/v1/traces/route.ts -> db/client",
  // The RSC tRPC caller hydrates into the same QueryClient settings the browser uses.
  "server/api/server.tsx -> components/trpc/query-client",
]);
const excepted = (i: Import) => EXCEPTIONS.has(`${i.from} -> ${i.to}`);

type Rule = { name: string; applies: (i: Import) => boolean; allowed: (i: Import) => boolean };

const RULES: Rule[] = [
  {
    name: "app/ imports components/, server/ and inngest/ (the serve route) only",
    applies: (i) => layerOf(i.from) === "app",
    allowed: (i) => ["app", "components", "server", "inngest"].includes(layerOf(i.to)) || excepted(i),
  },
  {
    name: "components/ imports server/ (and db/schema) for types and schemas only",
    applies: (i) => layerOf(i.from) === "components" && layerOf(i.to) !== "components",
    allowed: (i) =>
      ["server", "db"].includes(layerOf(i.to)) && (i.typeOnly || COMPONENT_VALUE_IMPORTS.some((r) => r.test(i.to))),
  },
  {
    name: "server/ imports db/ and server/; inngest/ only from server/boot.ts (the composition root)",
    applies: (i) => layerOf(i.from) === "server",
    allowed: (i) =>
      ["server", "db"].includes(layerOf(i.to)) ||
      excepted(i) ||
      i.from === "server/boot.ts" ||
      (i.typeOnly && SERVER_TYPE_IMPORTS_OF_INNGEST.has(`${i.from} -> ${i.to}`)),
  },
  {
    name: "inngest/ (client, middleware, functions) imports server/, db/ and inngest/, never the engine",
    applies: (i) => layerOf(i.from) === "inngest",
    allowed: (i) => ["inngest", "server", "db"].includes(layerOf(i.to)),
  },
  {
    name: `inngest/engine/ imports db/, itself and the shared leaves (${ENGINE_LEAVES.join(", ")}) only`,
    applies: (i) => layerOf(i.from) === "inngest/engine",
    allowed: (i) => ["inngest/engine", "db"].includes(layerOf(i.to)) || ENGINE_LEAVES.includes(i.to),
  },
  {
    name: "nothing outside the engine reaches into inngest/engine/ but server/boot.ts",
    applies: (i) => layerOf(i.to) === "inngest/engine" && layerOf(i.from) !== "inngest/engine",
    allowed: (i) => i.from === "server/boot.ts" || i.typeOnly,
  },
  {
    name: "server/env.ts is a leaf (packages only), so every layer, the engine included, may read the config",
    applies: (i) => i.from === "server/env.ts",
    allowed: () => false,
  },
  {
    name: "db/ imports nothing above it",
    applies: (i) => layerOf(i.from) === "db",
    allowed: (i) => layerOf(i.to) === "db",
  },
  {
    name: "cli/ never imports server/ but its shared leaves (it talks to the panel over the API, via sdk/client)",
    applies: (i) => layerOf(i.from) === "cli",
    allowed: (i) =>
      (layerOf(i.to) !== "server" || CLI_LEAVES.includes(i.to)) &&
      layerOf(i.to) !== "inngest" &&
      layerOf(i.to) !== "inngest/engine",
  },
  {
    name: "server/zod-issues.ts is a leaf (packages only), so the engine and the CLI may share the one formatter",
    applies: (i) => i.from === "server/zod-issues.ts",
    allowed: () => false,
  },
  {
    name: "inngest/registry.ts is a leaf read only by the serve route and the catalog boot provides (inngest/catalog.ts)",
    applies: (i) => i.to === "inngest/registry",
    allowed: (i) => ["app/api/inngest/route.ts", "inngest/catalog.ts"].includes(i.from),
  },
  {
    name: "the registry's catalog is provided by the composition roots only: server/boot.ts and the SDK (a script's process)",
    applies: (i) => i.to === "inngest/catalog",
    allowed: (i) => ["server/boot.ts", "sdk/workflow.ts"].includes(i.from),
  },
];

/** Every broken rule, with the file and the import that breaks it. */
function violations(imports: readonly Import[]): string[] {
  return RULES.flatMap((r) =>
    imports
      .filter((i) => r.applies(i) && !r.allowed(i))
      .map((i) => `${r.name}: ${i.from} imports "${i.spec}"${i.typeOnly ? " (type only)" : ""}`),
  );
}

describe("import rules (design.md, The shape)", () => {
  const imports = SCANNED.flatMap(sourceFiles).flatMap(importsOf);

  it("reads the imports of every layer", () => {
    // A scan that silently found nothing would pass every rule.
    for (const layer of ["app", "components", "server", "inngest", "inngest/engine", "db", "sdk", "cli"]) {
      expect(
        imports.some((i) => layerOf(i.from) === layer),
        layer,
      ).toBe(true);
    }
  });

  it("keeps every arrow of the shape", () => {
    const broken = violations(imports);
    if (broken.length) console.error(`import rules broken:\n  ${broken.join("\n  ")}`);
    expect(broken).toEqual([]);
  });

  it("would catch each of the old arrows", () => {
    const old = (from: string, spec: string, typeOnly = false): Import => ({
      from,
      spec,
      to: resolve(from, spec) ?? spec,
      typeOnly,
    });
    const samples = [
      old("server/runs/service.ts", "@/inngest/registry"),
      old("server/recovery/fingerprint.ts", "@/inngest/registry"),
      old("server/approvals/deliver.ts", "@/inngest/client"),
      old("server/runs/envelope-key.ts", "@/inngest/engine/signing-key"),
      old("inngest/client.ts", "./engine/signing"),
      old("inngest/engine/http-api.ts", "@/server/runs/service"),
      old("db/client.ts", "@/server/log"),
      old("cli/main.ts", "@/server/runs/service"),
      old("components/runs/run-detail.tsx", "@/server/runs/service"),
      old("sdk/workflow.ts", "@/inngest/registry"),
    ];
    for (const s of samples) expect(violations([s]), `${s.from} -> ${s.spec}`).not.toEqual([]);
  });
});
