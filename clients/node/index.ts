// The backend client: fresh tokens and connections over the typed GraphQL SDK.
// `getToken` is meant to be called right before every API call.
import type {
  ConnectionCredentialsQuery,
  CreateConnectionInput,
  CreateConnectSessionInput,
  CreateConnectSessionMutation,
  ConnectionFieldsFragment,
  ConnectionsQueryVariables,
  ConnectionHealthStatus,
  CreateProviderConfigInput,
  EventFieldsFragment,
  ProviderConfigFieldsFragment,
  ProvidersQuery,
  RevokeAndDeleteConnectionMutation,
  UpdateProviderConfigInput,
} from '../generated/sdk.js';
import { createSdk, NangoError, type ConnectionOptions, type Sdk } from './graphql-client.js';
import { proxyCall, type ProxyConfig, type ProxyResponse } from './proxy.js';

export { NangoError };
export type { ProxyConfig, ProxyMethod, ProxyResponse, ProxyResponseType } from './proxy.js';
export { verifyWebhook, type WebhookEvent, type WebhookHeaders } from './webhooks.js';
/** A connection's fresh credentials, one kind per auth mode: tell them apart by `__typename`. */
export type Credentials = ConnectionCredentialsQuery['connection']['credentials'];
/** OAuth 2 tokens: the access token, the refresh token the service keeps using, expiry, scopes, the provider's raw answer. */
export type OAuth2Credentials = Extract<Credentials, { __typename: 'OAuth2Credentials' }>;
/** OAuth 1.0a: a token and its secret (they do not expire). */
export type OAuth1Credentials = Extract<Credentials, { __typename: 'OAuth1Credentials' }>;
/** An API key an end user or your backend gave. */
export type ApiKeyCredentials = Extract<Credentials, { __typename: 'ApiKeyCredentials' }>;
/** A username and password for HTTP Basic. */
export type BasicCredentials = Extract<Credentials, { __typename: 'BasicCredentials' }>;
/** A client credentials grant's token, obtained again by the service before it expires. */
export type ClientCredentialsToken = Extract<Credentials, { __typename: 'ClientCredentialsToken' }>;
/** A GitHub App installation token, minted again by the service before its hour ends. */
export type AppCredentials = Extract<Credentials, { __typename: 'AppCredentials' }>;
/** A connection without its credentials: identity, config params, metadata, health and last refreshes. */
export type Connection = ConnectionFieldsFragment;
/** Whether a connection keeps its tokens fresh by itself, since when, and why not. */
export type ConnectionHealth = Connection['health'];
/** HEALTHY, REFRESH_FAILING (retried with a backoff) or NEEDS_REAUTH (the end user must connect again). */
export type { ConnectionHealthStatus };
/** A registered provider config (never its client secret or private key). */
export type ProviderConfig = ProviderConfigFieldsFragment;
/** A template of the catalog: its auth mode, category, endpoints, params and docs. */
export type ProviderTemplate = ProvidersQuery['providers'][number];
/** A connect session: its token for the end user's browser, when it expires, and its connect URL. */
export type ConnectSession = CreateConnectSessionMutation['createConnectSession'];
/** What a deletion did at the provider (revoked, or why not). */
export type DeleteConnectionResult = RevokeAndDeleteConnectionMutation['revokeAndDeleteConnection'];
/** A change to a connection or provider config (connection.created, connection.needs_reauth, ...). */
export type ConnectionEvent = EventFieldsFragment;

/** Which events to list or follow. */
export interface EventFilter {
  /** Only these types, e.g. ['connection.needs_reauth']; none: all. */
  types?: string[] | undefined;
  providerConfigKey?: string | undefined;
  connectionId?: string | undefined;
}

/** How deleteConnection treats the grant at the provider. */
export interface DeleteConnectionOptions {
  /** Revoke the grant at the provider first (RFC 7009); if that fails, the connection is kept and the call throws (revocation_failed, revocation_unsupported). */
  revoke?: boolean | undefined;
  /** With revoke: delete even when the revocation failed; the failure is in the result's revocationError. */
  force?: boolean | undefined;
}

