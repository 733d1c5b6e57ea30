// Who is acting, as the HTTP edge proved it (server/http/principals.ts): the
// handlers and the GraphQL context receive it, so that what a caller may do is
// decided from who it is, never from the path it came by.
import type { ConnectSession } from './connect-sessions.js';

export type Principal =
  /** The operator's backend: it sent the secret key, or the server has none (`open`, local development), or a person signed in to the dashboard with it. */
  | { kind: 'backend'; via: 'secret-key' | 'open' | 'dashboard' }
  /** A page of the operator's: it sent the public key, or the server needs none. */
  | { kind: 'frontend'; via: 'public-key' | 'open' }
  /** An end user's browser holding a connect session the backend created: it may authorize that one connection. */
  | { kind: 'connect-session'; session: ConnectSession }
  | { kind: 'anonymous' };

export const CONNECT_POLICIES = ['open', 'session', 'public-key'] as const;

/**
 * Who may open an OAuth flow at /oauth/connect: `session`, a connect session
 * the backend created; `public-key`, the public key (Nango 0.x), which may
 * create a connection but never replace one; `open`, anyone (local development).
 */
export type ConnectPolicy = (typeof CONNECT_POLICIES)[number];
