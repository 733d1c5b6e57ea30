// ProviderTemplate: an entry of the provider catalog, and Query.providers.
import { AUTH_MODES, CATEGORIES, type ApiKeyPlacement, type BasicHints, type CredentialCheck, type ProviderTemplate } from '../server/providers/catalog.js';
import { builder } from './builder.js';

export const AuthModeEnum = builder.enumType('AuthMode', {
  description: 'How an API authenticates: the OAuth 2 or OAuth 1.0a code flow, an API key, HTTP Basic, OAuth 2 client credentials, or a GitHub App installation.',
  values: AUTH_MODES,
});

// GraphQL enum values cannot hold "-": DEV_TOOLS stands for the catalog's dev-tools.
export const ProviderCategoryEnum = builder.enumType('ProviderCategory', {
  description: 'What an API is about, as the catalog sorts it.',
  values: Object.fromEntries(CATEGORIES.map((category) => [category.toUpperCase().replace(/-/g, '_'), { value: category }])) as Record<string, { value: (typeof CATEGORIES)[number] }>,
});

export const ApiKeyPlacementRef = builder.objectRef<ApiKeyPlacement>('ApiKeyPlacement').implement({
  description: 'Where an API wants its key.',
  fields: (t) => ({
    in: t.exposeString('in', { description: 'header or query.' }),
    name: t.exposeString('name', { description: 'The header or query parameter name.' }),
    format: t.exposeString('format', { description: 'The value sent, ${apiKey} standing for the key (e.g. "Bearer ${apiKey}").' }),
  }),
});

const BasicHintsRef = builder.objectRef<BasicHints>('BasicCredentialHints').implement({
  description: "What a Basic template's username and password are, in the API's own terms.",
  fields: (t) => ({
    usernameHint: t.exposeString('usernameHint'),
    passwordHint: t.exposeString('passwordHint'),
    passwordOptional: t.exposeBoolean('passwordOptional', { description: 'The API takes a key as the username and ignores the password.' }),
  }),
});

const CredentialCheckRef = builder.objectRef<CredentialCheck>('CredentialCheck').implement({
  description: 'The request that proves an API key or password before it is stored (401 or 403: credentials_rejected).',
  fields: (t) => ({
    method: t.exposeString('method'),
    path: t.exposeString('path', { description: 'Relative to the base URL.' }),
  }),
});

export const ProviderTemplateRef = builder.objectRef<ProviderTemplate>('ProviderTemplate').implement({
  description: 'A provider template from the catalog: what the service knows about an API and how it authenticates.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The template name to give when creating a provider config.' }),
    displayName: t.exposeString('displayName'),
    authMode: t.field({ type: AuthModeEnum, resolve: (template) => template.authMode }),
    category: t.field({ type: ProviderCategoryEnum, resolve: (template) => template.category }),
    authorizationUrl: t.exposeString('authorizationUrl', {
      nullable: true,
      description: 'Null for the generic templates, whose configs give their own endpoints, and for the modes without a code flow.',
    }),
    tokenUrl: t.exposeString('tokenUrl', { nullable: true }),
    baseUrl: t.string({ nullable: true, description: 'Where the API is called, with ${connectionConfig.params.x} placeholders; null when the config gives it.', resolve: (template) => template.proxy?.baseUrl ?? null }),
    scopeSeparator: t.exposeString('scopeSeparator'),
    defaultScopes: t.exposeStringList('defaultScopes'),
    supportsPkce: t.exposeBoolean('supportsPkce'),
    docsUrl: t.exposeString('docsUrl', { nullable: true }),
    connectionParams: t.exposeStringList('connectionParams', {
      description: "Connection params given per connection (params[name] at connect time, params in createConnection), e.g. subdomain; each is one host label under the template's domain, one of its listed values, or a path segment.",
    }),
    configParams: t.exposeStringList('configParams', {
      description: 'Connection params only the provider config sets (params in createProviderConfig, --param on the CLI), e.g. a self-managed hostname.',
    }),
    apiKey: t.field({ type: ApiKeyPlacementRef, nullable: true, description: 'API_KEY templates: where the key goes.', resolve: (template) => template.apiKey }),
    basic: t.field({ type: BasicHintsRef, nullable: true, description: 'BASIC templates: what to ask the end user for.', resolve: (template) => template.basic }),
    check: t.field({ type: CredentialCheckRef, nullable: true, resolve: (template) => template.check }),
  }),
});

builder.queryField('providers', (t) =>
  t.field({
    type: [ProviderTemplateRef],
    description: 'The provider catalog, sorted by name. `search` matches the name or display name; `authMode` and `category` keep only theirs.',
    args: { search: t.arg.string(), authMode: t.arg({ type: AuthModeEnum }), category: t.arg({ type: ProviderCategoryEnum }) },
    resolve: (_root, { search, authMode, category }, { core }) => core.catalog.list({ search, authMode, category }),
  }),
);
