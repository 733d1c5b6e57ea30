// Credentials: the fresh tokens of a connection. Reading Connection.credentials
// refreshes them first when they are near expiry.
import type { ApiKeyCredentials, AppCredentials, BasicCredentials, ClientCredentialsToken, Credentials, OAuth1Credentials, OAuth2Credentials } from '../server/core/credentials.js';
import { builder } from './builder.js';
import { ConnectionRef, fromWhole } from './connection.js';

const OAuth2CredentialsRef = builder.objectRef<OAuth2Credentials>('OAuth2Credentials').implement({
  fields: (t) => ({
    accessToken: t.exposeString('accessToken'),
    refreshToken: t.exposeString('refreshToken', { nullable: true }),
    tokenType: t.exposeString('tokenType', { nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'Null when the provider gave no expiry.' }),
    scopes: t.exposeStringList('scopes', { description: 'The scopes granted.' }),
    raw: t.expose('raw', { type: 'JSON', description: "The provider's latest token response." }),
  }),
});

const OAuth1CredentialsRef = builder.objectRef<OAuth1Credentials>('OAuth1Credentials').implement({
  fields: (t) => ({
    oauthToken: t.exposeString('oauthToken'),
    oauthTokenSecret: t.exposeString('oauthTokenSecret'),
    raw: t.expose('raw', { type: 'JSON' }),
  }),
});

const ApiKeyCredentialsRef = builder.objectRef<ApiKeyCredentials>('ApiKeyCredentials').implement({
  description: 'An API key: it does not expire here (it is revoked where it was issued).',
  fields: (t) => ({
    apiKey: t.exposeString('apiKey'),
  }),
});

const BasicCredentialsRef = builder.objectRef<BasicCredentials>('BasicCredentials').implement({
  description: 'A username and password for HTTP Basic authentication.',
  fields: (t) => ({
    username: t.exposeString('username'),
    password: t.exposeString('password', { description: 'Empty for APIs that take a key as the username and no password.' }),
  }),
});

const ClientCredentialsTokenRef = builder.objectRef<ClientCredentialsToken>('ClientCredentialsToken').implement({
  description: 'A token of the OAuth 2 client credentials grant, obtained by the service from the config\'s token URL and obtained again before it expires.',
  fields: (t) => ({
    token: t.exposeString('token'),
    tokenType: t.exposeString('tokenType', { nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'Null when the provider gave no expiry.' }),
    scopes: t.exposeStringList('scopes'),
    raw: t.expose('raw', { type: 'JSON', description: "The provider's latest token response." }),
  }),
});

const AppCredentialsRef = builder.objectRef<AppCredentials>('AppCredentials').implement({
  description: 'A GitHub App installation access token, minted with the app\'s key and minted again before its hour ends.',
  fields: (t) => ({
    accessToken: t.exposeString('accessToken'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    raw: t.expose('raw', { type: 'JSON', description: "GitHub's answer (permissions, repository selection)." }),
  }),
});

/** Each kind of credentials by its type (the compiler holds this to every kind). */
const CREDENTIAL_REFS = {
  OAUTH2: OAuth2CredentialsRef,
  OAUTH1: OAuth1CredentialsRef,
  API_KEY: ApiKeyCredentialsRef,
  BASIC: BasicCredentialsRef,
  OAUTH2_CC: ClientCredentialsTokenRef,
  APP: AppCredentialsRef,
} satisfies Record<Credentials['type'], unknown>;

const CredentialsRef = builder.unionType('Credentials', {
  types: Object.values(CREDENTIAL_REFS),
  resolveType: (credentials) => CREDENTIAL_REFS[credentials.type],
});

const RefreshFailureRef = builder
  .objectRef<{ at: Date; code: string; description: string | null }>('RefreshFailure')
  .implement({
    fields: (t) => ({
      at: t.expose('at', { type: 'DateTime' }),
      code: t.exposeString('code', { description: "The provider's error code, e.g. invalid_grant." }),
      description: t.exposeString('description', { nullable: true }),
    }),
  });

builder.objectFields(ConnectionRef, (t) => ({
  credentials: t.field({
    type: CredentialsRef,
    description:
      'Fresh credentials: refreshed first when they expire within the refresh window (exactly once, across instances). ' +
      'Fails with refresh_failed, carrying the provider error code, when the provider refuses.',
    args: { forceRefresh: t.arg.boolean({ defaultValue: false }) },
    resolve: async (source, { forceRefresh }, { core }) => {
      const { providerConfigKey, connectionId } = source.shape === 'whole' ? source.connection : source.summary;
      // The row Query.connection read, when it read one: a token read stays one query.
      const row = source.shape === 'whole' ? source.row : undefined;
      return (await core.freshCredentials.get(providerConfigKey, connectionId, forceRefresh ?? false, row)).credentials;
    },
  }),
  lastRefreshSuccess: t.field({
    type: 'DateTime',
    nullable: true,
    resolve: fromWhole((connection) => connection.lastRefreshSuccessAt),
  }),
  lastRefreshFailure: t.field({
    type: RefreshFailureRef,
    nullable: true,
    description: 'The last failed refresh, cleared by the next successful one.',
    resolve: fromWhole((connection) =>
      connection.lastRefreshFailureAt && connection.lastRefreshFailureCode
        ? { at: connection.lastRefreshFailureAt, code: connection.lastRefreshFailureCode, description: connection.lastRefreshFailureDescription }
        : null,
    ),
  }),
}));
