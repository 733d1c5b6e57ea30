// ProviderConfig: a registered OAuth app, with its queries and mutations.
// The client secret is write-only: it is an input field and never an output.
import type { ProviderConfig } from '../server/core/provider-configs.js';
import { builder } from './builder.js';

export const ProviderConfigRef = builder.objectRef<ProviderConfig>('ProviderConfig').implement({
  description: 'A registered OAuth app: a key, a provider template, client id and scopes. The client secret is never returned.',
  fields: (t) => ({
    key: t.exposeString('key'),
    provider: t.exposeString('provider', { description: 'The provider template name.' }),
    clientId: t.exposeString('clientId'),
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
  }),
});

/** The params a config adds to its template's: the same input on create and update. */
const INPUT_DESCRIPTIONS = {
  params: 'Connection params only the secret-key holder may set: whole hosts (gitlab-self-managed, keycloak, jira-data-center: hostname). Values pass the URL policy.',
  authorizationParams: 'Extra authorization request params, e.g. { "prompt": "consent" }. Protocol params (state, redirect_uri, ...) are refused.',
  tokenParams: 'Extra token request params for the code exchange, e.g. { "audience": "..." }.',
};

const CreateProviderConfigInput = builder.inputType('CreateProviderConfigInput', {
  fields: (t) => ({
    key: t.string({ required: true, description: 'Your unique key for this config, e.g. "github".' }),
    provider: t.string({ required: true, description: 'A template name from Query.providers, e.g. "github".' }),
    clientId: t.string({ required: true }),
    clientSecret: t.string({ required: true, description: 'Stored, never returned.' }),
    scopes: t.stringList({ required: true }),
    authorizationUrl: t.string({ description: 'Required for the custom template; overrides the template otherwise.' }),
    tokenUrl: t.string({ description: 'Required for the custom template; overrides the template otherwise.' }),
    issuer: t.string({ description: 'Required for the oidc template: endpoints come from OpenID discovery.' }),
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
    scopes: t.stringList(),
    authorizationUrl: t.string(),
    tokenUrl: t.string(),
    issuer: t.string(),
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
        scopes: input.scopes ?? undefined,
        authorizationUrl: input.authorizationUrl,
        tokenUrl: input.tokenUrl,
        issuer: input.issuer,
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
