/**
 * sandbox.start_ms_p50: wall time of `print(1)` in the default provider (bubblewrap), from the
 * provider call to its result: namespace setup, workspace unpack, python start-up, collect.
 */
import { bubblewrapProvider } from "@/server/sandbox/providers/bubblewrap";
import { DEFAULT_LIMITS } from "@/server/sandbox/policy";

type Metric = { value: number; unit: string };

export async function run(): Promise<Record<string, Metric>> {
  await bubblewrapProvider.ensureAvailable();
  const job = { language: "python" as const, code: "print(1)", files: [], stdin: "", limits: DEFAULT_LIMITS };
  for (let i = 0; i < 3; i++) await bubblewrapProvider.run(job);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const r = await bubblewrapProvider.run(job);
    times.push(performance.now() - t);
    if (r.stdout !== "1\n") throw new Error(`print(1) printed ${JSON.stringify(r.stdout)} (${r.outcome})`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return {
    "sandbox.start_ms_p50": { value: at(0.5), unit: "ms" },
    "sandbox.start_ms_p95": { value: at(0.95), unit: "ms" },
  };
}
