// Local fake providers reproducing real providers' quirks, one path prefix
// each, and an OAuth 1.0a provider that verifies every signature itself
// (RFC 5849, written here independently of the library the server signs with).
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { providerTemplate, type ProviderTemplate } from '../../server/providers/catalog.js';

export const FAKE_CLIENT = { id: 'fake-client-id', secret: 'fake-client-secret' };

export interface FakeProviders {
  url: string;
  /** Token requests received, by quirk. */
  requests: Array<{ quirk: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

type Handler = (request: { headers: http.IncomingHttpHeaders; body: string; form: URLSearchParams }) => { status?: number; type?: string; body: unknown };

const json = (body: unknown, status = 200) => ({ status, type: 'application/json', body });

/** What each quirk's token endpoint answers. */
const TOKEN_ENDPOINTS: Record<string, Handler> = {
  // Slack: token_type "bot", the user token nested under authed_user.
  slack: () => json({ ok: true, access_token: 'xoxb-bot-token', token_type: 'bot', scope: 'chat:write', authed_user: { id: 'U1', access_token: 'xoxp-user-token', token_type: 'user' } }),
  'slack-user': () => json({ ok: true, authed_user: { id: 'U1', scope: 'users:read', access_token: 'xoxp-only-user', token_type: 'user' } }),
  // GitHub: HTTP 200 carrying an error.
  'github-error': () => json({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }),
  // A form-encoded answer.
  form: () => ({ type: 'application/x-www-form-urlencoded', body: 'access_token=form-token&scope=repo%2Cuser&token_type=bearer' }),
  // No expiry at all (Salesforce, Notion, GitHub classic).
  'no-expiry': () => json({ access_token: 'forever-token', token_type: 'bearer' }),
  'string-expiry': () => json({ access_token: 'string-expiry-token', token_type: 'bearer', expires_in: '3600', refresh_token: 'r-string' }),
  'absolute-expiry': () => json({ access_token: 'absolute-token', token_type: 'bearer', expires_at: Math.floor(Date.now() / 1000) + 7200 }),
  // Refresh on another URL, needing an extra param, answering without a new refresh token.
  'refresh-elsewhere': () => json({ access_token: 'first-access', token_type: 'bearer', expires_in: 3600, refresh_token: 'long-lived-refresh' }),
  // Client credentials only in the Basic header.
  basic: ({ headers, form }) => {
    const expected = `Basic ${Buffer.from(`${FAKE_CLIENT.id}:${FAKE_CLIENT.secret}`).toString('base64')}`;
    if (headers.authorization !== expected || form.has('client_secret')) return json({ error: 'invalid_client' }, 401);
    return json({ access_token: 'basic-token', token_type: 'bearer', expires_in: 3600 });
  },
  // A JSON request body only.
  json: ({ headers, body }) => {
    if (!headers['content-type']?.startsWith('application/json')) return json({ error: 'invalid_request', error_description: 'JSON body required' }, 400);
    const parsed = JSON.parse(body) as Record<string, string>;
    if (parsed.grant_type !== 'authorization_code' || parsed.client_secret !== FAKE_CLIENT.secret || !parsed.code) return json({ error: 'invalid_grant' }, 400);
    return json({ access_token: 'json-token', token_type: 'bearer', expires_in: 3600 });
  },
  // Salesforce: the instance URL in the token response, no expires_in.
  salesforce: () => json({ access_token: 'sf-token', token_type: 'Bearer', instance_url: 'https://acme.my.salesforce.com', id: 'https://login.salesforce.com/id/00D/005', issued_at: '1700000000000' }),
  // QuickBooks: the company id (realmId) comes on the callback.
  quickbooks: () => json({ access_token: 'qb-token', token_type: 'bearer', expires_in: 3600, refresh_token: 'qb-refresh', x_refresh_token_expires_in: 8726400 }),
};

export function fakeTemplates(baseUrl: string): ProviderTemplate[] {
  const template = (name: string, overrides: Partial<ProviderTemplate> = {}): ProviderTemplate =>
    providerTemplate({
      name: `fake-${name}`,
      displayName: `Fake ${name}`,
      authorizationUrl: `${baseUrl}/${name}/authorize`,
      tokenUrl: `${baseUrl}/${name}/token`,
      ...overrides,
    });
  const oauth1 = (name: string, signatureMethod: 'HMAC-SHA1' | 'PLAINTEXT') =>
    template(name, {
      authMode: 'OAUTH1',
      authorizationUrl: `${baseUrl}/oauth1/authorize`,
      tokenUrl: `${baseUrl}/oauth1/access_token`,
      supportsPkce: false,
      authorizationParams: { name: 'Test app' },
      oauth1: { requestUrl: `${baseUrl}/oauth1/request_token`, requestParams: {}, signatureMethod },
    });
  return [
    template('slack'),
    template('slack-user', { accessTokenPath: 'authed_user.access_token' }),
    template('github-error'),
    template('form', { scopeSeparator: ',' }),
    template('no-expiry'),
    template('string-expiry'),
    template('absolute-expiry'),
    template('refresh-elsewhere', { refreshUrl: `${baseUrl}/refresh-elsewhere/refresh`, refreshParams: { audience: 'api' } }),
    template('basic', { authorizationMethod: 'header' }),
    template('json', { bodyFormat: 'json' }),
    template('salesforce', { tokenResponseMetadata: ['instance_url'] }),
    template('quickbooks', { redirectUriMetadata: ['realmId'] }),
    oauth1('oauth1-hmac', 'HMAC-SHA1'),
    oauth1('oauth1-plaintext', 'PLAINTEXT'),
  ];
}

interface RequestToken {
  secret: string;
  callback: string;
  verifier?: string;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const requests: FakeProviders['requests'] = [];
  const requestTokens = new Map<string, RequestToken>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const [quirk = '', action = ''] = url.pathname.slice(1).split('/');
      const send = ({ status = 200, type = 'application/json', body: payload }: { status?: number; type?: string; body: unknown }) => {
        res.statusCode = status;
        res.setHeader('content-type', type);
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      if (quirk === 'oauth1') {
        const answer = oauth1(action, req, url, body, requestTokens);
        if (answer.location) {
          res.statusCode = 302;
          res.setHeader('location', answer.location);
          return res.end();
        }
        return send(answer);
      }
      if (action === 'authorize') {
        // Consent is given at once: straight back to the redirect_uri with a code.
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', `code-${quirk}`);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        if (quirk === 'quickbooks') back.searchParams.set('realmId', '4620816365');
        res.statusCode = 302;
        res.setHeader('location', back.toString());
        return res.end();
      }
      requests.push({ quirk: `${quirk}/${action}`, headers: req.headers, body });
      const form = new URLSearchParams(body);
      if (quirk === 'refresh-elsewhere' && action === 'refresh') {
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'long-lived-refresh' || form.get('audience') !== 'api') {
          return send(json({ error: 'invalid_grant' }, 400));
        }
        return send(json({ access_token: 'second-access', token_type: 'bearer', expires_in: 3600 }));
      }
      const handler = TOKEN_ENDPOINTS[quirk];
      if (!handler || action !== 'token') return send(json({ error: 'not_found' }, 404));
      return send(handler({ headers: req.headers, body, form }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---- OAuth 1.0a, verified by the book (RFC 5849 §3.4) ----

const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function headerParams(authorization: string | undefined): Record<string, string> {
  if (!authorization?.startsWith('OAuth ')) return {};
  return Object.fromEntries(
    [...authorization.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)].map((match) => [match[1]!, decodeURIComponent(match[2]!)]),
  );
}

function expectedSignature(method: string, baseUrl: string, params: Array<[string, string]>, consumerSecret: string, tokenSecret: string, signatureMethod: string): string {
  const key = `${encode(consumerSecret)}&${encode(tokenSecret)}`;
  if (signatureMethod === 'PLAINTEXT') return key;
  const normalized = params
    .filter(([name]) => name !== 'oauth_signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const base = `${method.toUpperCase()}&${encode(baseUrl)}&${encode(normalized)}`;
  return createHmac('sha1', key).update(base).digest('base64');
}

interface Answer {
  status: number;
  type?: string;
  body: string;
  location?: string;
}

function oauth1(action: string, req: http.IncomingMessage, url: URL, body: string, tokens: Map<string, RequestToken>): Answer {
  const form = (status: number, values: Record<string, string>): Answer => ({ status, type: 'application/x-www-form-urlencoded', body: new URLSearchParams(values).toString() });
  if (action === 'authorize') {
    const token = tokens.get(url.searchParams.get('oauth_token') ?? '');
    if (!token) return form(400, { oauth_problem: 'token_rejected' });
    token.verifier = randomBytes(8).toString('hex');
    const back = new URL(token.callback);
    back.searchParams.set('oauth_token', url.searchParams.get('oauth_token')!);
    back.searchParams.set('oauth_verifier', token.verifier);
    return { status: 302, body: '', location: back.toString() };
  }
  const oauth = headerParams(req.headers.authorization);
  if (oauth.oauth_consumer_key !== FAKE_CLIENT.id) return form(401, { oauth_problem: 'consumer_key_unknown' });
  const params: Array<[string, string]> = [...Object.entries(oauth), ...new URLSearchParams(body)];
  const requestToken = action === 'access_token' ? tokens.get(oauth.oauth_token ?? '') : undefined;
  const tokenSecret = requestToken?.secret ?? '';
  const baseUrl = `http://${req.headers.host}${url.pathname}`;
  if (oauth.oauth_signature !== expectedSignature('POST', baseUrl, params, FAKE_CLIENT.secret, tokenSecret, oauth.oauth_signature_method ?? '')) {
    return form(401, { oauth_problem: 'signature_invalid' });
  }
  if (action === 'request_token') {
    if (!oauth.oauth_callback) return form(400, { oauth_problem: 'parameter_absent', oauth_parameters_absent: 'oauth_callback' });
    const token = `rt-${randomBytes(8).toString('hex')}`;
    const secret = `rts-${randomBytes(8).toString('hex')}`;
    tokens.set(token, { secret, callback: oauth.oauth_callback });
    return form(200, { oauth_token: token, oauth_token_secret: secret, oauth_callback_confirmed: 'true' });
  }
  if (action === 'access_token') {
    if (!requestToken || oauth.oauth_verifier !== requestToken.verifier) return form(401, { oauth_problem: 'verifier_invalid' });
    tokens.delete(oauth.oauth_token!);
    return form(200, { oauth_token: `at-${randomBytes(8).toString('hex')}`, oauth_token_secret: `ats-${randomBytes(8).toString('hex')}`, user_id: '42', screen_name: 'fake' });
  }
  return form(404, { oauth_problem: 'not_found' });
}
