// Which headers cross the proxy (issue 20's second piece): the caller's own
// credentials and cookies, the proxy's control headers and the hop-by-hop ones
// (RFC 9110 §7.6.1, and any the Connection header names) never reach the
// provider; the provider's cookies and the headers that could echo a token or
// tell the caller about the upstream's connection never come back.

/** Hop-by-hop headers (RFC 9110 §7.6.1) and their old spellings. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/**
 * What the caller sends to the proxy itself, or sends for itself: not the provider's business. `expect`
 * (100-continue) is answered by this server before the body is read; undici refuses to send one at all.
 */
const CALLER_ONLY = [
  'authorization', 'cookie', 'host', 'content-length', 'expect', 'provider-config-key', 'connection-id', 'retries', 'base-url-override', 'x-nango-csrf',
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip',
  // What Nango's own clients send the proxy about themselves (the answer is passed on as it comes: no Decompress).
  'nango-is-sync', 'nango-is-dry-run', 'nango-activity-log-id', 'decompress',
];

/** Marks the proxy's own error answers (JSON { error: { code, message } }), so that SDKs tell them from the provider's. */
export const PROXY_ERROR_HEADER = 'x-nango-proxy-error';

/**
 * What the provider's answer must not hand to the caller: its cookies, headers that may carry or reflect
 * credentials, and our own marker (a provider must not pass its answer off as the proxy's).
 */
const PROVIDER_ONLY = ['set-cookie', 'set-cookie2', 'www-authenticate', 'proxy-authenticate', 'authentication-info', 'authorization', 'content-length', 'alt-svc', 'strict-transport-security', PROXY_ERROR_HEADER];

export type HeaderList = Array<[name: string, value: string]>;

const NOT_FORWARDED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...CALLER_ONLY]);
const NOT_RETURNED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...PROVIDER_ONLY]);

/** Nango's clients send the headers meant for the provider under this prefix; it is taken off on the way. */
const NANGO_PREFIX = 'nango-proxy-';

/**
 * The caller's headers the provider receives (lower-case names), before the proxy adds the credentials:
 * those sent as they are, and those sent as Nango's clients send them (`Nango-Proxy-<name>`), which win
 * over the same name sent bare. Either way the same headers are refused.
 */
export function forwardedRequestHeaders(headers: HeaderList): HeaderList {
  const kept = keep(headers, NOT_FORWARDED);
  if (!kept.some(([name]) => name.startsWith(NANGO_PREFIX))) return kept;
  const prefixed = keep(
    kept.filter(([name]) => name.startsWith(NANGO_PREFIX)).map(([name, value]): [string, string] => [name.slice(NANGO_PREFIX.length), value]),
    NOT_FORWARDED,
  );
  const named = new Set(prefixed.map(([name]) => name));
  return [...kept.filter(([name]) => !name.startsWith(NANGO_PREFIX) && !named.has(name)), ...prefixed];
}

/** The provider's headers the caller receives. */
export function returnedResponseHeaders(headers: HeaderList): HeaderList {
  return keep(headers, NOT_RETURNED);
}

function keep(headers: HeaderList, dropped: ReadonlySet<string>): HeaderList {
  const kept: HeaderList = [];
  let named: Set<string> | null = null;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    // A Connection header names more hop-by-hop headers for this hop only.
    if (lower === 'connection') for (const token of value.split(',')) (named ??= new Set()).add(token.trim().toLowerCase());
    if (!dropped.has(lower)) kept.push([lower, value]);
  }
  return named ? kept.filter(([name]) => !named.has(name)) : kept;
}
