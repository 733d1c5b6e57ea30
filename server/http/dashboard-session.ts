// The dashboard's sign-in: the secret key, given once, is exchanged for a
// short-lived session cookie (HttpOnly, SameSite=Strict) and a CSRF token the
// page keeps in memory and sends as a header with every call. Both are MACs
// under a key derived from the secret key, so nothing is stored, every
// instance behind a load balancer checks them alike, and changing the secret
// key signs every dashboard out. The page never holds the key itself.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.js';

export const DASHBOARD_COOKIE = 'nango_dashboard';
export const CSRF_HEADER = 'x-nango-csrf';
/** An hour: a stolen cookie (it cannot be read by script) is good for at most that. */
export const DASHBOARD_SESSION_SECONDS = 3600;

const VERSION = 'v1';

export interface IssuedSession {
  cookie: string;
  csrfToken: string;
  expiresAt: Date;
}

export class DashboardSessions {
  private readonly key: Buffer;

  constructor(secretKey: string, private readonly ttlSeconds = DASHBOARD_SESSION_SECONDS) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'nango dashboard session v1', 32));
  }

  issue(now = Date.now()): IssuedSession {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    const id = randomBytes(16).toString('base64url');
    const body = `${VERSION}.${expires}.${id}`;
    return { cookie: `${body}.${this.mac(`session:${body}`)}`, csrfToken: this.csrfFor(id), expiresAt: new Date(expires * 1000) };
  }

  /**
   * The session of a cookie, or an AppError: dashboard_session_expired for a
   * cookie that is not (or no longer) this server's, csrf_token_invalid when
   * the request does not carry the session's CSRF token.
   */
  check(cookie: string, csrfToken: string | undefined, now = Date.now()): { expiresAt: Date; csrfToken: string } {
    const session = this.read(cookie, now);
    if (!session) throw new AppError('dashboard_session_expired');
    if (csrfToken === undefined || !same(csrfToken, session.csrfToken)) throw new AppError('csrf_token_invalid');
    return session;
  }

  /** The live session of a cookie (for the page's own look at it), or null. */
  read(cookie: string, now = Date.now()): { expiresAt: Date; csrfToken: string } | null {
    const parts = cookie.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return null;
    const [version, expires, id, mac] = parts as [string, string, string, string];
    if (!/^\d{1,12}$/.test(expires) || !same(mac, this.mac(`session:${version}.${expires}.${id}`))) return null;
    const expiresAt = new Date(Number(expires) * 1000);
    if (expiresAt.getTime() <= now) return null;
    return { expiresAt, csrfToken: this.csrfFor(id) };
  }

  private csrfFor(id: string): string {
    return this.mac(`csrf:${id}`);
  }

  private mac(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
