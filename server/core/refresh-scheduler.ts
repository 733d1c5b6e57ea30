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

  /** One look at the table: claims what is due, up to the free slots. Returns how many were claimed. */
  async tick(): Promise<number> {
    const free = this.options.concurrency - this.running;
    if (free <= 0) return 0;
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
          // A slot is free: look again soon rather than at the next interval.
          if (!this.stopped && !this.timer && !this.ticking) this.schedule(0);
        });
    }
    return claims.length;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick()
        .then(
          (claimed) => claimed,
          (error: unknown) => {
            this.options.onError?.(error);
            return 0;
          },
        )
        .then((claimed) => {
          this.ticking = null;
          if (this.stopped || this.timer) return;
          // A full batch: more may be due now. Else wait, with jitter so instances do not look in step.
          const full = claimed > 0 && this.running >= this.options.concurrency;
          this.schedule(claimed > 0 && !full ? 0 : jitter(this.options.intervalMs));
        });
    }, delayMs);
    this.timer.unref();
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
