// OAuth 2 client glue over openid-client: builds the authorization URL,
// exchanges the code and refreshes. Provider failures come back as
// ProviderCallError, with the provider's own error code when it gave one.
import * as oidc from 'openid-client';
import { guardedCall, guardedFetch, type ProviderCall, type ProviderFetch } from './guarded-fetch.js';
import { conformingFetch, type Capture, type ConformOptions } from './token-conformer.js';
import { checkProviderUrl, isLoopbackHost, ProviderUrlRefused, type ProviderUrlPolicy } from './url-policy.js';

export interface OAuth2App {
  clientId: string;
  clientSecret: string;
  /** body: client_secret_post; header: client_secret_basic. */
  authorizationMethod: 'body' | 'header';
  bodyFormat: 'form' | 'json';
  accessTokenPath: string | null;
  /** Merged over each authorization request's own extra params (the config's win over the template's). */
  authorizationParams: Record<string, string>;
  /** Merged over the code exchange's extra params. */
  tokenParams: Record<string, string>;
}

export interface ProviderCallOptions {
  timeoutSeconds: number;
  policy: ProviderUrlPolicy;
}

export type OAuth2Endpoints =
  /** No authorization URL for the client credentials grant, which has no end user. */
  | { kind: 'static'; authorizationUrl: string | null; tokenUrl: string }
  | { kind: 'oidc'; issuer: string };

export type ProviderFailure = 'rejected' | 'unreachable' | 'timeout' | 'bad_response';

export class ProviderCallError extends Error {
  override name = 'ProviderCallError';

