// ProviderConfig: a registered OAuth app (or API key template, or GitHub App),
// with its queries and mutations. The client secret and a GitHub App's private
// key are write-only: input fields, never outputs.
import type { ProviderConfig } from '../server/core/provider-configs.js';
import { builder } from './builder.js';
import { ApiKeyPlacementRef, AuthModeEnum } from './provider.js';

export const ProviderConfigRef = builder.objectRef<ProviderConfig>('ProviderConfig').implement({
  description: 'A registered OAuth app (a key, a provider template, client id and scopes), API key or Basic template, or GitHub App. The client secret and private key are never returned.',
  fields: (t) => ({
    key: t.exposeString('key'),
    provider: t.exposeString('provider', { description: 'The provider template name.' }),
    authMode: t.field({ type: AuthModeEnum, description: "The template's auth mode.", resolve: (config) => config.authMode }),
    clientId: t.exposeString('clientId', { nullable: true, description: 'Null for API_KEY, BASIC and APP templates.' }),
    appId: t.exposeString('appId', { nullable: true, description: "A GitHub App's id (APP templates)." }),
    baseUrl: t.exposeString('baseUrl', { nullable: true, description: "Where the API is called: the config's own, else the template's (with its ${connectionConfig.params.x} placeholders)." }),
    apiKeyPlacement: t.field({
      type: ApiKeyPlacementRef,
      nullable: true,
      description: "API_KEY templates: where the API takes the key (a custom-api-key config's own, else the template's); null for the other modes.",
      resolve: (config) => config.apiKeyPlacement,
    }),
    proxyAllowedHosts: t.exposeStringList('proxyAllowedHosts', {
      description: "Hosts (host or host:port) besides the base URL's to which /proxy may send this config's credentials, when a call names one with Base-Url-Override.",
    }),
    scopes: t.exposeStringList('scopes'),
    authorizationUrl: t.exposeString('authorizationUrl', {
      nullable: true,
      description: "Effective authorization endpoint: the config's own, else the template's.",
    }),
    tokenUrl: t.exposeString('tokenUrl', { nullable: true, description: "Effective token endpoint: the config's own, else the template's." }),
    issuer: t.exposeString('issuer', { nullable: true, description: 'The OpenID issuer (oidc template only).' }),
    params: t.expose('params', {
      type: 'StringMap',
      description: "Connection params set by the secret-key holder (e.g. a self-managed hostname); they win over an end user's.",
    }),
    authorizationParams: t.expose('authorizationParams', { type: 'StringMap', description: "Merged over the template's authorization request params." }),
    tokenParams: t.expose('tokenParams', { type: 'StringMap', description: "Merged over the template's token request params (the code exchange)." }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    connectionCount: t.int({
      description: 'Its connections now: what deleteProviderConfig deletes with it (and their connect sessions).',
      resolve: (config, _args, { core }) => core.connections.countFor(config.key),
    }),
  }),
});

/** The params a config adds to its template's: the same input on create and update. */
const INPUT_DESCRIPTIONS = {
  params: 'Connection params only the secret-key holder may set: whole hosts (gitlab-self-managed, keycloak, jira-data-center: hostname). Values pass the URL policy.',
  authorizationParams: 'Extra authorization request params, e.g. { "prompt": "consent" }. Protocol params (state, redirect_uri, ...) are refused.',
  tokenParams: 'Extra token request params for the code exchange, e.g. { "audience": "..." }.',
  apiKeyPlacement: 'custom-api-key only: where the API takes the key (default: Authorization: Bearer <key>). Used by the check request and the proxy.',
  proxyAllowedHosts: "Hosts (host or host:port, e.g. uploads.github.com) besides the base URL's to which /proxy may send this config's credentials when a call names one with Base-Url-Override. Each passes the URL policy.",
};

const ApiKeyPlacementInput = builder.inputType('ApiKeyPlacementInput', {
  description: 'Where an API takes its key: a header or a query parameter, and the value sent.',
  fields: (t) => ({
    in: t.string({ required: true, description: 'header or query.' }),
    name: t.string({ required: true, description: 'The header or query parameter name, e.g. X-API-Key.' }),
    format: t.string({ description: 'The value sent, ${apiKey} standing for the key, e.g. "Token ${apiKey}". Default: "${apiKey}".' }),
  }),
});

const CreateProviderConfigInput = builder.inputType('CreateProviderConfigInput', {
  fields: (t) => ({
    key: t.string({ required: true, description: 'Your unique key for this config, e.g. "github".' }),
    provider: t.string({ required: true, description: 'A template name from Query.providers, e.g. "github".' }),
    clientId: t.string({ description: 'Required for OAUTH2, OAUTH1 and OAUTH2_CC templates; refused for the others.' }),
    clientSecret: t.string({ description: 'Required with clientId. Stored (sealed when a key is set), never returned.' }),
    appId: t.string({ description: 'APP templates: the GitHub App id.' }),
    privateKey: t.string({ description: "APP templates: the app's private key, PEM as GitHub downloads it. Stored sealed, never returned." }),
    scopes: t.stringList({ description: 'OAuth scopes (OAUTH2, OAUTH1, OAUTH2_CC).' }),
    authorizationUrl: t.string({ description: 'Required for the custom template; overrides the template otherwise.' }),
    tokenUrl: t.string({ description: 'Required for the custom and custom-oauth2-cc templates; overrides the template otherwise.' }),
    issuer: t.string({ description: 'Required for the oidc template: endpoints come from OpenID discovery.' }),
    baseUrl: t.string({ description: "Required for custom-api-key and custom-basic (where credentials are checked and the API is called); overrides the template's otherwise (e.g. a GitHub Enterprise Server API)." }),
    proxyAllowedHosts: t.stringList({ description: INPUT_DESCRIPTIONS.proxyAllowedHosts }),
    apiKeyPlacement: t.field({ type: ApiKeyPlacementInput, description: INPUT_DESCRIPTIONS.apiKeyPlacement }),
    params: t.field({ type: 'StringMap', description: INPUT_DESCRIPTIONS.params }),
    authorizationParams: t.field({ type: 'StringMap', description: INPUT_DESCRIPTIONS.authorizationParams }),
    tokenParams: t.field({ type: 'StringMap', description: INPUT_DESCRIPTIONS.tokenParams }),
  }),
});

const UpdateProviderConfigInput = builder.inputType('UpdateProviderConfigInput', {
  description: 'Fields left out keep their value.',
  fields: (t) => ({
    key: t.string({ required: true, description: 'The key of the config to change.' }),
    provider: t.string(),
    clientId: t.string(),
    clientSecret: t.string(),
    appId: t.string(),
    privateKey: t.string(),
    scopes: t.stringList(),
    authorizationUrl: t.string(),
    tokenUrl: t.string(),
    issuer: t.string(),
    baseUrl: t.string(),
    proxyAllowedHosts: t.stringList({ description: INPUT_DESCRIPTIONS.proxyAllowedHosts }),
    apiKeyPlacement: t.field({ type: ApiKeyPlacementInput, description: INPUT_DESCRIPTIONS.apiKeyPlacement }),
    params: t.field({ type: 'StringMap', description: INPUT_DESCRIPTIONS.params }),
    authorizationParams: t.field({ type: 'StringMap', description: INPUT_DESCRIPTIONS.authorizationParams }),
    tokenParams: t.field({ type: 'StringMap', description: INPUT_DESCRIPTIONS.tokenParams }),
  }),
});

builder.queryField('providerConfigs', (t) =>
  t.field({
    type: [ProviderConfigRef],
    description: 'Every provider config, sorted by key.',
    resolve: (_root, _args, { core }) => core.providerConfigs.list(),
  }),
);

builder.queryField('providerConfig', (t) =>
  t.field({
    type: ProviderConfigRef,
    description: 'One provider config; fails with unknown_provider_config when there is none with this key.',
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, { key }, { core }) => core.providerConfigs.get(key),
  }),
);

