// A real OpenID provider (oidc-provider) on a loopback port: the authorization
// server the tests talk to. The end user's decision is made by the test
// (`issuer.decision`): logins and consents are approved, or denied, without a form.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';

/** approve/deny at once, or hold: show a consent page and wait (the end user may close the popup). */
export type Decision = 'approve' | 'deny' | 'hold';

export interface TestIssuer {
  issuer: string;
  provider: Provider;
  /** What the simulated end user answers on the consent screen. */
  decision: Decision;
  /** The end user who logs in. */
  accountId: string;
  /** Refresh token grants the provider answered (success or error). */
  refreshAttempts: number;
  refreshSuccesses: number;
  /** The refresh token presented on each refresh grant, in order. */
  refreshTokensPresented: string[];
  /**
   * Holds each token endpoint answer this long after the grant was processed
   * (a refresh token already rotated): a provider slower than its clients.
   */
  answerDelayMs: number;
  /** Called when a token request has been processed and its answer is being held (answerDelayMs > 0). */
  onAnswerHeld: (() => void) | null;
  /** Revokes the grant behind a refresh token, as an end user revoking access would. */
  revoke(refreshToken: string): Promise<void>;
  /** Client credentials grants the provider answered with a token (MACHINE_CLIENT's). */
  clientCredentialsGrants: number;
  /** Token revocation requests (RFC 7009) the provider answered, with the hint each gave. */
  revocations: Array<{ tokenTypeHint: string | undefined; status: number }>;
  /**
   * Presents a refresh token to the token endpoint as a client would (not
   * through the server under test): whether the provider still honours it.
   * A successful call rotates it, as any refresh does.
   */
  presentRefreshToken(refreshToken: string): Promise<{ status: number; error?: string }>;
  close(): Promise<void>;
}

export interface TestIssuerOptions {
  redirectUris: string[];
  accessTokenTtlSeconds?: number;
  /**
   * 'always' (default): a refresh token on every code exchange. 'offline_access':
   * as a standard OpenID Connect server (oidc-provider's own default), only
   * when offline_access was granted, which it keeps only with prompt=consent.
   */
  refreshTokens?: 'always' | 'offline_access';
  /** How long MACHINE_CLIENT's client credentials tokens live (default 600 s). */
  clientCredentialsTtlSeconds?: number;
}

export const TEST_CLIENT = {
  client_id: 'test-client',
  client_secret: 'test-client-secret-0123456789',
};

/** A client of the client credentials grant only (no end user, no redirect). */
export const MACHINE_CLIENT = {
  client_id: 'machine-client',
  client_secret: 'machine-client-secret-0123456789',
};

export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export async function startTestIssuer(options: TestIssuerOptions | string[] = ['http://localhost:3003/oauth/callback']): Promise<TestIssuer> {
  const { redirectUris, accessTokenTtlSeconds = ACCESS_TOKEN_TTL_SECONDS, refreshTokens = 'always', clientCredentialsTtlSeconds = 600 } = Array.isArray(options) ? { redirectUris: options } : options;
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuerUrl = `http://127.0.0.1:${port}`;
  const { default: OidcProvider } = await quietly(() => import('oidc-provider'));
  const provider = await quietly(async () =>
    new OidcProvider(issuerUrl, {
      clients: [
        { ...TEST_CLIENT, redirect_uris: redirectUris, grant_types: ['authorization_code', 'refresh_token'] },
        { ...MACHINE_CLIENT, redirect_uris: [], response_types: [], grant_types: ['client_credentials'], scope: 'api:read api:write' },
      ],
      jwks: { keys: [signingKey()] },
      scopes: ['openid', 'offline_access', 'email', 'profile', 'api:read', 'api:write'],
      claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@example.com` }) }),
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        // RFC 7009: revoking a refresh token also revokes its grant (oidc-provider's revokeGrantPolicy).
        revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      // PKCE when the client sends it (most templates), optional for those that disable it.
      pkce: { required: () => false },
      // Refresh tokens on every code exchange, rotated on every use: a second
      // use of a refresh token fails with invalid_grant, as at real providers.
      ...(refreshTokens === 'always' ? { issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token') } : {}),
      rotateRefreshToken: true,
      // Every TTL explicit: oidc-provider prints a notice for each default it uses.
      ttl: { AccessToken: accessTokenTtlSeconds, ClientCredentials: clientCredentialsTtlSeconds, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 3600, Grant: 3600, RefreshToken: 86_400 },
    }),
  );
  provider.on('server_error', () => undefined);

  const issuer: TestIssuer = {
    issuer: issuerUrl,
    provider,
    decision: 'approve',
    accountId: 'end-user-1',
    refreshAttempts: 0,
    refreshSuccesses: 0,
    refreshTokensPresented: [],
    clientCredentialsGrants: 0,
    answerDelayMs: 0,
    onAnswerHeld: null,
    revocations: [],
    presentRefreshToken: async (refreshToken) => {
      const response = await fetch(`${issuerUrl}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: TEST_CLIENT.client_id, client_secret: TEST_CLIENT.client_secret }),
      });
      const body = (await response.json()) as { error?: string };
      return { status: response.status, ...(body.error ? { error: body.error } : {}) };
    },
    revoke: async (refreshToken) => {
      const token = await provider.RefreshToken.find(refreshToken);
      if (!token) throw new Error('no such refresh token at the provider');
      const grant = token.grantId ? await provider.Grant.find(token.grantId) : undefined;
      await grant?.destroy();
      await token.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  type GrantContext = { oidc?: { params?: { grant_type?: unknown; refresh_token?: unknown } } };
  const isRefresh = (ctx: GrantContext) => ctx.oidc?.params?.grant_type === 'refresh_token';
  const presented = (ctx: GrantContext) => issuer.refreshTokensPresented.push(String(ctx.oidc?.params?.refresh_token));
  provider.on('grant.success', (ctx) => {
    if ((ctx as GrantContext).oidc?.params?.grant_type === 'client_credentials') issuer.clientCredentialsGrants += 1;
    if (isRefresh(ctx)) {
      issuer.refreshAttempts += 1;
      issuer.refreshSuccesses += 1;
      presented(ctx);
    }
  });
  provider.on('grant.error', (ctx) => {
    if (isRefresh(ctx)) {
      issuer.refreshAttempts += 1;
      presented(ctx);
    }
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token/revocation') return;
    const hint = (ctx.oidc?.params as { token_type_hint?: unknown } | undefined)?.token_type_hint;
    issuer.revocations.push({ tokenTypeHint: typeof hint === 'string' ? hint : undefined, status: ctx.status });
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      decide(issuer, req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    if (req.url?.startsWith('/token') && issuer.answerDelayMs > 0) {
      const delay = issuer.answerDelayMs;
      const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
      res.end = ((...args: unknown[]) => {
        issuer.onAnswerHeld?.();
        setTimeout(() => end(...args), delay);
        return res;
      }) as typeof res.end;
    }
    callback(req, res);
  });
  return issuer;
}

async function decide(issuer: TestIssuer, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { provider } = issuer;
  const details = await provider.interactionDetails(req, res);
  if (issuer.decision === 'hold') {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>Consent</title><h1>Allow test-client to access your account?</h1>');
    return;
  }
  if (issuer.decision === 'deny') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The end user denied the request.' }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: issuer.accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) }))
    : new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
}

// oidc-provider warns about its in-memory adapter and about Node 20 on every
// start; both are expected in a test authorization server.
async function quietly<T>(build: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
  };
  try {
    return await build();
  } finally {
    console.warn = warn;
  }
}
