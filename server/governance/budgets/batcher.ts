/**
 * Application-level group commit. Calls that arrive while a batch is in flight wait and go
 * together in the next one: one transaction, one WAL flush and one hold of a hot budget row
 * for many LLM calls. An idle caller goes at once, so batching adds no latency when quiet.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly exec: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 128,
    private readonly maxInFlight = 1,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const out = await this.exec(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) b.resolve(out[i]!);
        } catch (e) {
          if (batch.length === 1) {
            batch[0]!.reject(e);
            continue;
          }
          // One bad item (say, a duplicate idempotency key racing another process) must not
          // fail its neighbours: retry each alone so only the culprit sees the error.
          for (const b of batch) {
            try {
              const [o] = await this.exec([b.item]);
              b.resolve(o!);
            } catch (err) {
              b.reject(err);
            }
          }
        }
      }
    } finally {
      this.inFlight--;
    }
  }
}

/** One batcher per database handle and kind, created on first use. */
export function batcherFor<I, O>(
  registry: WeakMap<object, Batcher<I, O>>,
  db: object,
  make: () => Batcher<I, O>,
): Batcher<I, O> {
  let b = registry.get(db);
  if (!b) {
    b = make();
    registry.set(db, b);
  }
  return b;
}
