// A provider config with its template, and the OAuth clients for it: shared by
// the connect flow and the refresh of credentials. The config's own params and
// authorization/token params are merged over the template's here, and every
// URL the clients will call passes the URL policy.
import type { ProviderConfigStore, ProviderConfigWithSecret } from '../db/provider-config-store.js';
import type { ProviderCatalog, ProviderTemplate } from '../providers/catalog.js';
import { checkVisitorParams, ConnectionParamError, effectiveParams, interpolateConnectionParams } from '../providers/connection-params.js';
import { OAuth1Client } from '../providers/oauth1-client.js';
import { discoveredRevocationEndpoint, OAuth2Client, type OAuth2Endpoints } from '../providers/oauth2-client.js';
import { checkProviderUrl, ProviderUrlRefused, type ProviderUrlPolicy } from '../providers/url-policy.js';
import { AppError } from './errors.js';
import { clip } from './identifiers.js';

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

const MAX_CACHED_APPS = 1_000;

/**
 * Provider apps (client secret opened) by config key, kept while the config's
 * updated_at is unchanged: a storm of refreshes or proxied calls of one config
 * reads and decrypts it once, and an edit is seen by the next call.
 */
export class ProviderApps {
  private readonly apps = new Map<string, { updatedAt: number; app: Promise<ProviderApp> }>();

  constructor(
    private readonly configs: ProviderConfigStore,
    private readonly catalog: ProviderCatalog,
  ) {}

  /** The app of `providerConfigKey` as of its config's `updatedAt` (milliseconds, read with the connection). */
  get(providerConfigKey: string, updatedAt: number): Promise<ProviderApp> {
    const cached = this.apps.get(providerConfigKey);
    if (cached && cached.updatedAt === updatedAt) return cached.app;
    if (this.apps.size >= MAX_CACHED_APPS) this.apps.clear();
    const app = loadProviderApp(this.configs, this.catalog, providerConfigKey);
    this.apps.set(providerConfigKey, { updatedAt, app });
    // A failed load is not kept: the next call tries again.
    app.catch(() => {
      if (this.apps.get(providerConfigKey)?.app === app) this.apps.delete(providerConfigKey);
    });
    return app;
  }
}

/**
 * Refuses the connection params a visitor of /oauth/connect may not give (a
 * whole host, a value outside its rule), naming the param: what a visitor
 * chooses must never choose where the client secret goes.
 */
export function checkConnectParams({ config, template }: ProviderApp, params: Record<string, string>, details: Record<string, string> = {}): void {
  try {
    checkVisitorParams(template.paramRules, params, config.params);
  } catch (error) {
    throw refusal(error, details);
  }
}

/**
 * The client for a provider app, its URLs filled from the connection params
 * (the config's win) and checked against the URL policy. Throws AppError for
 * params and refused URLs, ProviderCallError for OIDC discovery.
 */
export async function oauth2ClientFor(
  { config, template }: ProviderApp,
  params: Record<string, unknown>,
  timeoutSeconds: number,
  purpose: 'authorize' | 'refresh' | 'client_credentials',
  policy: ProviderUrlPolicy,
): Promise<OAuth2Client> {
  const app = {
    ...clientOf(config),
    authorizationMethod: template.authorizationMethod,
    bodyFormat: template.bodyFormat,
    accessTokenPath: template.accessTokenPath,
    authorizationParams: authorizationParamsOf(config, template),
    tokenParams: { ...template.tokenParams, ...config.tokenParams },
  };
  try {
    return await OAuth2Client.create(app, endpointsOf(config, template, stringParams(params), purpose, policy), { timeoutSeconds, policy });
  } catch (error) {
    throw refusal(error, { providerConfigKey: config.key });
  }
}

