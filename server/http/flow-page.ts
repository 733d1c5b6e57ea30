// What the pages of a flow in the end user's popup share (the confirmation
// before the provider, the outcome after it): HTML escaping, and headers that
// keep them uncached, unframed, and their URLs (a session token, a code) from
// being sent on.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The headers of a flow page, under `csp` (which always forbids framing). */
export function flowPageHeaders(csp: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `${csp}; base-uri 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
  };
}