/** Where the service is and the key it takes. */
export interface NangoOptions {
  /** Default http://localhost:3003. */
  host?: string | undefined;
  /** The server's NANGO_SECRET_KEY, sent as a Bearer token (needed whenever the server has one). */
  secretKey?: string | undefined;
}

/** A page of connections, newest first. */
export interface ConnectionPage {
  connections: Connection[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** The backend client: every call is one GraphQL operation of the generated SDK; failures are NangoError. */
export class Nango {
  private readonly sdk: Sdk;
  private readonly connection: ConnectionOptions;

  constructor(options: NangoOptions = {}) {
    this.connection = { host: options.host ?? 'http://localhost:3003', secretKey: options.secretKey };
    this.sdk = createSdk(this.connection);
  }

  /** The fresh credentials of a connection, refreshed first when they are near expiry. */
  async getCredentials(providerConfigKey: string, connectionId: string, forceRefresh = false): Promise<Credentials> {
    const { connection } = await this.sdk.ConnectionCredentials({ providerConfigKey, connectionId, forceRefresh });
    return connection.credentials;
  }

  /**
   * The access token (OAuth 2, client credentials, GitHub App), the token and its secret (OAuth 1), the
   * API key, or the username and password (Basic). Ask right before each API call.
   */
  async getToken(
    providerConfigKey: string,
    connectionId: string,
    forceRefresh = false,
  ): Promise<string | { oAuthToken: string; oAuthTokenSecret: string } | { username: string; password: string }> {
    const credentials = await this.getCredentials(providerConfigKey, connectionId, forceRefresh);
    switch (credentials.__typename) {
      case 'OAuth1Credentials':
        return { oAuthToken: credentials.oauthToken, oAuthTokenSecret: credentials.oauthTokenSecret };
      case 'ApiKeyCredentials':
        return credentials.apiKey;
      case 'BasicCredentials':
        return { username: credentials.username, password: credentials.password };
      case 'OAuth2Credentials':
      case 'AppCredentials':
        return credentials.accessToken;
      case 'ClientCredentialsToken':
        return credentials.token;
    }
  }

  /** The provider's latest token response, as it came (e.g. Salesforce's instance_url); {} for an API key or Basic credentials. */
  async getRawTokenResponse(providerConfigKey: string, connectionId: string): Promise<Record<string, unknown>> {
    const credentials = await this.getCredentials(providerConfigKey, connectionId);
    return 'raw' in credentials ? (credentials.raw as Record<string, unknown>) : {};
  }

  /** A connection without its credentials: config, metadata, health, last refresh. */
  async getConnection(providerConfigKey: string, connectionId: string): Promise<Connection> {
    return (await this.sdk.Connection({ providerConfigKey, connectionId })).connection;
  }

  /**
   * Whether the connection keeps its tokens fresh by itself: HEALTHY, REFRESH_FAILING (retried at
   * nextAttemptAt) or NEEDS_REAUTH (have the end user connect again, with a new connect session).
   */
  async health(providerConfigKey: string, connectionId: string): Promise<ConnectionHealth> {
    return (await this.getConnection(providerConfigKey, connectionId)).health;
  }

  /** A page of connections; `health: 'NEEDS_REAUTH'` lists those whose end user must connect again. */
  async listConnections(options: ConnectionsQueryVariables = {}): Promise<ConnectionPage> {
    const { connections } = await this.sdk.Connections(options);
    return { connections: connections.nodes, nextCursor: connections.pageInfo.hasNextPage ? connections.pageInfo.endCursor : null };
  }

  /**
   * Lets one end user's browser authorize one connection: pass the token to the
   * frontend SDK (`nango.auth(configKey, connectionId, { sessionToken })`).
   */
  async createConnectSession(input: CreateConnectSessionInput): Promise<ConnectSession> {
    return (await this.sdk.CreateConnectSession({ input })).createConnectSession;
  }

  /**
   * A connection from credentials your backend holds: `apiKey` (API_KEY templates), `username` and
   * `password` (BASIC), `installationId` (APP), nothing for client credentials (the token is obtained
   * at once). The template's check request proves a key first: a refusal throws credentials_rejected.
   */
  async createConnection(input: CreateConnectionInput): Promise<Connection> {
    return (await this.sdk.CreateConnection({ input })).createConnection;
  }

  async deleteConnection(providerConfigKey: string, connectionId: string, options: DeleteConnectionOptions = {}): Promise<DeleteConnectionResult> {
    if (options.revoke) {
      const force = options.force ?? false;
      return (await this.sdk.RevokeAndDeleteConnection({ providerConfigKey, connectionId, force })).revokeAndDeleteConnection;
    }
    await this.sdk.DeleteConnection({ providerConfigKey, connectionId });
    return { deleted: true, revoked: false, revocationError: null };
  }

  async listProviderConfigs(): Promise<ProviderConfig[]> {
    return (await this.sdk.ProviderConfigs()).providerConfigs;
  }

  async getProviderConfig(key: string): Promise<ProviderConfig> {
    return (await this.sdk.ProviderConfig({ key })).providerConfig;
  }

  async createProviderConfig(input: CreateProviderConfigInput): Promise<ProviderConfig> {
    return (await this.sdk.CreateProviderConfig({ input })).createProviderConfig;
  }

  async updateProviderConfig(input: UpdateProviderConfigInput): Promise<ProviderConfig> {
    return (await this.sdk.UpdateProviderConfig({ input })).updateProviderConfig;
  }

  async deleteProviderConfig(key: string): Promise<void> {
    await this.sdk.DeleteProviderConfig({ key });
  }

  async listProviders(search?: string): Promise<ProviderTemplate[]> {
    return (await this.sdk.Providers({ search })).providers;
  }

  /** Events oldest first: after an event id, those that followed it; without `after`, the latest `first` (1-100). */
  async listEvents(options: EventFilter & { after?: string | undefined; first?: number | undefined } = {}): Promise<{ events: ConnectionEvent[]; endCursor: string | null }> {
    const { events } = await this.sdk.Events(options);
    return { events: events.nodes, endCursor: events.pageInfo.endCursor };
  }

  /**
   * Events as they happen, on any instance of the service:
   * `for await (const event of nango.connectionEvents({ types: ['connection.needs_reauth'] })) …`.
   * Leaving the loop (or `signal`) closes the subscription. If it falls more than 10,000 events behind, it
   * throws NangoError subscriber_too_slow: subscribe again and read the missed ones with listEvents({ after }).
   */
  async *connectionEvents(filter: EventFilter = {}, options: { signal?: AbortSignal | undefined } = {}): AsyncGenerator<ConnectionEvent, void, undefined> {
    for await (const result of this.sdk.ConnectionEvents(filter, options)) yield result.connectionEvents;
  }

  /**
   * A call to the provider's API for one connection, through the service, which places the
   * connection's fresh credentials (and refreshes them once if the API refuses them):
   * `await nango.proxy<Repo[]>({ endpoint: '/user/repos', providerConfigKey: 'github', connectionId: 'user-42', params: { per_page: 5 } })`.
   * The provider's answer resolves whatever its status (a 404 is `status: 404`); the service's
   * own refusals throw NangoError (unknown_connection, provider_unreachable, provider_timeout, ...).
   */
  proxy<T = unknown>(config: ProxyConfig): Promise<ProxyResponse<T>> {
    return proxyCall<T>(this.connection, config);
  }

  /** proxy() with GET. */
  get<T = unknown>(config: Omit<ProxyConfig, 'method'>): Promise<ProxyResponse<T>> {
    return this.proxy<T>({ ...config, method: 'GET' });
  }

  /** proxy() with POST. */
  post<T = unknown>(config: Omit<ProxyConfig, 'method'>): Promise<ProxyResponse<T>> {
    return this.proxy<T>({ ...config, method: 'POST' });
  }

  /** proxy() with PUT. */
  put<T = unknown>(config: Omit<ProxyConfig, 'method'>): Promise<ProxyResponse<T>> {
    return this.proxy<T>({ ...config, method: 'PUT' });
  }

  /** proxy() with PATCH. */
  patch<T = unknown>(config: Omit<ProxyConfig, 'method'>): Promise<ProxyResponse<T>> {
    return this.proxy<T>({ ...config, method: 'PATCH' });
  }

  /** proxy() with DELETE. */
  delete<T = unknown>(config: Omit<ProxyConfig, 'method'>): Promise<ProxyResponse<T>> {
    return this.proxy<T>({ ...config, method: 'DELETE' });
  }
}
