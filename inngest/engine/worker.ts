import { randomBytes } from "node:crypto";
import { log } from "@/server/log";
import { QUEUE_CHANNEL, type EngineCore } from "./core";
import type { QueueItem } from "./claim";
import { executeItem } from "./executor";
import { claim, heartbeat, releaseForRetry } from "./queue";

/**
 * The worker loop: claim due rows (woken by LISTEN/NOTIFY, or by polling for timers), run
 * each concurrently up to `maxInFlight`, and keep their leases alive while they run.
 */
export class Worker {
  readonly id = `w${process.pid}-${randomBytes(4).toString("hex")}`;
  private running = false;
  private inFlight = new Map<string, { item: QueueItem; done: Promise<void> }>();
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private loopDone: Promise<void> | null = null;
  private beat: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private prune: NodeJS.Timeout | null = null;

  constructor(
    private readonly core: EngineCore,
    private readonly opts: { pollIntervalMs: number; maxInFlight: number; drainMs?: number },
  ) {}

  wake = (): void => {
    this.woken = true;
    this.wakeUp?.();
  };

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const listener = await this.core.sql.listen(QUEUE_CHANNEL, () => this.wake());
    this.unlisten = listener.unlisten;
    this.beat = setInterval(
      () => {
        const items = [...this.inFlight.values()].map((f) => f.item);
        heartbeat(this.core.sql, items, this.core.leaseMs).catch((e: unknown) =>
          log.warn({ err: e }, "engine: lease heartbeat failed"),
        );
      },
      Math.max(50, Math.floor(this.core.leaseMs / 3)),
    );
    this.prune = setInterval(() => {
      pruneFlowMarks(this.core).catch((e: unknown) =>
        log.warn({ err: e }, "engine: pruning flow-control marks failed"),
      );
    }, 60_000);
    this.prune.unref();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    if (this.beat) clearInterval(this.beat);
    if (this.prune) clearInterval(this.prune);
    await this.loopDone;
    // In-flight calls may wait minutes on an SDK; don't hold shutdown hostage. Their leases
    // lapse and any process (this one restarted, or another) picks the work up again.
    const drained = Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    await Promise.race([drained, new Promise((r) => setTimeout(r, this.opts.drainMs ?? 5_000).unref())]);
    await this.unlisten?.().catch(() => {});
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let claimed = 0;
      const room = this.opts.maxInFlight - this.inFlight.size;
      if (room > 0) {
        try {
          const items = await claim(this.core.sql, this.id, room, this.core.leaseMs);
          claimed = items.length;
          for (const item of items) this.run(item);
        } catch (e) {
          if (!this.running) break;
          log.error({ err: e }, "engine: claiming work failed");
        }
      }
      if (!this.running) break;
      if (claimed > 0 && claimed === room) continue;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private run(item: QueueItem): void {
    const done = executeItem(this.core, item)
      .catch(async (e: unknown) => {
        log.error(
          { err: e, item: { id: item.id, kind: item.kind, run: item.run_id } },
          "engine: work item failed unexpectedly; retrying it",
        );
        await releaseForRetry(this.core.sql, item, 1_000).catch(() => {});
      })
      .finally(() => {
        this.inFlight.delete(item.id);
        this.wake();
      });
    this.inFlight.set(item.id, { item, done });
  }
}

/** Flow-control marks only matter inside their window (at most a day for idempotency). */
async function pruneFlowMarks(core: EngineCore): Promise<void> {
  await core.sql`delete from engine_flow_marks where at < now() - interval '25 hours'`;
}
