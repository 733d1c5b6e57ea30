// Refresh ahead: every instance claims the connections whose refresh is due
// (their window opened, or their refresh token would idle-expire) and runs
// their refreshes, a bounded number at a time. Instances share the work through
// the claims (FOR UPDATE SKIP LOCKED): each connection is claimed by one. In
// steady state no reader waits on a refresh.
import type { ConnectionStore, RefreshClaim } from '../db/connection-store.js';
import { ClaimLoop } from './claim-loop.js';
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
  private readonly loop: ClaimLoop<RefreshClaim>;

  constructor(options: RefreshSchedulerOptions) {
    this.loop = new ClaimLoop({
      concurrency: options.concurrency,
      intervalMs: options.intervalMs,
      // A little ahead of the due time (two looks' worth): the readers' own window opens at it, and a
      // refresh the scheduler started first is one no reader waits for.
      claim: (limit) => options.connections.claimDue(new Date(Date.now() + 2 * options.intervalMs), limit, options.leaseSeconds),
      work: (claim) => options.engine.runClaimed(claim),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming; refreshes under way finish (the engine's settle() waits for them). */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