/** The OAuth 1.0a client for a provider app (client id and secret are the consumer key and secret). */
export function oauth1ClientFor({ config, template }: ProviderApp, params: Record<string, unknown>, timeoutSeconds: number, policy: ProviderUrlPolicy): OAuth1Client {
  if (!template.oauth1 || !template.authorizationUrl || !template.tokenUrl) throw new Error(`template "${template.name}" is not OAuth 1.0a`);
  const { oauth1 } = template;
  try {
    const values = effectiveParams(template.paramRules, stringParams(params), config.params);
    const url = (what: string, value: string) => checkedUrl(what, interpolateConnectionParams(value, values, template.paramRules), policy);
    const { clientId, clientSecret } = clientOf(config);
    return new OAuth1Client(
      { consumerKey: clientId, consumerSecret: clientSecret },
      {
        requestUrl: url('the request token URL', oauth1.requestUrl),
        authorizationUrl: url('the authorization URL', config.authorizationUrl ?? template.authorizationUrl),
        tokenUrl: url('the token URL', config.tokenUrl ?? template.tokenUrl),
        signatureMethod: oauth1.signatureMethod,
        requestParams: oauth1.requestParams,
        authorizationParams: { ...template.authorizationParams, ...config.authorizationParams },
        tokenParams: { ...template.tokenParams, ...config.tokenParams },
      },
      { timeoutSeconds, policy },
    );
  } catch (error) {
    throw refusal(error, { providerConfigKey: config.key });
  }
}

/** The config's client id and secret; a config without them (an API key template's) cannot run an OAuth flow. */
export function clientOf(config: Pick<ProviderConfigWithSecret, 'key' | 'clientId' | 'clientSecret'>): { clientId: string; clientSecret: string } {
  if (config.clientId === null || config.clientSecret === null) {
    throw new AppError('provider_config_incomplete', `The provider config "${config.key}" has no client id and secret.`, { providerConfigKey: config.key });
  }
  return { clientId: config.clientId, clientSecret: config.clientSecret };
}

/**
 * Where a connection's tokens are revoked (RFC 7009): the template's
 * revocation_url filled from the connection params, or an `oidc` config's
 * discovered revocation_endpoint; null when there is none. Checked against the
 * URL policy. Throws AppError for params and refused URLs, ProviderCallError
 * for OIDC discovery.
 */
export async function revocationEndpointFor(
  { config, template }: ProviderApp,
  params: Record<string, unknown>,
  timeoutSeconds: number,
  policy: ProviderUrlPolicy,
): Promise<string | null> {
  try {
    if (template.generic === 'oidc' && config.issuer) {
      return await discoveredRevocationEndpoint(new URL(checkedUrl('the issuer', config.issuer, policy)), timeoutSeconds, policy);
    }
    if (!template.revocationUrl) return null;
    const values = effectiveParams(template.paramRules, stringParams(params), config.params);
    return checkedUrl('the revocation URL', interpolateConnectionParams(template.revocationUrl, values, template.paramRules), policy);
  } catch (error) {
    throw refusal(error, { providerConfigKey: config.key });
  }
}

/**
 * The template's authorization params under the config's. A generic `oidc`
 * config asking for offline_access also asks for consent: OpenID Connect Core
 * §11 has servers ignore offline_access without prompt=consent, and the
 * connection would then get no refresh token.
 */
function authorizationParamsOf(config: ProviderConfigWithSecret, template: ProviderTemplate): Record<string, string> {
  const params = { ...template.authorizationParams, ...config.authorizationParams };
  const scopes = new Set([...template.defaultScopes, ...config.scopes]);
  if (template.generic === 'oidc' && scopes.has('offline_access') && params.prompt === undefined) params.prompt = 'consent';
  return params;
}

function endpointsOf(
  config: ProviderConfigWithSecret,
  template: ProviderTemplate,
  params: Record<string, string>,
  purpose: 'authorize' | 'refresh' | 'client_credentials',
  policy: ProviderUrlPolicy,
): OAuth2Endpoints {
  if (template.generic === 'oidc' && config.issuer) return { kind: 'oidc', issuer: checkedUrl('the issuer', config.issuer, policy) };
  const authorizationUrl = config.authorizationUrl ?? template.authorizationUrl;
  const tokenUrl = (purpose === 'refresh' ? template.refreshUrl : null) ?? config.tokenUrl ?? template.tokenUrl;
  if ((!authorizationUrl && purpose !== 'client_credentials') || !tokenUrl) throw new Error(`provider config "${config.key}" has no endpoints`);
  const values = effectiveParams(template.paramRules, params, config.params);
  return {
    kind: 'static',
    authorizationUrl: authorizationUrl && checkedUrl('the authorization URL', interpolateConnectionParams(authorizationUrl, values, template.paramRules), policy),
    tokenUrl: checkedUrl('the token URL', interpolateConnectionParams(tokenUrl, values, template.paramRules), policy),
  };
}

