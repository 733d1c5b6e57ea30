// When a connection's credentials are refreshed: the window before expiry (at
// most half the token's lifetime), sooner when the refresh token would idle-
// expire, and, after failures, an exponential backoff. Pure functions of the
// credentials, the template and the clock.
import type { OAuth2Credentials } from './credentials.js';

export const DEFAULT_WINDOW_SECONDS = 15 * 60;
/** A token is served through a provider outage until this close to its expiry. */
export const STILL_VALID_MARGIN_MS = 1_000;

/**
 * Whether credentials expire within the refresh window, which is never more
 * than half their lifetime: a 5-minute token refreshed 15 minutes early would
 * be refreshed on every read. Credentials without an expiry are never due.
 */
export function refreshDue(credentials: Pick<OAuth2Credentials, 'expiresAt' | 'obtainedAt'>, windowSeconds: number, now: Date): boolean {
  if (!credentials.expiresAt) return false;
  return credentials.expiresAt.getTime() - now.getTime() <= windowMs(credentials, windowSeconds);
}

/**
 * When the scheduler should refresh ahead: at the start of the window (less up
 * to a tenth of it, so that tokens issued together are not all refreshed in the
 * same second), or halfway through the refresh token's idle lifetime when the
 * provider expires unused refresh tokens. Null: never.
 */
export function refreshDueAt(
  credentials: Pick<OAuth2Credentials, 'expiresAt' | 'obtainedAt'>,
  windowSeconds: number,
  refreshTokenIdleDays: number | null,
  random: () => number = Math.random,
): Date | null {
  const idleDue = refreshTokenIdleDays === null ? null : credentials.obtainedAt.getTime() + (refreshTokenIdleDays * 86_400_000) / 2;
  if (!credentials.expiresAt) return idleDue === null ? null : new Date(idleDue);
  const window = windowMs(credentials, windowSeconds);
  const accessDue = credentials.expiresAt.getTime() - window - Math.floor(random() * (window / 10));
  return new Date(idleDue === null ? accessDue : Math.min(accessDue, idleDue));
}

function windowMs(credentials: Pick<OAuth2Credentials, 'expiresAt' | 'obtainedAt'>, windowSeconds: number): number {
  const lifetime = credentials.expiresAt ? credentials.expiresAt.getTime() - credentials.obtainedAt.getTime() : 0;
  return lifetime > 0 ? Math.min(windowSeconds * 1000, lifetime / 2) : windowSeconds * 1000;
}

/** Not expired yet, with a second to spare for the caller's API call. */
export function stillValid(credentials: { expiresAt: Date | null }, now: Date): boolean {
  return credentials.expiresAt === null || credentials.expiresAt.getTime() - now.getTime() > STILL_VALID_MARGIN_MS;
}

/** The wait before the next attempt after `failures` failed refreshes in a row: `base` doubling, at most `max`. */
export function backoffMs(failures: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(baseSeconds * 1000 * 2 ** Math.max(0, failures - 1), maxSeconds * 1000);
}