  constructor(
    readonly failure: ProviderFailure,
    message: string,
    /** The provider's error code (e.g. invalid_grant), when it sent one. */
    readonly providerCode?: string,
    readonly providerDescription?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type TokenResponse = Record<string, unknown> & { access_token: string };

export interface AuthorizationRequest {
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string | null;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier: string | null;
  state: string;
  /** The callback's full query, for the OpenID checks on the authorization response. */
  callbackParams: URLSearchParams;
}

export class OAuth2Client {
  private readonly capture: Capture = { raw: null };

  private constructor(
    private readonly configuration: oidc.Configuration,
    private readonly openId: boolean,
    conform: ConformOptions,
    private readonly app: OAuth2App,
    call: ProviderCall,
  ) {
    configuration[oidc.customFetch] = conformingFetch(conform, this.capture, call);
  }

  /** Throws ProviderUrlRefused when a discovered endpoint fails the URL policy (nothing is sent to it). */
  static async create(app: OAuth2App, endpoints: OAuth2Endpoints, { timeoutSeconds, policy }: ProviderCallOptions): Promise<OAuth2Client> {
    const auth = app.authorizationMethod === 'header' ? rawClientSecretBasic(app.clientSecret) : oidc.ClientSecretPost(app.clientSecret);
    const call = guardedCall(policy);
    if (endpoints.kind === 'oidc') {
      const issuer = new URL(endpoints.issuer);
      const metadata = await discoveredMetadata(issuer, timeoutSeconds, policy, guardedFetch(policy));
      const configuration = new oidc.Configuration(metadata, app.clientId, undefined, auth);
      configuration.timeout = timeoutSeconds;
      if (insecureAllowed(issuer)) oidc.allowInsecureRequests(configuration);
      return new OAuth2Client(configuration, true, { bodyFormat: app.bodyFormat, accessTokenPath: app.accessTokenPath, keepIdToken: true }, app, call);
    }
    const tokenUrl = new URL(endpoints.tokenUrl);
    const configuration = new oidc.Configuration(
      // Catalog providers publish no issuer; the token endpoint's origin stands in.
      { issuer: tokenUrl.origin, authorization_endpoint: endpoints.authorizationUrl ?? undefined, token_endpoint: endpoints.tokenUrl },
      app.clientId,
      undefined,
      auth,
    );
    configuration.timeout = timeoutSeconds;
    if (insecureAllowed(tokenUrl)) oidc.allowInsecureRequests(configuration);
    return new OAuth2Client(configuration, false, { bodyFormat: app.bodyFormat, accessTokenPath: app.accessTokenPath, keepIdToken: false }, app, call);
  }

  authorizationUrl(request: AuthorizationRequest): URL {
    const parameters: Record<string, string> = {
      // The template's, then the config's (provider-apps.ts): the protocol's own come last and win.
      ...this.app.authorizationParams,
      response_type: 'code',
      redirect_uri: request.redirectUri,
      state: request.state,
    };
    if (request.scope) parameters.scope = request.scope;
    if (request.codeChallenge) {
      parameters.code_challenge = request.codeChallenge;
      parameters.code_challenge_method = 'S256';
    }
    return oidc.buildAuthorizationUrl(this.configuration, parameters);
  }

  async exchangeCode(exchange: CodeExchange): Promise<TokenResponse> {
    this.capture.raw = null;
    const extraParams = this.app.tokenParams;
    await this.grant(() => {
      if (this.openId) {
        // Full OpenID checks: iss parameter, ID token claims and signature.
        const currentUrl = new URL(exchange.redirectUri);
        currentUrl.search = exchange.callbackParams.toString();
        return oidc.authorizationCodeGrant(
          this.configuration,
          currentUrl,
          { expectedState: exchange.state, pkceCodeVerifier: exchange.codeVerifier ?? undefined },
          { ...extraParams, redirect_uri: exchange.redirectUri },
        );
      }
      const parameters: Record<string, string> = { ...extraParams, code: exchange.code, redirect_uri: exchange.redirectUri };
      if (exchange.codeVerifier) parameters.code_verifier = exchange.codeVerifier;
      return oidc.genericGrantRequest(this.configuration, 'authorization_code', parameters);
    });
    return this.providerAnswer();
  }

  /** The refresh_token grant; the caller keeps the old refresh token when none comes back. */
  async refresh(refreshToken: string, extraParams: Record<string, string>): Promise<TokenResponse> {
    this.capture.raw = null;
    await this.grant(() => oidc.refreshTokenGrant(this.configuration, refreshToken, extraParams));
    return this.providerAnswer();
  }

  /** The client_credentials grant (RFC 6749 §4.4): a token for the client itself, no end user and no refresh token. */
  async clientCredentials(scope: string, extraParams: Record<string, string>): Promise<TokenResponse> {
    this.capture.raw = null;
    const parameters: Record<string, string> = { ...extraParams };
    if (scope) parameters.scope = scope;
    await this.grant(() => oidc.clientCredentialsGrant(this.configuration, parameters));
    return this.providerAnswer();
  }

  /** A grant's call: a refusal that repeats the client secret (some endpoints echo what they were sent) is told without it. */
  private async grant(call: () => Promise<unknown>): Promise<void> {
    try {
      await callProvider(call);
    } catch (error) {
      throw withoutSecret(error, this.app.clientSecret);
    }
  }

  /** The token response as the provider sent it (openid-client saw a conformed copy). */
  private providerAnswer(): TokenResponse {
    if (!this.capture.raw) throw new ProviderCallError('bad_response', 'The provider gave no token response.');
    return this.capture.raw as TokenResponse;
  }
}

/** The refusal with the secret (as sent, and form-encoded as in a POST body) replaced; openid-client's error, which holds it, left behind. */
function withoutSecret(error: unknown, secret: string): unknown {
  if (!(error instanceof ProviderCallError) || secret.length < 4) return error;
  const forms = [secret, new URLSearchParams({ _: secret }).toString().slice(2)];
  const said = [error.message, error.providerCode, error.providerDescription];
  if (!said.some((text) => text !== undefined && forms.some((form) => text.includes(form)))) return error;
  const scrub = (text: string | undefined) => (text === undefined ? undefined : forms.reduce((result, form) => result.split(form).join('[redacted]'), text));
  return new ProviderCallError(error.failure, scrub(error.message)!, scrub(error.providerCode), scrub(error.providerDescription));
}

// Discovery documents, per issuer and policy, for a few minutes: a refresh
// should not cost a discovery round trip every time.
const DISCOVERY_TTL_MS = 5 * 60_000;
const discoveries = new Map<string, { metadata: oidc.ServerMetadata; at: number }>();

async function discoveredMetadata(issuer: URL, timeoutSeconds: number, policy: ProviderUrlPolicy, fetch: ProviderFetch): Promise<oidc.ServerMetadata> {
  const key = `${policy.privateAddresses} ${issuer.href}`;
  const cached = discoveries.get(key);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.metadata;
  const metadata = await discover(issuer, timeoutSeconds, policy, fetch);
  discoveries.set(key, { metadata, at: Date.now() });
  return metadata;
}

/**
 * The issuer's revocation_endpoint (RFC 8414), or null when its discovery
 * document names none; checked against the URL policy like its other endpoints.
 */
export async function discoveredRevocationEndpoint(issuer: URL, timeoutSeconds: number, policy: ProviderUrlPolicy): Promise<string | null> {
  const metadata = await discoveredMetadata(issuer, timeoutSeconds, policy, guardedFetch(policy));
  const endpoint = metadata.revocation_endpoint;
  if (!endpoint) return null;
  checkProviderUrl('the discovered revocation_endpoint', endpoint, policy);
  return endpoint;
}

/**
 * The issuer's discovery document, fetched under the URL policy; its endpoints
 * pass the same policy as typed ones, or ProviderUrlRefused is thrown before
 * anything is sent to them.
 */
export async function discover(issuer: URL, timeoutSeconds: number, policy: ProviderUrlPolicy, fetch: ProviderFetch = guardedFetch(policy)): Promise<oidc.ServerMetadata> {
  checkProviderUrl('the issuer', issuer.href, policy);
  const configuration = await callProvider(() =>
    oidc.discovery(issuer, 'discovery', undefined, oidc.None(), {
      timeout: timeoutSeconds,
      execute: insecureAllowed(issuer) ? [oidc.allowInsecureRequests] : [],
      [oidc.customFetch]: (url, options) => fetch(url, options as RequestInit),
    }),
  );
  const metadata = configuration.serverMetadata();
  if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
    throw new ProviderCallError('bad_response', 'The discovery document lacks authorization_endpoint or token_endpoint.');
  }
  checkProviderUrl('the discovered authorization_endpoint', metadata.authorization_endpoint, policy);
  checkProviderUrl('the discovered token_endpoint', metadata.token_endpoint, policy);
  return metadata;
}

/**
 * HTTP Basic with the client id and secret as they are. RFC 6749 §2.3.1 wants
 * them form-encoded first (openid-client's ClientSecretBasic does that), but
 * providers decode nothing, and a secret with '-' or '+' would then not match.
 */
function rawClientSecretBasic(clientSecret: string): oidc.ClientAuth {
  return (_server, client, _body, headers) => {
    headers.set('authorization', basicAuthorization(String(client.client_id), clientSecret));
  };
}

/** The Authorization header of rawClientSecretBasic, for calls made without openid-client (revocation). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

function insecureAllowed(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** Runs a provider call, its failures as ProviderCallError. */
export async function callProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toProviderCallError(error);
  }
}