/**
 * The token params of a client credentials grant, the config's over the
 * template's, each filled from the connection's params (Auth0's audience is
 * its tenant's URL).
 */
export function clientCredentialsParams({ config, template }: ProviderApp, params: Record<string, unknown>): Record<string, string> {
  try {
    const values = effectiveParams(template.paramRules, stringParams(params), config.params);
    const merged = { ...template.tokenParams, ...config.tokenParams };
    return Object.fromEntries(Object.entries(merged).map(([name, value]) => [name, interpolateConnectionParams(value, values, template.paramRules)]));
  } catch (error) {
    throw refusal(error, { providerConfigKey: config.key });
  }
}

/**
 * Where a template's API is called: the config's base URL, else the
 * template's filled from the connection params, else the origin the provider
 * named for the connection (kept in its metadata) when it is under one of the
 * template's hosts; checked against the URL policy.
 */
export function apiBaseUrl({ config, template }: ProviderApp, params: Record<string, unknown>, policy: ProviderUrlPolicy, metadata: Record<string, unknown> = {}): string | null {
  try {
    const from = template.proxy?.baseUrlFrom;
    if (!config.baseUrl && from) return providerNamedBase(from, metadata[from.metadata], policy);
    const base = config.baseUrl ?? template.proxy?.baseUrl;
    if (!base) return null;
    const values = effectiveParams(template.paramRules, stringParams(params), config.params);
    return checkedUrl('the API base URL', interpolateConnectionParams(base, values, template.paramRules), policy).replace(/\/+$/, '');
  } catch (error) {
    throw refusal(error, { providerConfigKey: config.key });
  }
}

/**
 * The API origin a provider named for a connection (Salesforce's instance_url): an https origin, nothing
 * more, under one of the template's hosts (`*.` for any name under a domain), then the template's path.
 * The token goes wherever this says, so a value that is not such an origin is refused, never guessed at.
 */
function providerNamedBase(from: { metadata: string; hosts: string[]; path: string }, named: unknown, policy: ProviderUrlPolicy): string | null {
  if (typeof named !== 'string') return null;
  let url: URL;
  try {
    url = new URL(named);
  } catch {
    throw new ProviderUrlRefused(`the API origin the provider named (${from.metadata}) is not a URL`);
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  const host = url.hostname.toLowerCase();
  const allowed = from.hosts.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
  if (!bare || !allowed) throw new ProviderUrlRefused(`the API origin the provider named (${from.metadata}) is not an origin under ${from.hosts.join(', ')}`);
  return checkedUrl('the API base URL', `${url.origin}${from.path}`, policy);
}

function checkedUrl(what: string, url: string, policy: ProviderUrlPolicy): string {
  checkProviderUrl(what, url, policy);
  return url;
}

/** Param and URL-policy refusals as the faces show them; anything else as it is. */
function refusal(error: unknown, details: Record<string, string>): unknown {
  if (error instanceof ConnectionParamError) {
    if (error.kind === 'missing') return new AppError('missing_connection_config_param', error.message, { ...details, param: error.param });
    if (error.kind === 'missing_in_config') return new AppError('provider_config_incomplete', error.message, { ...details, param: error.param });
    return new AppError('invalid_input', error.message, { ...details, field: `params[${error.param}]` });
  }
  if (error instanceof ProviderUrlRefused) return new AppError('provider_url_refused', clip(error.message, 500), details, { cause: error });
  return error;
}

function stringParams(params: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
