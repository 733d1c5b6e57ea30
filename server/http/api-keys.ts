// The secret key (GraphQL and REST) and the public key (/oauth/connect). Keys
// are compared in constant time; a key never appears in a log or a response.
import { hash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../core/errors.js';

export type Presented = { key: string } | 'missing' | 'malformed';

/** The key from `Bearer <key>`, or from Basic with the key as user name (what Nango 0.x clients send). */
export function presentedKey(authorization: string | undefined): Presented {
  if (!authorization || authorization.trim() === '') return 'missing';
  const [scheme, credentials = ''] = authorization.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme ?? '')) return credentials ? { key: credentials } : 'malformed';
  if (/^basic$/i.test(scheme ?? '')) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    const user = separator === -1 ? decoded : decoded.slice(0, separator);
    return user ? { key: user } : 'malformed';
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

/** Throws missing_auth_header / invalid_secret_key unless the request carries the secret key. */
export function checkSecretKey(authorization: string | undefined, secretKey: string): void {
  const presented = presentedKey(authorization);
  if (presented === 'missing') {
    throw new AppError('missing_auth_header', 'This server requires its secret key: send `Authorization: Bearer <NANGO_SECRET_KEY>`.');
  }
  if (presented === 'malformed' || !sameKey(presented.key, secretKey)) {
    throw new AppError('invalid_secret_key', 'The secret key in the Authorization header is not this server\'s.');
  }
}

export function checkPublicKey(presented: string | undefined, publicKey: string): void {
  if (!presented || !sameKey(presented, publicKey)) {
    throw new AppError('invalid_public_key', 'This server requires its public key: pass `publicKey` to the frontend SDK (public_key=<key>).');
  }
}

/** REST routes: the error in the REST shape, through the app's error handler. */
export function requireSecretKey(secretKey: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (secretKey) checkSecretKey(c.req.header('authorization'), secretKey);
    await next();
  };
}

/**
 * /graphql: the error in the GraphQL shape, so GraphQL clients read its code.
 * The GraphiQL page itself loads without the key; its requests need it.
 */
export function requireSecretKeyForGraphQL(secretKey: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!secretKey) return next();
    const wantsGraphiQL = c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
    if (wantsGraphiQL) return next();
    try {
      checkSecretKey(c.req.header('authorization'), secretKey);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return c.json({ errors: [{ message: error.message, extensions: { code: error.code } }] }, 401, {
        'www-authenticate': 'Bearer realm="nango"',
      });
    }
    return next();
  };
}
