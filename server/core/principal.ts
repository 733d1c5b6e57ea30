// Who is acting, as the HTTP edge proved it (server/http/principals.ts): the
// handlers and the GraphQL context receive it, so that what a caller may do is
// decided from who it is, never from the path it came by.

export type Principal =
  /** The operator's backend: it sent the secret key, or the server has none (`open`, local development). */
  | { kind: 'backend'; via: 'secret-key' | 'open' }
  /** A page of the operator's: it sent the public key, or the server has none. */
  | { kind: 'frontend'; via: 'public-key' | 'open' }
  | { kind: 'anonymous' };