builder.mutationField('createProviderConfig', (t) =>
  t.field({
    type: ProviderConfigRef,
    args: { input: t.arg({ type: CreateProviderConfigInput, required: true }) },
    resolve: (_root, { input }, { core }) => core.providerConfigs.create(input),
  }),
);

builder.mutationField('updateProviderConfig', (t) =>
  t.field({
    type: ProviderConfigRef,
    args: { input: t.arg({ type: UpdateProviderConfigInput, required: true }) },
    resolve: (_root, { input }, { core }) =>
      core.providerConfigs.update({
        key: input.key,
        provider: input.provider ?? undefined,
        clientId: input.clientId ?? undefined,
        clientSecret: input.clientSecret ?? undefined,
        appId: input.appId ?? undefined,
        privateKey: input.privateKey ?? undefined,
        scopes: input.scopes ?? undefined,
        authorizationUrl: input.authorizationUrl,
        tokenUrl: input.tokenUrl,
        issuer: input.issuer,
        baseUrl: input.baseUrl,
        proxyAllowedHosts: input.proxyAllowedHosts ?? undefined,
        apiKeyPlacement: input.apiKeyPlacement,
        params: input.params ?? undefined,
        authorizationParams: input.authorizationParams ?? undefined,
        tokenParams: input.tokenParams ?? undefined,
      }),
  }),
);

builder.mutationField('deleteProviderConfig', (t) =>
  t.boolean({
    description: 'Deletes a provider config; fails with unknown_provider_config when there is none with this key.',
    args: { key: t.arg.string({ required: true }) },
    resolve: async (_root, { key }, { core }) => {
      await core.providerConfigs.delete(key);
      return true;
    },
  }),
);
