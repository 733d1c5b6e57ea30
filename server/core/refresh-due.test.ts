import { describe, expect, it } from '@jest/globals';
import { refreshDue } from './refresh-timing.js';

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
