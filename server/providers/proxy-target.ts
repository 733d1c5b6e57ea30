// Where a proxied request goes (issue 20's first piece): the path a caller
// gives after /proxy, joined under the API's base URL, never anywhere else.
// The path is judged segment by segment as it was sent (percent-encoded), so
// that no spelling of a slash, a backslash or a dot segment (`//evil.example`,
// `/%2F%2Fevil.example`, `/..%2f`, `/%2e%2e/`, `/..;/`, a fullwidth `．．`) can
// leave the base URL's host or climb above its path; the URL is then built by
// setting its parts, never by concatenating text a parser could read another
// way, and checked again.

export class ProxyPathRefused extends Error {
  override name = 'ProxyPathRefused';
}

// A segment's bytes, percent-encoded as sent: RFC 3986 pchar, nothing else.
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/;
// Encoded separators (/ and \) would be decoded into separators by some servers and proxies.
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;

/**
 * The URL a proxied request goes to: `path` (e.g. `/repos/a/b?per_page=5`
 * minus its query, which is `search`) under `baseUrl`. Throws ProxyPathRefused
 * naming what is wrong with the path, never with the base.
 */
export function proxyTarget(baseUrl: string, path: string, search = ''): URL {
  const base = new URL(baseUrl);
  if (!path.startsWith('/')) throw new ProxyPathRefused('the path must start with /');
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) throw new ProxyPathRefused('the path holds a character that must be percent-encoded (a space, a backslash, a control character, ...)');
    if (ENCODED_SEPARATOR.test(segment)) throw new ProxyPathRefused('the path holds an encoded / or \\');
    // Read as the provider's server may read it: Java servers drop a segment's `;params` before resolving dot
    // segments (Tomcat's `..;`), and some normalise Unicode (NFKC: `．．` and `‥` are `..`, `／` is `/`).
    const decoded = safeDecode(segment);
    const judged = segment.includes('%') ? decoded.normalize('NFKC') : decoded;
    if (judged !== decoded && /[/\\]/.test(judged)) throw new ProxyPathRefused('the path holds a character that reads as / or \\');
    const bare = judged.split(';', 1)[0];
    if (bare === '.' || bare === '..') throw new ProxyPathRefused('the path holds a . or .. segment');
  }
  // An empty segment anywhere but the end (`//x`, `/a//b`) reads as an authority or is rewritten by servers.
  if (segments.slice(0, -1).some((segment) => segment === '')) throw new ProxyPathRefused('the path holds an empty segment (//)');
  if (search !== '' && (!search.startsWith('?') || /[\s\\#\u0000-\u001f\u007f]/.test(search))) throw new ProxyPathRefused('the query is not valid');

  const target = new URL(base.href);
  const basePath = base.pathname.replace(/\/+$/, '');
  target.pathname = `${basePath}/${segments.join('/')}`;
  target.search = search;
  target.hash = '';
  // Built by parts: checked all the same, in case a parser ever reads them another way.
  if (target.origin !== base.origin || target.username !== base.username || target.password !== base.password) {
    throw new ProxyPathRefused('the path would leave the API host');
  }
  if (target.pathname !== `${basePath}/${segments.join('/')}` || !target.pathname.startsWith(`${basePath}/`)) {
    throw new ProxyPathRefused('the path would leave the API base path');
  }
  return target;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ProxyPathRefused('the path holds a malformed percent-encoding');
  }
}
