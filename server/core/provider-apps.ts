// A provider config with its template, and the OAuth 2 client for it: shared by
// the connect flow and the refresh of credentials.
import type { ProviderConfigStore, ProviderConfigWithSecret } from '../db/provider-config-store.js';
import type { ProviderCatalog, ProviderTemplate } from '../providers/catalog.js';
import { interpolateConnectionParams } from '../providers/connection-params.js';
import { OAuth1Client } from '../providers/oauth1-client.js';
import { OAuth2Client, type OAuth2Endpoints } from '../providers/oauth2-client.js';
import { AppError } from './errors.js';

export interface ProviderApp {
  config: ProviderConfigWithSecret;
  template: ProviderTemplate;
}

export async function loadProviderApp(
  configs: ProviderConfigStore,
  catalog: ProviderCatalog,
  providerConfigKey: string,
  details: Record<string, string> = {},
): Promise<ProviderApp> {
  const config = await configs.getWithSecret(providerConfigKey);
  if (!config) throw new AppError('unknown_provider_config', `No provider config with key "${providerConfigKey}".`, details);
  const template = catalog.get(config.provider);
  if (!template) {
    throw new AppError('unknown_provider_template', `The template "${config.provider}" is no longer in the catalog.`, details);
  }
  return { config, template };
}

/**
 * The client for a provider app, its URLs filled from the connection params.
 * Throws ConnectionParamError or ProviderCallError (OIDC discovery).
 */
export function oauth2ClientFor(
  { config, template }: ProviderApp,
  params: Record<string, unknown>,
  timeoutSeconds: number,
  purpose: 'authorize' | 'refresh',
): Promise<OAuth2Client> {
  const app = {
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authorizationMethod: template.authorizationMethod,
    bodyFormat: template.bodyFormat,
    accessTokenPath: template.accessTokenPath,
  };
  return OAuth2Client.create(app, endpointsOf(config, template, stringParams(params), purpose), timeoutSeconds);
}

/** The OAuth 1.0a client for a provider app (client id and secret are the consumer key and secret). */
export function oauth1ClientFor({ config, template }: ProviderApp, params: Record<string, unknown>, timeoutSeconds: number): OAuth1Client {
  if (!template.oauth1 || !template.authorizationUrl || !template.tokenUrl) throw new Error(`template "${template.name}" is not OAuth 1.0a`);
  const values = stringParams(params);
  return new OAuth1Client(
    { consumerKey: config.clientId, consumerSecret: config.clientSecret },
    {
      requestUrl: interpolateConnectionParams(template.oauth1.requestUrl, values),
      authorizationUrl: interpolateConnectionParams(config.authorizationUrl ?? template.authorizationUrl, values),
      tokenUrl: interpolateConnectionParams(config.tokenUrl ?? template.tokenUrl, values),
      signatureMethod: template.oauth1.signatureMethod,
      requestParams: template.oauth1.requestParams,
      authorizationParams: template.authorizationParams,
      tokenParams: template.tokenParams,
    },
    timeoutSeconds,
  );
}

function endpointsOf(
  config: ProviderConfigWithSecret,
  template: ProviderTemplate,
  params: Record<string, string>,
  purpose: 'authorize' | 'refresh',
): OAuth2Endpoints {
  if (template.generic === 'oidc' && config.issuer) return { kind: 'oidc', issuer: config.issuer };
  const authorizationUrl = config.authorizationUrl ?? template.authorizationUrl;
  const tokenUrl = (purpose === 'refresh' ? template.refreshUrl : null) ?? config.tokenUrl ?? template.tokenUrl;
  if (!authorizationUrl || !tokenUrl) throw new Error(`provider config "${config.key}" has no endpoints`);
  return {
    kind: 'static',
    authorizationUrl: interpolateConnectionParams(authorizationUrl, params),
    tokenUrl: interpolateConnectionParams(tokenUrl, params),
  };
}

function stringParams(params: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
