// Work that lives in rows and is shared by every instance through claims
// (FOR UPDATE SKIP LOCKED): refreshes ahead, webhook deliveries. Each instance
// claims up to its free slots and works on what it got. A look that filled
// every slot may have left more: each freed slot then looks again (the ends of
// one turn together); a look that found less waits the interval, varied by a
// fifth either way so that instances do not look in step. A failed look (the
// database away) waits the interval too.

export interface ClaimLoopOptions<Item> {
  /** Items worked on at once by this instance. */
  concurrency: number;
  /** Between looks that found less than they asked for. */
  intervalMs: number;
  /** Claims up to `limit` items. */
  claim(limit: number): Promise<Item[]>;
  /** Works on one claimed item; its failure goes to onError. */
  work(item: Item): Promise<unknown>;
  onError?: (error: unknown) => void;
}

export class ClaimLoop<Item> {
  private timer: NodeJS.Timeout | null = null;
  private looking: Promise<void> | null = null;
  private readonly working = new Set<Promise<void>>();
  private stopped = true;
  /** The last look filled every free slot: more may be due, and each freed slot looks again. */
  private backlog = false;

  constructor(private readonly options: ClaimLoopOptions<Item>) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming (the look under way ends first); the work under way goes on: settle() waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.looking;
  }

  /** Waits for the work under way. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.working]);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.looking = this.look()
        .then(
          (look) => look,
          (error: unknown) => {
            this.options.onError?.(error);
            return null;
          },
        )
        .then((look) => {
          this.looking = null;
          // A look with no free slot leaves the backlog as it was.
          if (!look) this.backlog = false;
          else if (look.asked > 0) this.backlog = look.claimed === look.asked;
          if (this.stopped || this.timer) return;
          if (this.backlog) {
            if (this.working.size < this.options.concurrency) this.schedule(0);
            return;
          }
          this.schedule(Math.round(this.options.intervalMs * (0.8 + Math.random() * 0.4)));
        });
    }, delayMs);
    this.timer.unref();
  }

  private async look(): Promise<{ asked: number; claimed: number }> {
    const free = this.options.concurrency - this.working.size;
    if (free <= 0) return { asked: 0, claimed: 0 };
    const items = await this.options.claim(free);
    for (const item of items) {
      const work: Promise<void> = this.options
        .work(item)
        .then(
          () => undefined,
          (error: unknown) => this.options.onError?.(error),
        )
        .finally(() => {
          this.working.delete(work);
          if (this.backlog && !this.stopped && !this.timer && !this.looking) this.schedule(0);
        });
      this.working.add(work);
    }
    return { asked: free, claimed: items.length };
  }
}
