// Credentials: the fresh tokens of a connection. Reading Connection.credentials
// refreshes them first when they are near expiry.
import type { ApiKeyCredentials, BasicCredentials, Credentials, OAuth1Credentials, OAuth2Credentials } from '../server/core/credentials.js';
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

/** Each kind of credentials by its type (the compiler holds this to every kind). */
const CREDENTIAL_REFS = {
  OAUTH2: OAuth2CredentialsRef,
  OAUTH1: OAuth1CredentialsRef,
  API_KEY: ApiKeyCredentialsRef,
  BASIC: BasicCredentialsRef,
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
