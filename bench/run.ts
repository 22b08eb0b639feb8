/**
 * `npm run bench [-- name ...]`: runs every benchmark in bench/ (or the named ones),
 * prints a table, and merges the figures into bench/results.json as
 * { "<metric>": { "value": number, "unit": string } }.
 * Each benchmark module exports `run(): Promise<Record<string, Metric>>`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type Metric = { value: number; unit: string };
type Bench = { run: () => Promise<Record<string, Metric>> };

const dir = import.meta.dirname;
const resultsFile = path.join(dir, "results.json");
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".test.ts"))
  .map((f) => f.replace(/\.ts$/, ""));
const asked = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = asked.filter((a) => !available.includes(a));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}. Available: ${available.join(", ")}`);
  process.exit(2);
}

const results: Record<string, Metric> = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, "utf8")) as Record<string, Metric>)
  : {};
for (const name of asked.length ? asked : available) {
  console.log(`\n# ${name}`);
  const mod = (await import(path.join(dir, `${name}.ts`))) as Bench;
  const figures = await mod.run();
  console.table(
    Object.fromEntries(
      Object.entries(figures).map(([k, m]) => [k, { value: Number(m.value.toFixed(3)), unit: m.unit }]),
    ),
  );
  Object.assign(results, figures);
}
results["machine.cpus"] = { value: os.cpus().length, unit: "cores" };
results["machine.memory_gib"] = { value: Math.round(os.totalmem() / 2 ** 30), unit: "GiB" };
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `\nwrote ${path.relative(process.cwd(), resultsFile)} (${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores)`,
);
process.exit(0);
