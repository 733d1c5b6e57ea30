import { describe, expect, it } from '@jest/globals';
import { Batcher, ItemFailed } from './batcher.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A run whose batches are recorded and answered when the test says. */
function heldRun() {
  const batches: number[][] = [];
  const waiting: Array<() => void> = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<Array<number | ItemFailed>>((resolve) => waiting.push(() => resolve(items.map((item) => (item < 0 ? new ItemFailed(new Error(`bad ${item}`)) : item * 10)))));
  };
  const answerNext = async () => {
    waiting.shift()!();
    // The answer settles, then the next batch goes at the end of a turn.
    await turn();
    await turn();
  };
  return { batches, run, answerNext };
}

describe('Batcher', () => {
  it('sends a lone item at the end of the turn, and what comes while a batch is out together in the next', async () => {
    const { batches, run, answerNext } = heldRun();
    const batcher = new Batcher(run, { maxBatch: 100, maxInFlight: 1 });
    const first = batcher.add(1);
    await turn();
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4].map((item) => batcher.add(item));
    await turn();
    // Still one out: the three wait for it.
    expect(batches).toEqual([[1]]);
    await answerNext();
    expect(await first).toBe(10);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    await answerNext();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('keeps batches within maxBatch and the batches out within maxInFlight', async () => {
    const { batches, run, answerNext } = heldRun();
    const batcher = new Batcher(run, { maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5, 6, 7].map((item) => batcher.add(item));
    await turn();
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await answerNext();
    expect(batches.at(-1)).toEqual([5, 6]);
    await answerNext();
    await answerNext();
    await answerNext();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('fails one item alone when the run says so, and every item of a batch whose run throws', async () => {
    const { run, answerNext } = heldRun();
    const batcher = new Batcher(run, { maxBatch: 10, maxInFlight: 1 });
    const [good, bad] = [batcher.add(1), batcher.add(-1)];
    await turn();
    await answerNext();
    expect(await good).toBe(10);
    await expect(bad).rejects.toThrow('bad -1');

    const failing = new Batcher<number, number>(() => Promise.reject(new Error('away')), { maxBatch: 10, maxInFlight: 1 });
    await expect(Promise.all([failing.add(1), failing.add(2)])).rejects.toThrow('away');
    // A failed batch leaves the batcher working.
    await expect(failing.add(3)).rejects.toThrow('away');
  });

  it('refuses an answer of the wrong length for the whole batch', async () => {
    const batcher = new Batcher<number, number>(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    await expect(Promise.all([batcher.add(1), batcher.add(2)])).rejects.toThrow('A batch of 2 was answered with 1 results.');
  });
});
