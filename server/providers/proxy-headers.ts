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
const CALLER_ONLY = ['authorization', 'cookie', 'host', 'content-length', 'expect', 'provider-config-key', 'connection-id', 'retries', 'base-url-override', 'x-nango-csrf', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

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

/** The caller's headers the provider receives (lower-case names), before the proxy adds the credentials. */
export function forwardedRequestHeaders(headers: HeaderList): HeaderList {
  return keep(headers, NOT_FORWARDED);
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
