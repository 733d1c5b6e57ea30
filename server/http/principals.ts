// Who is calling: authentication runs once per request, through one strategy
// per kind of caller a route may declare, and yields the Principal that
// handlers and the GraphQL context receive. Keys are compared in constant
// time; a key never appears in a log or a response.
import { hash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.js';
import type { ConnectSessions } from '../core/connect-sessions.js';
import type { ConnectPolicy, Principal } from '../core/principal.js';
import type { DashboardSessions } from './dashboard-session.js';

/** The kinds of caller a route declares (routes.ts). */
export type Caller = 'backend' | 'frontend' | 'connect-session' | 'anyone';

export type { Principal };

/** What the strategies read from a request: the Authorization header, `public_key` and `connect_session_token`. */
export interface Credentials {
  authorization: string | undefined;
  publicKey: string | undefined;
  connectSessionToken?: string | undefined;
  /** Read only when there is no Authorization header: the dashboard's session cookie and CSRF header. */
  dashboard?: () => { cookie: string | undefined; csrfToken: string | undefined };
}

export interface ServerKeys {
  secretKey?: string | undefined;
  publicKey?: string | undefined;
  /** Who may open a flow (settings.ts); default `open`. */
  connectPolicy?: ConnectPolicy;
  /** Finds the live session of a connect session token. */
  connectSessions?: Pick<ConnectSessions, 'verify'>;
  /** Checks the dashboard's session cookies (only with a secret key). */
  dashboardSessions?: DashboardSessions;
}

const OPEN_BACKEND: Principal = { kind: 'backend', via: 'open' };
const KEYED_BACKEND: Principal = { kind: 'backend', via: 'secret-key' };
const DASHBOARD_BACKEND: Principal = { kind: 'backend', via: 'dashboard' };
const OPEN_FRONTEND: Principal = { kind: 'frontend', via: 'open' };
const KEYED_FRONTEND: Principal = { kind: 'frontend', via: 'public-key' };
const ANONYMOUS: Principal = { kind: 'anonymous' };

/**
 * A strategy: the principal the request proves, null when it presents nothing
 * of this kind; it throws (or its promise rejects) when it presents something
 * wrong: a wrong key is refused, never taken for no key. Only the connect
 * session needs the database, so only it answers with a promise.
 */
type Strategy = (credentials: Credentials, keys: ServerKeys) => Principal | Promise<Principal> | null;

/** `missing`: the refusal when a request proves none of a route's kinds; null leaves it to the next kind. */
const STRATEGIES: Record<Caller, { prove: Strategy; missing: (keys: ServerKeys) => AppError | null }> = {
  backend: {
    prove: ({ authorization, dashboard }, { secretKey, dashboardSessions }) => {
      if (!secretKey) return OPEN_BACKEND;
      const presented = presentedKey(authorization);
      if (presented === 'missing') {
        // A person signed in to the dashboard: its cookie, and the CSRF token only its page holds.
        const signedIn = dashboard?.();
        if (!signedIn?.cookie || !dashboardSessions) return null;
        dashboardSessions.check(signedIn.cookie, signedIn.csrfToken);
        return DASHBOARD_BACKEND;
      }
      if (presented === 'malformed' || !sameKey(presented.key, secretKey)) throw new AppError('invalid_secret_key');
      return KEYED_BACKEND;
    },
    missing: () => new AppError('missing_auth_header'),
  },
  // A page that opens flows on its own authority: under the `session` policy, none may.
  frontend: {
    prove: ({ publicKey: presented }, { publicKey, connectPolicy }) => {
      if (connectPolicy === 'session') return null;
      if (!publicKey) return OPEN_FRONTEND;
      if (presented === undefined) return null;
      if (!sameKey(presented, publicKey)) throw new AppError('invalid_public_key');
      return KEYED_FRONTEND;
    },
    missing: () => new AppError('invalid_public_key'),
  },
  'connect-session': {
    prove: ({ connectSessionToken: token }, { connectSessions }) => {
      if (token === undefined || token === '') return null;
      if (!connectSessions) throw new AppError('invalid_connect_session');
      return connectSessions.verify(token).then((session) => {
        if (!session) throw new AppError('invalid_connect_session');
        return { kind: 'connect-session', session };
      });
    },
    missing: ({ connectPolicy }) => (connectPolicy === 'session' ? new AppError('connect_session_required') : null),
  },
  anyone: { prove: () => ANONYMOUS, missing: () => new AppError('internal_error') },
};

/**
 * The principal of a request to a route that admits `callers`, tried in the
 * order declared; throws the refusal of the first declared kind that names
 * one when none proves itself.
 */
export function authenticate(callers: readonly Caller[], credentials: Credentials, keys: ServerKeys): Principal | Promise<Principal> {
  for (const caller of callers) {
    const principal = STRATEGIES[caller].prove(credentials, keys);
    if (principal) return principal;
  }
  for (const caller of callers) {
    const refusal = STRATEGIES[caller].missing(keys);
    if (refusal) throw refusal;
  }
  throw new AppError('internal_error');
}

export type Presented = { key: string } | 'missing' | 'malformed';

/** Printable ASCII without spaces: a key, and nothing around it. */
const BEARER = /^bearer [\x21-\x7e]+$/i;
const BEARER_PREFIX = 'Bearer '.length;
/** Standard base64, padded (what Buffer's and the browser's encoders write). */
const BASIC = /^basic [A-Za-z0-9+/]+={0,2}$/i;
const BASIC_PREFIX = 'Basic '.length;
/** A user name (RFC 7617: no colon) of printable ASCII, then the colon of an empty password. */
const KEY_AS_USER = /^[\x21-\x39\x3b-\x7e]+:$/;

/**
 * The key from exactly `Bearer <key>` (one space), or from `Basic
 * base64(<key>:)`: the key as user name and an empty password, which is what
 * @nangohq/node 0.9 sends. Anything else is malformed, and refused rather than
 * read charitably: words after the key, other or more whitespace, a Basic
 * password (no client of ours sends one, and a header that carries one is not
 * what it seems), base64 that does not encode back to itself.
 */
export function presentedKey(authorization: string | undefined): Presented {
  if (!authorization || authorization.trim() === '') return 'missing';
  if (BEARER.test(authorization)) return { key: authorization.slice(BEARER_PREFIX) };
  if (BASIC.test(authorization)) {
    const encoded = authorization.slice(BASIC_PREFIX);
    const bytes = Buffer.from(encoded, 'base64');
    // Leniency in decoding (stray bits in the padding) would let two headers carry one key.
    if (bytes.toString('base64') !== encoded) return 'malformed';
    const decoded = bytes.toString('latin1');
    return KEY_AS_USER.test(decoded) ? { key: decoded.slice(0, -1) } : 'malformed';
  }
  return 'malformed';
}

// One-shot hash(): half the cost of a Hash object per digest.
const digest = (value: string) => hash('sha256', value, 'buffer');
/** The configured keys' digests, computed once: a key is checked on every request. */
const expectedDigests = new Map<string, Buffer>();

export function sameKey(presented: string, expected: string): boolean {
  let expectedDigest = expectedDigests.get(expected);
  if (!expectedDigest) {
    expectedDigest = digest(expected);
    // Only the server's own keys (the secret and the public one) ever arrive here as `expected`.
    if (expectedDigests.size < 8) expectedDigests.set(expected, expectedDigest);
  }
  // Equal-length digests: timingSafeEqual needs them, and the length of the key stays hidden.
  return timingSafeEqual(digest(presented), expectedDigest);
}
