// The request a provider receives from the proxy, and the headers its answer
// brings back: the caller's headers that cross (proxy-headers.ts), the
// template's fixed ones, the connection's credentials placed as its auth mode
// and template say (OAuth 1.0a signed over the request as sent); and none of
// the answer's headers that repeat those credentials.
import { TOKEN_SLOT } from '../providers/catalog.js';
import { NULL_BODY_STATUSES } from '../providers/guarded-fetch.js';
import { signedAuthorization } from '../providers/oauth1-client.js';
import type { UpstreamAnswer, UpstreamRequest } from '../providers/proxy-call.js';
import { forwardedRequestHeaders, returnedResponseHeaders, type HeaderList } from '../providers/proxy-headers.js';
import { credentialPlacement } from './credential-check.js';
import type { Credentials } from './credentials.js';
import { clientOf, type ProviderApp } from './provider-apps.js';
import type { ProxyBody } from './proxy-body.js';
import type { ProxyRequest } from './proxy.js';

/** Credentials shorter than this are not looked for in answer headers (a 4-character password would match anything). */
const LEAK_MIN_LENGTH = 8;

/** The request as the provider receives it: the caller's headers (those that cross), the template's fixed ones, the credentials. */
export function outgoingRequest(app: ProviderApp, credentials: Credentials, target: URL, request: Pick<ProxyRequest, 'method' | 'headers' | 'signal'>, body: ProxyBody): UpstreamRequest {
  const headers = forwardedRequestHeaders(request.headers);
  const given = new Set(headers.map(([name]) => name));
  // The template's fixed headers (an API version, ...) unless the caller chose its own.
  for (const [name, value] of Object.entries(app.template.proxy?.headers ?? {})) if (!given.has(name.toLowerCase())) headers.push([name.toLowerCase(), value]);
  const url = new URL(target.href);
  const placed = placement(app, credentials, url, request.method, body, headers);
  for (const [name, value] of Object.entries(placed.headers)) set(headers, name.toLowerCase(), value);
  for (const [name, value] of Object.entries(placed.query)) setQuery(url, name, value);
  if (body.kind === 'stream' && body.length !== null) headers.push(['content-length', String(body.length)]);
  return {
    url,
    method: request.method,
    headers,
    body: body.kind === 'none' ? null : body.kind === 'bytes' ? body.bytes : body.stream,
    signal: request.signal,
  };
}

/** Where the credentials go, by auth mode. OAuth 1.0a signs the request as it will be sent (its query and form body included). */
function placement(app: ProviderApp, credentials: Credentials, url: URL, method: string, body: ProxyBody, headers: HeaderList): { headers: Record<string, string>; query: Record<string, string> } {
  switch (credentials.type) {
    case 'OAUTH2':
    case 'APP':
      return tokenPlacement(app, credentials.accessToken);
    case 'OAUTH2_CC':
      return tokenPlacement(app, credentials.token);
    case 'API_KEY':
    case 'BASIC': {
      const placed = credentialPlacement(app, credentials);
      // credentialPlacement() includes the template's fixed headers, which the caller may have chosen otherwise.
      for (const name of Object.keys(app.template.proxy?.headers ?? {})) delete placed.headers[name];
      return placed;
    }
    case 'OAUTH1': {
      const contentType = headers.find(([name]) => name === 'content-type')?.[1] ?? '';
      const form = body.kind === 'bytes' && contentType.toLowerCase().startsWith('application/x-www-form-urlencoded') ? formParams(body.bytes) : {};
      const { clientId, clientSecret } = clientOf(app.config);
      const signatureMethod = app.template.oauth1?.signatureMethod ?? 'HMAC-SHA1';
      return {
        headers: { authorization: signedAuthorization({ consumerKey: clientId, consumerSecret: clientSecret }, signatureMethod, { token: credentials.oauthToken, tokenSecret: credentials.oauthTokenSecret }, { method, url, formParams: form }) },
        query: {},
      };
    }
  }
}

/** An OAuth token where the template's API takes it: `Authorization: Bearer` unless the template says otherwise. */
function tokenPlacement(app: ProviderApp, token: string): { headers: Record<string, string>; query: Record<string, string> } {
  const placement = app.template.proxy?.token;
  if (!placement) return { headers: { authorization: `Bearer ${token}` }, query: {} };
  // A function, not a string: "$&" in a token would be read as a replacement pattern.
  const value = placement.format.replace(TOKEN_SLOT, () => token);
  return placement.in === 'query' ? { headers: {}, query: { [placement.name]: value } } : { headers: { [placement.name.toLowerCase()]: value }, query: {} };
}

function formParams(bytes: Buffer): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(bytes.toString('utf8'))) {
    const had = params[name];
    params[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return params;
}

function set(headers: HeaderList, name: string, value: string): void {
  for (let index = headers.length - 1; index >= 0; index--) if (headers[index]![0] === name) headers.splice(index, 1);
  headers.push([name, value]);
}

/** A query parameter set by the proxy (an API key): the caller's query is left as it was sent unless it names the same parameter. */
function setQuery(url: URL, name: string, value: string): void {
  if (url.searchParams.has(name)) {
    url.searchParams.set(name, value);
    return;
  }
  const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  url.search = url.search ? `${url.search}&${pair}` : `?${pair}`;
}

/**
 * The provider's headers the caller receives: those that cross
 * (proxy-headers.ts), the length as the provider declared it, and none whose
 * value repeats the credentials (an API echoing a key in a Location or a debug header).
 */
export function returnedHeaders(answer: UpstreamAnswer, credentials: Credentials): HeaderList {
  const secrets = secretForms(credentials);
  // Names too (an API may name a debug header after the key), and regardless of case: undici lower-cases names,
  // and percent escapes may come in either case.
  const headers = returnedResponseHeaders(answer.headers).filter(([name, value]) => {
    const text = `${name}:${value}`.toLowerCase();
    return !secrets.some((secret) => text.includes(secret));
  });
  const length = answer.headers.find(([name]) => name === 'content-length');
  if (length && !NULL_BODY_STATUSES.has(answer.status)) headers.push(['content-length', length[1]]);
  return headers;
}

function secretForms(credentials: Credentials): string[] {
  const given: string[] = [];
  switch (credentials.type) {
    case 'OAUTH2':
      given.push(credentials.accessToken, ...(credentials.refreshToken ? [credentials.refreshToken] : []));
      break;
    case 'OAUTH2_CC':
      given.push(credentials.token);
      break;
    case 'APP':
      given.push(credentials.accessToken);
      break;
    case 'API_KEY':
      given.push(credentials.apiKey);
      break;
    case 'BASIC':
      given.push(credentials.password, Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'));
      break;
    case 'OAUTH1':
      given.push(credentials.oauthTokenSecret);
      break;
  }
  // As given, percent-encoded, and form-encoded (URLSearchParams and PHP escape ~ ! ' ( ) * where encodeURIComponent does not); lower-cased.
  const forms = given.flatMap((secret) => [secret, encodeURIComponent(secret), new URLSearchParams([['', secret]]).toString().slice(1)]);
  return [...new Set(forms.map((form) => form.toLowerCase()))].filter((secret) => secret.length >= LEAK_MIN_LENGTH);
}

