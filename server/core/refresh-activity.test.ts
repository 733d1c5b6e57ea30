// Refreshes per minute as several instances count them, over a real Postgres:
// each instance's counts add up in refresh_minutes, the instance asked shows
// its own at once, and counts a failed write could not store are kept for the next.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { DatabasePool } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { createDatabasePool } from '../db/pool.js';
import { RefreshMinuteStore } from '../db/refresh-minute-store.js';
import { silentObserver } from './observer.js';
import { RefreshActivity } from './refresh-activity.js';

let database: TestDatabase;
let pool: DatabasePool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await createDatabasePool(database.url);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const MINUTE = 60_000;

it('sums the refreshes of several instances per minute, and shows the asking instance its own at once', async () => {
  // The same minutes on every instance's clock: two minutes ago and now.
  let now = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE + 5_000;
  const clock = () => now;
  const [a, b] = [new RefreshActivity(new RefreshMinuteStore(pool), undefined, clock), new RefreshActivity(new RefreshMinuteStore(pool), undefined, clock)];
  const [observeA, observeB] = [a.observing(silentObserver), b.observing(silentObserver)];
  observeA.refreshed('success', 'github');
  observeB.refreshed('success', 'github');
  observeB.refreshed('failure', 'github');
  // A refusal for the backoff calls no provider: not a refresh.
  observeA.refreshed('cooldown', 'github');
  await b.stop();
  now += 2 * MINUTE;
  observeA.refreshed('success', 'google');
  // A has written nothing yet: asked, it writes its own first.
  const minutes = await a.last(3);
  expect(minutes.map((entry) => [entry.minute.getTime(), entry.succeeded, entry.failed])).toEqual([
    [now - 5_000 - 2 * MINUTE, 2, 1],
    [now - 5_000 - MINUTE, 0, 0],
    [now - 5_000, 1, 0],
  ]);
  await a.stop();
});

it('keeps the counts a write could not store, and writes them with the next', async () => {
  const store = new RefreshMinuteStore(pool);
  let refuse = true;
  const flaky = { add: (minutes: Parameters<RefreshMinuteStore['add']>[0]) => (refuse ? Promise.reject(new Error('database away')) : store.add(minutes)), since: store.since.bind(store) } as RefreshMinuteStore;
  const errors: unknown[] = [];
  const now = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
  const activity = new RefreshActivity(flaky, (error) => errors.push(error), () => now);
  activity.observing(silentObserver).refreshed('failure', 'github');
  await activity.stop();
  expect(errors).toHaveLength(1);
  refuse = false;
  activity.observing(silentObserver).refreshed('failure', 'github');
  const [minute] = await activity.last(1);
  expect(minute).toEqual({ minute: new Date(now), succeeded: 0, failed: 2 });
});
