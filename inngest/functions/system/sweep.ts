/** The part of Inngest's step tools a sweep uses. */
type SweepSteps = { run: (id: string, fn: () => Promise<number>) => Promise<number> };

/**
 * A periodic sweep in bounded passes: each pass is one durable step (`<prefix>-<n>`) that handles
 * at most `batch` rows and returns how many it did; a short pass means nothing is left. At most
 * `maxPasses` per run, so one run never holds rows for long and a backlog is worked off over a
 * few minutes. Returns the total.
 */
export async function sweepInPasses(
  step: SweepSteps,
  prefix: string,
  batch: number,
  sweep: () => Promise<number>,
  maxPasses = 10,
): Promise<number> {
  let total = 0;
  for (let pass = 0; pass < maxPasses; pass++) {
    const n = await step.run(`${prefix}-${pass}`, sweep);
    total += n;
    if (n < batch) break;
  }
  return total;
}
