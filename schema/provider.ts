// ProviderTemplate: an entry of the provider catalog, and Query.providers.
import type { ProviderTemplate } from '../server/providers/catalog.js';
import { builder } from './builder.js';

export const ProviderTemplateRef = builder.objectRef<ProviderTemplate>('ProviderTemplate').implement({
  description: 'A provider template from the catalog: what the service knows about an OAuth provider.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The template name to give when creating a provider config.' }),
    displayName: t.exposeString('displayName'),
    authMode: t.exposeString('authMode', { description: 'OAUTH2 (OAUTH1 arrives later).' }),
    authorizationUrl: t.exposeString('authorizationUrl', {
      nullable: true,
      description: 'Null for the generic templates (custom, oidc), whose configs give their own endpoints.',
    }),
    tokenUrl: t.exposeString('tokenUrl', { nullable: true }),
    scopeSeparator: t.exposeString('scopeSeparator'),
    defaultScopes: t.exposeStringList('defaultScopes'),
    supportsPkce: t.exposeBoolean('supportsPkce'),
    docsUrl: t.exposeString('docsUrl', { nullable: true }),
    connectionParams: t.exposeStringList('connectionParams', {
      description: 'Connection params an end user gives at connect time as params[name] (e.g. subdomain); each is one host label under the template\'s domain, one of its listed values, or a path segment.',
    }),
    configParams: t.exposeStringList('configParams', {
      description: 'Connection params only the provider config sets (params in createProviderConfig, --param on the CLI), e.g. a self-managed hostname.',
    }),
  }),
});

builder.queryField('providers', (t) =>
  t.field({
    type: [ProviderTemplateRef],
    description: 'The provider catalog, sorted by name. `search` matches the name or display name.',
    args: { search: t.arg.string() },
    resolve: (_root, { search }, { core }) => core.catalog.list(search ?? undefined),
  }),
);
