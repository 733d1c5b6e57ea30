// Real providers bend the OAuth 2 token response in well-known ways. This fetch
// wrapper, installed on openid-client, hands it a conforming response — while
// the provider's original answer is captured as it came, for storage:
// - 200 with { "error": ... } (GitHub) becomes a 400, so the error is an error;
// - form-encoded bodies become JSON;
// - token_type missing or not bearer (Slack's "bot") reads as bearer;
// - expires_in as a string becomes a number;
// - an access token nested elsewhere (Slack's authed_user) is lifted to the top;
// - ID tokens are dropped for catalog providers, whose issuer we cannot check;
// - providers that want a JSON request body get one.
import type { CustomFetch } from 'openid-client';
import { answerHeader, answerResponse, type ProviderCall } from './guarded-fetch.js';

export interface ConformOptions {
  bodyFormat: 'form' | 'json';
  accessTokenPath: string | null;
  keepIdToken: boolean;
}

/** Where the provider's original, parsed answer lands. */
export interface Capture {
  raw: Record<string, unknown> | null;
}

/** `call` is the provider call itself (guarded-fetch.ts: the URL policy). */
export function conformingFetch(options: ConformOptions, capture: Capture, call: ProviderCall): CustomFetch {
  return async (url, init) => {
    let { body, headers } = init;
    if (options.bodyFormat === 'json' && body !== undefined && body !== null) {
      const form = new URLSearchParams(typeof body === 'string' ? body : String(body));
      body = JSON.stringify(Object.fromEntries(form));
      headers = { ...headers, 'content-type': 'application/json' };
    }
    const answer = await call(url, { ...init, body, headers } as RequestInit);
    const text = answer.body.toString('utf8');
    const parsed = parseBody(text, answerHeader(answer, 'content-type'));
    if (!parsed) {
      // Not JSON, not a form: let openid-client report it as it is.
      return answerResponse(answer, text);
    }
    capture.raw = parsed;
    let status = answer.status;
    const conformed: Record<string, unknown> = { ...parsed };
    if (typeof parsed.error === 'string' && parsed.error !== '') {
      if (status < 400) status = 400;
    } else if (status >= 200 && status < 300) {
      const nested = options.accessTokenPath ? valueAt(parsed, options.accessTokenPath) : undefined;
      if (typeof nested === 'string') conformed.access_token = nested;
      if (typeof conformed.token_type !== 'string' || !/^(bearer|dpop)$/i.test(conformed.token_type)) conformed.token_type = 'bearer';
      if (typeof conformed.expires_in === 'string') {
        const seconds = Number(conformed.expires_in);
        if (Number.isFinite(seconds)) conformed.expires_in = seconds;
        else delete conformed.expires_in;
      }
      if (Array.isArray(conformed.scope)) conformed.scope = conformed.scope.join(' ');
      if (!options.keepIdToken) delete conformed.id_token;
    }
    return new Response(JSON.stringify(conformed), { status, headers: { 'content-type': 'application/json' } });
  };
}

function parseBody(text: string, contentType: string | null): Record<string, unknown> | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const json: unknown = JSON.parse(trimmed);
      return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  const looksLikeForm = /application\/x-www-form-urlencoded|text\/plain/i.test(contentType ?? '') || /^[\w.-]+=/.test(trimmed);
  if (looksLikeForm && /(^|&)(access_token|error|oauth_token)=/.test(trimmed)) {
    return Object.fromEntries(new URLSearchParams(trimmed));
  }
  return null;
}

/** `authed_user.access_token` → raw.authed_user.access_token. */
export function valueAt(object: Record<string, unknown>, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
