// Refreshes per minute across every instance, for the dashboard's last hour.
// Each instance counts its own refreshes in memory and adds them to
// refresh_minutes every FLUSH_MS and before it reads them, so one instance
// shows its own at once and the others' within FLUSH_MS; a crash loses at most
// that much of its own count. The refresh itself writes nothing more.
import type { RefreshMinute, RefreshMinuteStore } from '../db/refresh-minute-store.js';
import type { CoreObserver } from './observer.js';

const MINUTE_MS = 60_000;
/** How often counts go to the database: a few tiny writes a minute per instance, and only when something was refreshed. */
const FLUSH_MS = 10_000;

export class RefreshActivity {
  /** Counts not yet written, by the minute's start (ms). */
  private pending = new Map<number, { succeeded: number; failed: number }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RefreshMinuteStore,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** `observer`, with its successes and failures counted here too (a cooldown is not a refresh: the provider was not called). */
  observing(observer: CoreObserver): CoreObserver {
    return {
      ...observer,
      refreshed: (outcome, provider) => {
        if (outcome !== 'cooldown') this.count(outcome === 'success' ? 'succeeded' : 'failed');
        observer.refreshed(outcome, provider);
      },
    };
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), FLUSH_MS);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left (before the pool ends). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch(this.onError);
  }

  /** The last `minutes` minutes, oldest first, one entry each (zeros where nothing happened); the last is the current, partial minute. */
  async last(minutes: number): Promise<RefreshMinute[]> {
    await this.flush();
    const current = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
    const from = current - (minutes - 1) * MINUTE_MS;
    const stored = new Map((await this.store.since(new Date(from))).map((entry) => [entry.minute.getTime(), entry]));
    return Array.from({ length: minutes }, (_, index) => {
      const minute = from + index * MINUTE_MS;
      return stored.get(minute) ?? { minute: new Date(minute), succeeded: 0, failed: 0 };
    });
  }

  private count(outcome: 'succeeded' | 'failed'): void {
    const minute = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
    let entry = this.pending.get(minute);
    if (!entry) this.pending.set(minute, (entry = { succeeded: 0, failed: 0 }));
    entry[outcome] += 1;
  }

  /** One write at a time; counts that could not be written (the database away) are kept for the next. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      if (this.pending.size === 0) return;
      const taken = this.pending;
      this.pending = new Map();
      try {
        await this.store.add([...taken].map(([minute, counts]) => ({ minute: new Date(minute), ...counts })));
      } catch (error) {
        for (const [minute, counts] of taken) {
          const entry = this.pending.get(minute);
          if (entry) {
            entry.succeeded += counts.succeeded;
            entry.failed += counts.failed;
          } else this.pending.set(minute, counts);
        }
        throw error;
      }
    });
    return this.flushing;
  }
}
