// The OAuth connect flow: start (state + PKCE kept in oauth_sessions, redirect
// to the provider) and finish (consume the session once, exchange the code,
// store the connection). Who may start a flow, and what it may write, follow
// the connect policy: a connect session writes the one connection it names; the
// public key may create a connection but never replace one. A flow belongs to
// the browser that started it: finishing needs the secret its cookie carries.
// Every failure is an AppError naming the flow it ends.
import { createHash, randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import * as oidc from 'openid-client';
import type { ConnectSessionStore, EndUser } from '../db/connect-session-store.js';
import type { ConnectionStore, ConnectionValues } from '../db/connection-store.js';
import type { CapReached, FlowCaps, FlowInitiator, OAuthSession, OAuthSessionStore } from '../db/oauth-session-store.js';
import type { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog, ProviderTemplate } from '../providers/catalog.js';
import { ConnectionParamError } from '../providers/connection-params.js';
import type { OAuth1Client } from '../providers/oauth1-client.js';
import { ProviderCallError, type OAuth2Client } from '../providers/oauth2-client.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { credentialsFromTokenResponse, oauth1Credentials, serializeCredentials, type OAuth2Credentials } from './credentials.js';
import { AppError } from './errors.js';
import { checkConnectionId, checkIdentifier, checkParams, clip } from './identifiers.js';
import { silentObserver, type CoreObserver } from './observer.js';
import type { ConnectPolicy, Principal } from './principal.js';
import { checkConnectParams, loadProviderApp, oauth1ClientFor, oauth2ClientFor, type ProviderApp } from './provider-apps.js';

export type FlowIdentity = {
  providerConfigKey: string;
  connectionId: string;
};

export type StartFlowInput = FlowIdentity & {
  /** The connection config, from params[name]=value on the connect URL. */
  params: Record<string, string>;
  /** Who opens the flow: a connect session, or a page (public key, or none needed). */
  principal: Principal;
  /** For the cap on open flows per client; null when unknown. */
  clientAddress: string | null;
};

/** A flow that waits for the provider's redirect, and what the browser must bring back to end it. */
export interface StartedFlow {
  authorizationUrl: URL;
  /** Names the flow (flowStateKey() finds it again in the callback). */
  stateKey: string;
  /** The flow's cookie value: without it, no callback ends this flow. */
  browserSecret: string;
  ttlSeconds: number;
}

/** What the confirmation page names. */
export interface FlowPreview extends FlowIdentity {
  providerName: string;
  endUser: EndUser | null;
  /** What the connect page shows and asks for (an API key template's hints, the scopes an OAuth one asks). */
  template: ProviderTemplate;
  scopes: string[];
  /** The connection params given so far (the connect session's, then the link's). */
  params: Record<string, string>;
  /** The connect session a form's submission consumes; null for a flow of the `open` policy. */
  connectSessionHash: string | null;
}

/** The modes whose connections an end user makes in the connect page: a provider's authorization, or a typed key. */
export function isCodeFlow(template: Pick<ProviderTemplate, 'authMode'>): boolean {
  return template.authMode === 'OAUTH2' || template.authMode === 'OAUTH1';
}

export interface OAuthFlowOptions {
  configs: ProviderConfigStore;
  sessions: OAuthSessionStore;
  connectSessions: ConnectSessionStore;
  connections: ConnectionStore;
  catalog: ProviderCatalog;
  /** The redirect_uri registered at the providers. */
  callbackUrl: string;
  providerTimeoutSeconds: number;
  connectPolicy: ConnectPolicy;
  maxOpenFlowsPerConfig: number;
  maxOpenFlowsPerClient: number;
  /** Open flows per connect session (default 5): one end user cannot fill a shared cap. */
  maxOpenFlowsPerSession?: number;
  urlPolicy: ProviderUrlPolicy;
  /** When the scheduler should refresh new credentials of a provider's (the refresh engine's rule). */
  refreshDueAt: (credentials: OAuth2Credentials, provider: string) => Date | null;
  sessionTtlSeconds?: number;
  observer?: CoreObserver;
}

const DEFAULT_FLOWS_PER_SESSION = 5;

const INVALID_STATE = 'This authorization link is unknown, expired, already used, or was opened in another browser. Start the connection again.';

/** The key a callback's query names its flow by: the OAuth 2 state, or OAuth 1.0a's (request) token. */
export function flowStateKey(query: URLSearchParams): string | null {
  return query.get('state') ?? query.get('denied') ?? query.get('oauth_token');
}

const secretHash = (value: string) => createHash('sha256').update(value).digest('hex');

export class OAuthFlow {
  constructor(private readonly options: OAuthFlowOptions) {}

  /** Records the flow and returns the provider's authorization URL to redirect to. */
  async start(input: StartFlowInput): Promise<StartedFlow> {
    // Metric labels only for configs that exist: a visitor's made-up keys add no series.
    const known = { config: false };
    try {
      const started = await this.startFlow(input, known);
      this.observer.flow('started', input.providerConfigKey);
      return started;
    } catch (error) {
      this.observer.flow('failed', known.config ? input.providerConfigKey : 'unknown');
      throw error;
    }
  }

  /**
   * Handles the provider's redirect back: consumes the flow (only with the
   * secret of the browser that started it) and stores the connection.
   */
  async finish(query: URLSearchParams, browserSecret: string | undefined): Promise<FlowIdentity> {
    try {
      const identity = await this.finishFlow(query, browserSecret);
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

  /**
   * What a flow would connect, checked as start() checks it, for the page that
   * asks the person in front of it to go on. Null under the `open` policy,
   * where a flow starts at once (local development).
   */
  async preview(input: StartFlowInput): Promise<FlowPreview | null> {
    const known = { config: false };
    try {
      const { identity, app, initiator, endUser, params, connectSessionHash } = await this.admitted(input, known);
      const { template } = app;
      if (initiator === 'open' && isCodeFlow(template)) return null;
      if (!isCodeFlow(template) && template.authMode !== 'API_KEY' && template.authMode !== 'BASIC') {
        throw new AppError('invalid_input', `${template.displayName} (${template.authMode}) is connected by the backend with createConnection, not in a browser.`, { ...identity, field: 'providerConfigKey' });
      }
      if (initiator === 'public-key' && !isCodeFlow(template)) throw new AppError('connect_session_required', undefined, identity);
      const scopes = [...new Set([...template.defaultScopes, ...app.config.scopes])];
      // A param the config sets is not asked for again (the config's value wins anyway).
      const fromConfig = Object.fromEntries(template.connectionParams.filter((name) => app.config.params[name] !== undefined).map((name) => [name, app.config.params[name]!]));
      return { ...identity, providerName: template.displayName, endUser, template, scopes, params: { ...fromConfig, ...params }, connectSessionHash };
    } catch (error) {
      this.observer.flow('failed', known.config ? input.providerConfigKey : 'unknown');
      throw error;
    }
  }

  private async admitted(input: StartFlowInput, known: { config: boolean } = { config: false }) {
    const admitted = this.admit(input);
    const { identity, params, initiator } = admitted;
    const app = await this.loadConfig(identity);
    known.config = true;
    // The params as the template's rules allow, whoever gave them (the page, or the backend through a session).
    checkConnectParams(app, params, identity);
    if (initiator === 'public-key' && (await this.options.connections.exists(identity.providerConfigKey, identity.connectionId))) {
      throw reauthorizationNeedsSession(identity);
    }
    const endUser = input.principal.kind === 'connect-session' ? input.principal.session.endUser : null;
    return { ...admitted, app, endUser };
  }

  private async startFlow(input: StartFlowInput, known: { config: boolean }): Promise<StartedFlow> {
    const { identity, params, initiator, connectSessionHash, app } = await this.admitted(input, known);
    if (!isCodeFlow(app.template)) {
      throw new AppError('invalid_input', `${app.template.displayName} takes credentials typed into its connect page, not an authorization flow.`, { ...identity, field: 'providerConfigKey' });
    }
    // Abandoned flows leave sessions behind; each new flow sweeps the expired ones, then counts the open ones.
    await this.options.sessions.deleteExpired();
    const flow = {
      ...identity,
      connectionConfig: params,
      initiator,
      connectSessionHash,
      clientAddress: clientBucket(input.clientAddress),
      ttlSeconds: this.options.sessionTtlSeconds ?? 600,
    };
    // Refused early, before any call to the provider; then counted again, atomically, as the flow is stored.
    tooMany(await this.options.sessions.wouldReachCap(flow, this.caps), identity);
    const browserSecret = randomBytes(32).toString('base64url');
    const browserBinding = secretHash(browserSecret);
    if (app.template.oauth1) {
      const { requestToken, authorizationUrl } = await this.startOAuth1(app, params, identity);
      tooMany(await this.options.sessions.insertWithinCaps({ ...flow, state: requestToken.token, codeVerifier: null, requestTokenSecret: requestToken.tokenSecret, browserBinding }, this.caps), identity);
      return { authorizationUrl, stateKey: requestToken.token, browserSecret, ttlSeconds: flow.ttlSeconds };
    }
    const { config, template } = app;
    const client = await this.client(app, params, identity);
    const state = randomBytes(32).toString('base64url');
    const codeVerifier = template.supportsPkce ? oidc.randomPKCECodeVerifier() : null;
    tooMany(await this.options.sessions.insertWithinCaps({ ...flow, state, codeVerifier, browserBinding }, this.caps), identity);
    const scopes = [...new Set([...template.defaultScopes, ...config.scopes])];
    const authorizationUrl = client.authorizationUrl({
      redirectUri: this.options.callbackUrl,
      scope: scopes.join(template.scopeSeparator),
      state,
      codeChallenge: codeVerifier ? await oidc.calculatePKCECodeChallenge(codeVerifier) : null,
    });
    return { authorizationUrl, stateKey: state, browserSecret, ttlSeconds: flow.ttlSeconds };
  }

  /**
   * What the principal may start: a connect session, the connection it names
   * with the params the backend fixed (the page may add others, not change
   * those); a page, any connection under the `open` policy, a new one under `public-key`.
   */
  private admit(input: StartFlowInput): { identity: FlowIdentity; params: Record<string, string>; initiator: FlowInitiator; connectSessionHash: string | null } {
    const identity = { providerConfigKey: input.providerConfigKey, connectionId: input.connectionId };
    checkIdentifier('providerConfigKey', input.providerConfigKey);
    checkParams(input.params, identity);
    const { principal } = input;
    if (principal.kind === 'connect-session') {
      const { session } = principal;
      const sessionIdentity = { providerConfigKey: session.providerConfigKey, connectionId: session.connectionId };
      if (input.providerConfigKey !== session.providerConfigKey || (input.connectionId !== '' && input.connectionId !== session.connectionId)) {
        throw new AppError('invalid_connect_session', 'This connect session is for another provider config or connection.', sessionIdentity);
      }
      for (const [name, value] of Object.entries(input.params)) {
        if (name in session.params && session.params[name] !== value) {
          throw new AppError('invalid_input', `params[${name}]: fixed by the connect session`, { ...sessionIdentity, field: `params[${name}]` });
        }
      }
      return { identity: sessionIdentity, params: { ...input.params, ...session.params }, initiator: 'session', connectSessionHash: session.tokenHash };
    }
    if (principal.kind !== 'frontend') throw new AppError('internal_error', 'A flow was started by a caller that may not start one.');
    checkConnectionId(input.connectionId, identity);
    return { identity, params: input.params, initiator: this.options.connectPolicy === 'open' ? 'open' : 'public-key', connectSessionHash: null };
  }

  private get caps(): FlowCaps {
    const { maxOpenFlowsPerConfig, maxOpenFlowsPerClient, maxOpenFlowsPerSession } = this.options;
    return { perConfig: maxOpenFlowsPerConfig, perClient: maxOpenFlowsPerClient, perSession: maxOpenFlowsPerSession ?? DEFAULT_FLOWS_PER_SESSION };
  }

  private async finishFlow(query: URLSearchParams, browserSecret: string | undefined): Promise<FlowIdentity> {
    const stateKey = flowStateKey(query);
    const session = stateKey && browserSecret ? await this.options.sessions.consume(stateKey, secretHash(browserSecret)) : null;
    if (!session || session.expired) throw new AppError('invalid_state', INVALID_STATE);
    // OAuth 1.0a providers come back with oauth_token (or denied=<token>) and no state.
    if (session.requestTokenSecret) return this.finishOAuth1(query, session, session.requestTokenSecret);
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
    await this.store(session, {
      ...identity,
      credentials: serializeCredentials(credentials),
      expiresAt: credentials.expiresAt,
      refreshDueAt: this.options.refreshDueAt(credentials, config.provider),
      connectionConfig: session.connectionConfig,
      // E.g. Salesforce's instance_url (token response), QuickBooks' realmId (callback).
      metadata: {
        ...pick(template.tokenResponseMetadata, (name) => tokenResponse[name]),
        ...pick(template.redirectUriMetadata, (name) => query.get(name) ?? undefined),
      },
    });
    return identity;
  }

  /**
   * Writes what the flow authorized, as its initiator may: a connect
   * session's flow consumes the session in the same transaction (a second flow
   * with it stores nothing), a public-key flow only creates.
   */
  private async store(session: OAuthSession, values: ConnectionValues): Promise<void> {
    const identity = { providerConfigKey: values.providerConfigKey, connectionId: values.connectionId };
    const { initiator, connectSessionHash } = session;
    const policy = this.options.connectPolicy;
    // The policy may have tightened since the flow started (a restart with a secret key).
    if (initiator !== 'session' && policy === 'session') throw new AppError('connect_session_required', undefined, identity);
    if (initiator === 'session' && connectSessionHash) {
      await this.options.connections.transaction(async (transaction) => {
        const consumed = await this.options.connectSessions.consume(transaction, connectSessionHash);
        if (!consumed) {
          throw new AppError('invalid_connect_session', 'The connect session expired or was used by another authorization; nothing was stored.', identity);
        }
        await this.options.connections.write({ ...values, endUser: consumed.endUser }, 'replace', transaction);
      });
      return;
    }
    const mode = initiator === 'open' && policy === 'open' ? 'replace' : 'create-only';
    if (!(await this.options.connections.write(values, mode))) throw reauthorizationNeedsSession(identity);
  }

  private async startOAuth1(app: ProviderApp, params: Record<string, string>, identity: FlowIdentity) {
    const client = this.oauth1Client(app, params, identity);
    let requestToken;
    try {
      requestToken = await client.requestToken(this.options.callbackUrl);
    } catch (error) {
      throw providerFailure(error, identity);
    }
    const scopes = [...new Set([...app.template.defaultScopes, ...app.config.scopes])];
    return { requestToken, authorizationUrl: client.authorizationUrl(requestToken.token, scopes.length ? scopes.join(app.template.scopeSeparator) : null) };
  }

  private async finishOAuth1(query: URLSearchParams, session: OAuthSession, requestTokenSecret: string): Promise<FlowIdentity> {
    const denied = query.get('denied');
    const identity = { providerConfigKey: session.providerConfigKey, connectionId: session.connectionId };
    if (denied) throw new AppError('access_denied', 'The authorization was denied.', { ...identity, providerError: 'access_denied' });
    const verifier = query.get('oauth_verifier');
    if (!verifier) throw new AppError('missing_code', 'The provider redirected back without an oauth_verifier.', identity);
    const app = await this.loadConfig(identity);
    let accessToken;
    try {
      accessToken = await this.oauth1Client(app, session.connectionConfig, identity).accessToken(session.state, requestTokenSecret, verifier);
    } catch (error) {
      throw providerFailure(error, identity);
    }
    const credentials = oauth1Credentials(accessToken.token, accessToken.tokenSecret, accessToken.raw, new Date());
    await this.store(session, {
      ...identity,
      credentials: serializeCredentials(credentials),
      expiresAt: null,
      refreshDueAt: null,
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

/** A client as the caps count it: its address, an IPv6 client's /64 (one host holds a whole one), or one 'unknown' client for all without. */
export function clientBucket(address: string | null): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/64`);
  return `${prefix.toString()}/64`;
}

function tooMany(reached: CapReached, identity: FlowIdentity): void {
  if (!reached) return;
  const whose = { config: `for "${identity.providerConfigKey}"`, client: 'from your address', session: 'with this connect session' }[reached];
  throw new AppError('too_many_flows', `Too many authorizations are in progress ${whose}. Finish or close the open ones, or try again in a few minutes.`, identity);
}

function reauthorizationNeedsSession(identity: FlowIdentity): AppError {
  return new AppError(
    'connect_session_required',
    `The connection "${identity.connectionId}" exists already: re-authorizing it needs a connect session from your backend.`,
    identity,
  );
}

function pick(names: string[], valueOf: (name: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, valueOf(name)]).filter(([, value]) => value !== undefined && value !== null));
}

