// Refresh ahead: every instance claims the connections whose refresh is due
// (their window opened, or their refresh token would idle-expire) and runs
// their refreshes, a bounded number at a time. Instances share the work through
// the claims (FOR UPDATE SKIP LOCKED): each connection is claimed by one. In
// steady state no reader waits on a refresh.
import type { ConnectionStore } from '../db/connection-store.js';
import type { RefreshEngine } from './refresh-engine.js';

export interface RefreshSchedulerOptions {
  connections: ConnectionStore;
  engine: RefreshEngine;
  /** Refreshes this instance runs at once. */
  concurrency: number;
  leaseSeconds: number;
  /** Between looks at the table when there was nothing to claim; each wait varies by a fifth either way. */
  intervalMs: number;
  /** A failed look (the database away) is reported here and retried at the next tick. */
  onError?: (error: unknown) => void;
}

export class RefreshScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running = 0;
  private ticking: Promise<void> | null = null;
  private stopped = true;
  /** The last look filled every free slot: more may be due, and each freed slot looks again. */
  private backlog = false;
  /** The most a due connection has waited past its due time when claimed, in the last look (ms). */
  lagMs = 0;

  constructor(private readonly options: RefreshSchedulerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming; refreshes under way finish (the engine's settle() waits for them). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** One look at the table: claims what is due, up to the free slots. Returns how many it asked for and got. */
  async tick(): Promise<{ asked: number; claimed: number }> {
    const free = this.options.concurrency - this.running;
    if (free <= 0) return { asked: 0, claimed: 0 };
    // A little ahead of the due time (two looks' worth): the readers' own window opens at it, and a
    // refresh the scheduler started first is one no reader waits for.
    const claims = await this.options.connections.claimDue(new Date(Date.now() + 2 * this.options.intervalMs), free, this.options.leaseSeconds);
    const now = Date.now();
    this.lagMs = 0;
    for (const claim of claims) {
      const dueAt = claim.refreshDueAt;
      if (dueAt) this.lagMs = Math.max(this.lagMs, now - dueAt.getTime());
      this.running += 1;
      this.options.engine
        .runClaimed(claim)
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running -= 1;
          // A slot is free and more may be due (the last look filled every slot): look again at once. The
          // refreshes that end in the same turn (their answers are written together) are claimed for together.
          if (this.backlog && !this.stopped && !this.timer && !this.ticking) this.schedule(0);
        });
    }
    return { asked: free, claimed: claims.length };
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick()
        .then(
          (look) => look,
          (error: unknown) => {
            this.options.onError?.(error);
            return null;
          },
        )
        .then((look) => {
          this.ticking = null;
          // A failed look waits the interval; a look with no free slot leaves the backlog as it was.
          if (!look) this.backlog = false;
          else if (look.asked > 0) this.backlog = look.claimed === look.asked;
          if (this.stopped || this.timer) return;
          // A backlog: the refreshes' ends look again (at once if some ended during this look). Else wait, with
          // jitter so that instances do not look in step.
          if (this.backlog) {
            if (this.running < this.options.concurrency) this.schedule(0);
            return;
          }
          this.schedule(jitter(this.options.intervalMs));
        });
    }, delayMs);
    this.timer.unref();
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
