import { describe, expect, it } from '@jest/globals';
import { ClaimLoop } from './claim-loop.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue of `total` items worked on in `workMs` each, and the limits it was asked for. */
function queue(total: number, workMs: number) {
  let left = total;
  const asked: number[] = [];
  const done: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    asked,
    done,
    get maxInFlight() {
      return maxInFlight;
    },
    claim: async (limit: number) => {
      asked.push(limit);
      const items = Array.from({ length: Math.min(limit, left) }, (_, index) => total - left + index);
      left -= items.length;
      return items;
    },
    work: async (item: number) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(workMs);
      inFlight -= 1;
      done.push(item);
    },
  };
}

describe('ClaimLoop', () => {
  it('keeps every slot busy while a backlog lasts, without waiting the interval, and never exceeds its concurrency', async () => {
    const work = queue(50, 20);
    const loop = new ClaimLoop({ concurrency: 10, intervalMs: 60_000, claim: work.claim, work: work.work });
    loop.start();
    for (let waited = 0; work.done.length < 50 && waited < 3000; waited += 10) await sleep(10);
    await loop.stop();
    expect(work.done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(work.maxInFlight).toBe(10);
    // The interval is a minute: every look came from the backlog or a freed slot.
    expect(work.asked[0]).toBe(10);
  });

  it('waits the interval after a look that found less than it asked for, and after a failed look', async () => {
    const asked: number[] = [];
    const errors: unknown[] = [];
    let fail = true;
    const loop = new ClaimLoop<number>({
      concurrency: 5,
      intervalMs: 200,
      claim: async (limit) => {
        asked.push(limit);
        if (fail) {
          fail = false;
          throw new Error('database away');
        }
        return [];
      },
      work: async () => undefined,
      onError: (error) => errors.push(error),
    });
    loop.start();
    await sleep(100);
    expect(asked).toHaveLength(1);
    expect(errors).toHaveLength(1);
    await sleep(550);
    await loop.stop();
    // About one look per interval (±20 %) after the failure: two or three, not dozens.
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(asked.length).toBeLessThanOrEqual(5);
  });

  it('stops claiming at stop(); settle() waits for the work under way', async () => {
    const work = queue(100, 100);
    const loop = new ClaimLoop({ concurrency: 4, intervalMs: 60_000, claim: work.claim, work: work.work });
    loop.start();
    await sleep(30);
    await loop.stop();
    const looks = work.asked.length;
    await loop.settle();
    expect(work.done).toHaveLength(4);
    await sleep(150);
    expect(work.asked.length).toBe(looks);
  });
});
