// How long the proxy waits before calling again after a 429 or 503.
import { describe, expect, it } from '@jest/globals';
import { retryAfterMs } from './proxy.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  const after = (value: string) => retryAfterMs([['content-type', 'text/plain'], ['retry-after', value]], now);

  it('reads delay-seconds (a fraction rounded up) and HTTP dates', () => {
    expect(after('2')).toBe(2000);
    expect(after('2.0')).toBe(2000);
    expect(after('1.25')).toBe(1250);
    expect(after(' 0 ')).toBe(0);
    expect(after('Thu, 03 Dec 2026 12:00:30 GMT')).toBe(30_000);
  });

  it('waits nothing for a date already past, and falls back to backoff (null) for anything unreadable', () => {
    expect(after('Thu, 03 Dec 2026 11:00:00 GMT')).toBe(0);
    expect(after('-5')).toBeNull();
    expect(after('soon')).toBeNull();
    expect(after('soon GMT')).toBeNull();
    expect(retryAfterMs([['content-type', 'text/plain']], now)).toBeNull();
  });
});
