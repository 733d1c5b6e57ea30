import { describe, expect, it } from '@jest/globals';
import { refreshDue, refreshDueAt, stillValid } from './refresh-timing.js';

const MINUTE = 60_000;
const obtainedAt = new Date('2026-01-01T12:00:00Z');
const at = (minutes: number) => new Date(obtainedAt.getTime() + minutes * MINUTE);
const WINDOW = 15 * 60;

describe('when a refresh is due', () => {
  it('refreshes a one-hour token in the last 15 minutes', () => {
    const credentials = { obtainedAt, expiresAt: at(60) };
    expect(refreshDue(credentials, WINDOW, at(44))).toBe(false);
    expect(refreshDue(credentials, WINDOW, at(45))).toBe(true);
    expect(refreshDue(credentials, WINDOW, at(61))).toBe(true);
  });

  it('never uses more than half the lifetime, so a 5-minute token is not refreshed on every read', () => {
    const credentials = { obtainedAt, expiresAt: at(5) };
    expect(refreshDue(credentials, WINDOW, at(0))).toBe(false);
    expect(refreshDue(credentials, WINDOW, at(2.4))).toBe(false);
    expect(refreshDue(credentials, WINDOW, at(2.5))).toBe(true);
  });

  it('honours a smaller per-template window', () => {
    const credentials = { obtainedAt, expiresAt: at(60) };
    expect(refreshDue(credentials, 60, at(58))).toBe(false);
    expect(refreshDue(credentials, 60, at(59))).toBe(true);
  });

  it('never refreshes tokens without an expiry', () => {
    expect(refreshDue({ obtainedAt, expiresAt: null }, WINDOW, at(10_000))).toBe(false);
  });
});

describe('when the scheduler refreshes ahead', () => {
  const noJitter = () => 0;

  it('at the opening of the window, less up to a tenth of it', () => {
    const credentials = { obtainedAt, expiresAt: at(60) };
    expect(refreshDueAt(credentials, WINDOW, null, noJitter)).toEqual(at(45));
    expect(refreshDueAt(credentials, WINDOW, null, () => 0.999)!.getTime()).toBeGreaterThan(at(43.5).getTime());
  });

  it('halfway through the refresh token idle lifetime when that comes first (a token nobody reads)', () => {
    const day = 24 * 60;
    // An access token that never expires, at a provider that forgets refresh tokens unused for 90 days.
    expect(refreshDueAt({ obtainedAt, expiresAt: null }, WINDOW, 90, noJitter)).toEqual(at(45 * day));
    expect(refreshDueAt({ obtainedAt, expiresAt: at(60) }, WINDOW, 90, noJitter)).toEqual(at(45));
    expect(refreshDueAt({ obtainedAt, expiresAt: null }, WINDOW, null, noJitter)).toBeNull();
  });

  it('serves a token through an outage until a second before it expires, whatever its lifetime', () => {
    expect(stillValid({ expiresAt: at(1) }, new Date(at(1).getTime() - 1_500))).toBe(true);
    expect(stillValid({ expiresAt: at(1) }, new Date(at(1).getTime() - 500))).toBe(false);
  });
});