function toProviderCallError(error: unknown): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const refused = causes(error).find((item): item is ProviderUrlRefused => item instanceof ProviderUrlRefused);
  // Refused before a byte was sent (a redirect target or a name resolving to a private address).
  if (refused) return new ProviderCallError('unreachable', refused.message, undefined, undefined, { cause: refused });
  if (error instanceof oidc.ResponseBodyError) {
    return new ProviderCallError(
      'rejected',
      `The provider refused: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
      error.error,
      error.error_description,
      { cause: error },
    );
  }
  if (isTimeout(error)) return new ProviderCallError('timeout', 'The provider did not answer in time.', undefined, undefined, { cause: error });
  if (isNetworkFailure(error)) {
    return new ProviderCallError('unreachable', 'The provider could not be reached.', undefined, undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderCallError('bad_response', `The provider gave an unusable answer: ${message}`, undefined, undefined, { cause: error });
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 5; current = (current as { cause?: unknown }).cause) chain.push(current);
  return chain;
}

function isTimeout(error: unknown): boolean {
  // The abort reason is a DOMException, which is not an Error instance on Node 20.
  return causes(error).some((item) => {
    const { name, code } = item as { name?: unknown; code?: unknown };
    return name === 'TimeoutError' || name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
  });
}

function isNetworkFailure(error: unknown): boolean {
  return causes(error).some(
    (item) =>
      (item instanceof TypeError && item.message === 'fetch failed') ||
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(String((item as { code?: unknown }).code ?? '')),
  );
}
