// The OAuth 2 connect flow: start (state + PKCE kept in oauth_sessions, redirect
// to the provider) and finish (consume the session once, exchange the code,
// store the connection). Every failure is an AppError naming the flow it ends.
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { ConnectionStore } from '../db/connection-store.js';
import type { OAuthSessionStore } from '../db/oauth-session-store.js';
import type { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { ConnectionParamError, PARAM_NAME } from '../providers/connection-params.js';
import type { OAuth1Client } from '../providers/oauth1-client.js';
import { ProviderCallError, type OAuth2Client } from '../providers/oauth2-client.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { credentialsFromTokenResponse, oauth1Credentials, serializeCredentials } from './credentials.js';
import { AppError, invalidInput } from './errors.js';
import { checkIdentifier, clip, hasControlCharacters } from './identifiers.js';
import { silentObserver, type CoreObserver } from './observer.js';
import { checkConnectParams, loadProviderApp, oauth1ClientFor, oauth2ClientFor, type ProviderApp } from './provider-apps.js';

export type FlowIdentity = {
  providerConfigKey: string;
  connectionId: string;
};

export type StartFlowInput = FlowIdentity & {
  /** The connection config, from params[name]=value on the connect URL. */
  params: Record<string, string>;
};

export interface OAuthFlowOptions {
  configs: ProviderConfigStore;
  sessions: OAuthSessionStore;
  connections: ConnectionStore;
  catalog: ProviderCatalog;
  /** The redirect_uri registered at the providers. */
  callbackUrl: string;
  providerTimeoutSeconds: number;
  urlPolicy: ProviderUrlPolicy;
  sessionTtlSeconds?: number;
  observer?: CoreObserver;
}

const MAX_PARAMS = 20;
const MAX_PARAM_VALUE = 255;

export class OAuthFlow {
  constructor(private readonly options: OAuthFlowOptions) {}

  /** Records the flow and returns the provider's authorization URL to redirect to. */
  async start(input: StartFlowInput): Promise<URL> {
    try {
      const url = await this.startFlow(input);
      this.observer.flow('started', input.providerConfigKey);
      return url;
    } catch (error) {
      this.observer.flow('failed', input.providerConfigKey);
      throw error;
    }
  }

  /** Handles the provider's redirect back: consumes the session and stores the connection. */
  async finish(query: URLSearchParams): Promise<FlowIdentity> {
    try {
      const identity = await this.finishFlow(query);
      this.observer.flow('completed', identity.providerConfigKey);
      return identity;
    } catch (error) {
      this.observer.flow('failed', error instanceof AppError ? (error.details.providerConfigKey ?? 'unknown') : 'unknown');
      throw error;
    }
  }

  private get observer(): CoreObserver {
    return this.options.observer ?? silentObserver;
  }

  private async startFlow(input: StartFlowInput): Promise<URL> {
    const identity = { providerConfigKey: input.providerConfigKey, connectionId: input.connectionId };
    checkIdentifier('providerConfigKey', input.providerConfigKey);
    checkConnectionId(input.connectionId, identity);
    checkParams(input.params, identity);
    const app = await this.loadConfig(identity);
    checkConnectParams(app, input.params, identity);
    const { config, template } = app;
    if (template.oauth1) return this.startOAuth1(app, input, identity);
    const client = await this.client(app, input.params, identity);

    // Abandoned flows leave sessions behind; each new flow sweeps the expired ones.
    await this.options.sessions.deleteExpired();
    const state = randomBytes(32).toString('base64url');
    const codeVerifier = template.supportsPkce ? oidc.randomPKCECodeVerifier() : null;
    await this.options.sessions.insert({
      state,
      ...identity,
      codeVerifier,
      connectionConfig: input.params,
      ttlSeconds: this.options.sessionTtlSeconds ?? 600,
    });
    const scopes = [...new Set([...template.defaultScopes, ...config.scopes])];
    return client.authorizationUrl({
      redirectUri: this.options.callbackUrl,
      scope: scopes.join(template.scopeSeparator),
      state,
      codeChallenge: codeVerifier ? await oidc.calculatePKCECodeChallenge(codeVerifier) : null,
      extraParams: template.authorizationParams,
    });
  }

  private async finishFlow(query: URLSearchParams): Promise<FlowIdentity> {
    // OAuth 1.0a providers come back with oauth_token (or denied=<token>) and no state.
    if (!query.has('state') && (query.has('oauth_token') || query.has('denied'))) return this.finishOAuth1(query);
    const state = query.get('state');
    const session = state ? await this.options.sessions.consume(state) : null;
    if (!session || session.expired) {
      throw new AppError('invalid_state', 'This authorization link is unknown, expired or already used. Start the connection again.');
    }
    const identity = { providerConfigKey: session.providerConfigKey, connectionId: session.connectionId };
    const providerError = query.get('error');
    if (providerError) {
      const description = clip(query.get('error_description') ?? '');
      const said = description ? `: ${description}` : '';
      throw providerError === 'access_denied'
        ? new AppError('access_denied', `The authorization was denied${said}`, { ...identity, providerError })
        : new AppError('authorization_failed', `The provider refused the authorization (${clip(providerError)})${said}`, {
            ...identity,
            providerError: clip(providerError),
          });
    }
    const code = query.get('code');
    if (!code) throw new AppError('missing_code', 'The provider redirected back without an authorization code.', identity);

    const app = await this.loadConfig(identity);
    const { config, template } = app;
    const client = await this.client(app, session.connectionConfig, identity);
    let tokenResponse;
    try {
      tokenResponse = await client.exchangeCode({
        code,
        state: session.state,
        codeVerifier: session.codeVerifier,
        redirectUri: this.options.callbackUrl,
        callbackParams: query,
        extraParams: template.tokenParams,
      });
    } catch (error) {
      throw providerFailure(error, identity);
    }
    const credentials = credentialsFromTokenResponse(tokenResponse, {
      now: new Date(),
      requestedScopes: config.scopes,
      scopeSeparator: template.scopeSeparator,
      accessTokenPath: template.accessTokenPath,
    });
    await this.options.connections.upsert({
      ...identity,
      credentials: serializeCredentials(credentials),
      expiresAt: credentials.expiresAt,
      connectionConfig: session.connectionConfig,
      // E.g. Salesforce's instance_url (token response), QuickBooks' realmId (callback).
      metadata: {
        ...pick(template.tokenResponseMetadata, (name) => tokenResponse[name]),
        ...pick(template.redirectUriMetadata, (name) => query.get(name) ?? undefined),
      },
    });
    return identity;
  }

  private async startOAuth1(app: ProviderApp, input: StartFlowInput, identity: FlowIdentity): Promise<URL> {
    const client = this.oauth1Client(app, input.params, identity);
    let requestToken;
    try {
      requestToken = await client.requestToken(this.options.callbackUrl);
    } catch (error) {
      throw providerFailure(error, identity);
    }
    await this.options.sessions.deleteExpired();
    await this.options.sessions.insert({
      state: requestToken.token,
      ...identity,
      codeVerifier: null,
      requestTokenSecret: requestToken.tokenSecret,
      connectionConfig: input.params,
      ttlSeconds: this.options.sessionTtlSeconds ?? 600,
    });
    const scopes = [...new Set([...app.template.defaultScopes, ...app.config.scopes])];
    return client.authorizationUrl(requestToken.token, scopes.length ? scopes.join(app.template.scopeSeparator) : null);
  }

  private async finishOAuth1(query: URLSearchParams): Promise<FlowIdentity> {
    const denied = query.get('denied');
    const session = await this.options.sessions.consume(denied ?? query.get('oauth_token') ?? '');
    if (!session || session.expired || !session.requestTokenSecret) {
      throw new AppError('invalid_state', 'This authorization link is unknown, expired or already used. Start the connection again.');
    }
    const identity = { providerConfigKey: session.providerConfigKey, connectionId: session.connectionId };
    if (denied) throw new AppError('access_denied', 'The authorization was denied.', { ...identity, providerError: 'access_denied' });
    const verifier = query.get('oauth_verifier');
    if (!verifier) throw new AppError('missing_code', 'The provider redirected back without an oauth_verifier.', identity);
    const app = await this.loadConfig(identity);
    let accessToken;
    try {
      accessToken = await this.oauth1Client(app, session.connectionConfig, identity).accessToken(session.state, session.requestTokenSecret, verifier);
    } catch (error) {
      throw providerFailure(error, identity);
    }
    const credentials = oauth1Credentials(accessToken.token, accessToken.tokenSecret, accessToken.raw, new Date());
    await this.options.connections.upsert({
      ...identity,
      credentials: serializeCredentials(credentials),
      expiresAt: null,
      connectionConfig: session.connectionConfig,
      metadata: {},
    });
    return identity;
  }

  private oauth1Client(app: ProviderApp, params: Record<string, string>, identity: FlowIdentity): OAuth1Client {
    try {
      return oauth1ClientFor(app, params, this.options.providerTimeoutSeconds, this.options.urlPolicy);
    } catch (error) {
      throw providerFailure(error, identity);
    }
  }

  private loadConfig(identity: FlowIdentity): Promise<ProviderApp> {
    return loadProviderApp(this.options.configs, this.options.catalog, identity.providerConfigKey, identity);
  }

  private async client(app: ProviderApp, params: Record<string, string>, identity: FlowIdentity): Promise<OAuth2Client> {
    try {
      return await oauth2ClientFor(app, params, this.options.providerTimeoutSeconds, 'authorize', this.options.urlPolicy);
    } catch (error) {
      throw providerFailure(error, identity);
    }
  }
}

/** A failure on the way to the provider, as the flow reports it. */
export function providerFailure(error: unknown, identity: FlowIdentity): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ConnectionParamError) {
    return new AppError(error.kind === 'missing' ? 'missing_connection_config_param' : 'invalid_input', error.message, {
      ...identity,
      ...(error.kind === 'missing' ? { param: error.param } : { field: `params[${error.param}]` }),
    });
  }
  if (!(error instanceof ProviderCallError)) throw error;
  switch (error.failure) {
    case 'timeout':
      return new AppError('provider_timeout', 'The provider did not answer in time. Try again.', identity, { cause: error });
    case 'unreachable':
      return new AppError('provider_unreachable', 'The provider could not be reached. Try again.', identity, { cause: error });
    case 'rejected':
      return new AppError('token_error', `The provider refused the token request: ${clip(error.providerCode ?? 'error')}${error.providerDescription ? ` (${clip(error.providerDescription)})` : ''}.`, {
        ...identity,
        providerError: clip(error.providerCode ?? 'error'),
      }, { cause: error });
    case 'bad_response':
      return new AppError('token_error', 'The provider gave an unusable answer to the token request.', identity, { cause: error });
  }
}

function checkConnectionId(connectionId: string, identity: FlowIdentity): void {
  if (connectionId.trim() === '') {
    throw new AppError('missing_connection_id', 'Give the connection id as ?connection_id=<id>.', identity);
  }
  checkIdentifier('connection_id', connectionId);
}

function checkParams(params: Record<string, string>, identity: FlowIdentity): void {
  const entries = Object.entries(params);
  if (entries.length > MAX_PARAMS) throw invalidInput('params', `at most ${MAX_PARAMS} connection params`);
  for (const [name, value] of entries) {
    if (!PARAM_NAME.test(name)) throw new AppError('invalid_input', `params[${clip(name, 64)}]: not a valid param name`, { ...identity, field: 'params' });
    if (value.length > MAX_PARAM_VALUE || hasControlCharacters(value)) {
      throw new AppError('invalid_input', `params[${name}]: must be at most ${MAX_PARAM_VALUE} printable characters`, { ...identity, field: `params[${name}]` });
    }
  }
}

function pick(names: string[], valueOf: (name: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, valueOf(name)]).filter(([, value]) => value !== undefined && value !== null));
}

