// Provider configs: the user's registration of an OAuth app (client id and
// secret, scopes) against a template of the catalog. Validates input, resolves
// the effective endpoints, and keeps the client secret write-only.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { ProviderConfigRecord, ProviderConfigStore, ProviderConfigValues } from '../db/provider-config-store.js';
import { API_KEY_SLOT, CREDENTIAL_NAME, type ApiKeyPlacement, type AuthMode, type ProviderCatalog, type ProviderTemplate } from '../providers/catalog.js';
import { paramValueProblem, PARAM_NAME } from '../providers/connection-params.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { endpointUrlProblem, hostProblem, ProviderUrlRefused, type ProviderUrlPolicy } from '../providers/url-policy.js';
import { AppError, invalidInput } from './errors.js';
import { checkIdentifier, clip, hasControlCharacters } from './identifiers.js';

export interface ProviderConfig {
  key: string;
  provider: string;
  /** The template's auth mode. */
  authMode: AuthMode;
  /** Null for the modes without an OAuth client (API key, Basic, GitHub App). */
  clientId: string | null;
  /** A GitHub App's id; null for the other modes. */
  appId: string | null;
  scopes: string[];
  /** Effective endpoints: the config's own, else the template's. */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  issuer: string | null;
  /** Where the API is called: the config's own (generic templates, GitHub Enterprise), else the template's. */
  baseUrl: string | null;
  /** Hosts (host[:port]) besides the base URL's that a proxied request may go to with Base-Url-Override. */
  proxyAllowedHosts: string[];
  /** API_KEY templates: where the API takes the key (the config's own for custom-api-key, else the template's); null for the other modes. */
  apiKeyPlacement: ApiKeyPlacement | null;
  /** Connection params set by the secret-key holder (e.g. a self-managed host); they win over an end user's. */
  params: Record<string, string>;
  /** Merged over the template's authorization request params. */
  authorizationParams: Record<string, string>;
  /** Merged over the template's token request params (the code exchange). */
  tokenParams: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateProviderConfigInput {
  key: string;
  provider: string;
  /** OAuth 2, OAuth 1.0a and client credentials templates. */
  clientId?: string | null;
  clientSecret?: string | null;
  /** GitHub App templates: the app id and its private key (PEM). */
  appId?: string | null;
  privateKey?: string | null;
  scopes?: string[] | null;
  authorizationUrl?: string | null;
  tokenUrl?: string | null;
  issuer?: string | null;
  baseUrl?: string | null;
  proxyAllowedHosts?: string[] | null;
  /** custom-api-key only: where the API takes the key (default: Authorization: Bearer). `format` holds ${apiKey}; default "${apiKey}". */
  apiKeyPlacement?: { in: string; name: string; format?: string | null } | null;
  params?: Record<string, string> | null;
  authorizationParams?: Record<string, string> | null;
  tokenParams?: Record<string, string> | null;
}

/** Everything but the key may be left out: what is left out keeps its value. */
export type UpdateProviderConfigInput = Pick<CreateProviderConfigInput, 'key'> &
  Partial<Omit<CreateProviderConfigInput, 'key'>>;

// Keys appear in URL paths (/oauth/connect/:key) and in CLI arguments.
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_KEY = 100;
const MAX_CLIENT_ID = 1024;
const MAX_CLIENT_SECRET = 4096;
const MAX_PRIVATE_KEY = 16_384;
/** The modes whose configs hold an OAuth client id and secret. */
const CLIENT_MODES = new Set<AuthMode>(['OAUTH2', 'OAUTH1', 'OAUTH2_CC']);
const MAX_SCOPES = 200;
const MAX_SCOPE = 512;
const MAX_PARAMS = 20;
const MAX_PARAM_VALUE = 1024;
const MAX_ALLOWED_HOSTS = 20;
// host or host:port, as URL.host writes it (lower-case; an IPv6 literal in brackets).
const ALLOWED_HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
const REQUEST_PARAM_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * What the protocol itself sends: a config may not replace them (a
 * redirect_uri or state of its own would break the flow, a request object or
 * response_mode would replace it wholesale), and scopes have their own field.
 */
const PROTOCOL_PARAMS = new Set([
  'response_type', 'response_mode', 'redirect_uri', 'state', 'nonce', 'scope', 'request', 'request_uri',
  'code_challenge', 'code_challenge_method', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type',
  'code', 'grant_type', 'code_verifier', 'refresh_token',
]);

export class ProviderConfigs {
  constructor(
    private readonly store: ProviderConfigStore,
    private readonly catalog: ProviderCatalog,
    private readonly discover: DiscoverEndpoints,
    private readonly urlPolicy: ProviderUrlPolicy,
  ) {}

  async list(): Promise<ProviderConfig[]> {
    return (await this.store.list()).map((record) => this.present(record));
  }

  async get(key: string): Promise<ProviderConfig> {
    checkIdentifier('key', key);
    const record = await this.store.get(key);
    if (!record) throw unknownConfig(key);
    return this.present(record);
  }

  async create(input: CreateProviderConfigInput): Promise<ProviderConfig> {
    checkKey(input.key);
    const values = await this.resolve(input);
    const record = await this.store.insert(input.key, values);
    if (!record) {
      throw new AppError('duplicate_provider_config', `A provider config with key "${input.key}" already exists.`, {
        key: input.key,
      });
    }
    return this.present(record);
  }

  async update(input: UpdateProviderConfigInput): Promise<ProviderConfig> {
    checkIdentifier('key', input.key);
    const existing = await this.store.getWithSecret(input.key);
    if (!existing) throw unknownConfig(input.key);
    const providerChanged = input.provider !== undefined && input.provider !== existing.provider;
    // Credentials carry over to a new template of the same kind; a template of another kind starts without them.
    const sameKind = !providerChanged || this.template(input.provider!).authMode === this.catalog.get(existing.provider)?.authMode;
    const keep = <T>(given: T | undefined, stored: T): T | undefined => (given !== undefined || !sameKind ? given : stored);
    const isApp = this.catalog.get(existing.provider)?.authMode === 'APP';
    const values = await this.resolve({
      key: input.key,
      provider: input.provider ?? existing.provider,
      clientId: keep(input.clientId, isApp ? null : existing.clientId),
      clientSecret: keep(input.clientSecret, isApp ? null : existing.clientSecret),
      appId: keep(input.appId, isApp ? existing.clientId : null),
      privateKey: keep(input.privateKey, isApp ? existing.clientSecret : null),
      scopes: input.scopes ?? (sameKind ? existing.scopes : []),
      // Endpoints belong to a template: a new template starts from its own.
      authorizationUrl: input.authorizationUrl !== undefined || providerChanged ? input.authorizationUrl : existing.authorizationUrl,
      tokenUrl: input.tokenUrl !== undefined || providerChanged ? input.tokenUrl : existing.tokenUrl,
      issuer: input.issuer !== undefined || providerChanged ? input.issuer : existing.issuer,
      baseUrl: input.baseUrl !== undefined || providerChanged ? input.baseUrl : existing.baseUrl,
      proxyAllowedHosts: input.proxyAllowedHosts !== undefined ? input.proxyAllowedHosts : existing.proxyAllowedHosts,
      apiKeyPlacement: input.apiKeyPlacement !== undefined || providerChanged ? input.apiKeyPlacement : existing.apiKeyPlacement,
      // Params name a template's placeholders, so they too start afresh with a new template.
      params: input.params !== undefined || providerChanged ? input.params : existing.params,
      authorizationParams: input.authorizationParams !== undefined ? input.authorizationParams : existing.authorizationParams,
      tokenParams: input.tokenParams !== undefined ? input.tokenParams : existing.tokenParams,
    });
    const record = await this.store.update(input.key, values);
    if (!record) throw unknownConfig(input.key);
    return this.present(record);
  }

  async delete(key: string): Promise<void> {
    checkIdentifier('key', key);
    if (!(await this.store.delete(key))) throw unknownConfig(key);
  }

  /** Validates a whole config against its template and finds its endpoints. */
  private template(provider: string): ProviderTemplate {
    const template = this.catalog.get(provider);
    if (!template) {
      throw new AppError(
        'unknown_provider_template',
        `Unknown provider template "${provider}". List the templates with \`nango providers:list\` or Query.providers.`,
        { provider },
      );
    }
    return template;
  }

  private async resolve(input: CreateProviderConfigInput): Promise<ProviderConfigValues> {
    const template = this.template(input.provider);
    const mode = template.authMode;
    const { clientId, clientSecret } = checkClient(template, input);
    const scopes = checkScopes(input.scopes ?? []);
    if (scopes.length > 0 && !CLIENT_MODES.has(mode)) throw invalidInput('scopes', `are not used by ${mode} templates`);
    let authorizationUrl = optionalEndpoint('authorizationUrl', input.authorizationUrl, this.urlPolicy);
    let tokenUrl = optionalEndpoint('tokenUrl', input.tokenUrl, this.urlPolicy);
    let issuer = optionalEndpoint('issuer', input.issuer, this.urlPolicy);
    const baseUrl = optionalEndpoint('baseUrl', input.baseUrl, this.urlPolicy);
    const proxyAllowedHosts = checkAllowedHosts(input.proxyAllowedHosts ?? [], this.urlPolicy);
    const apiKeyPlacement = input.apiKeyPlacement ? checkApiKeyPlacement(template, input.apiKeyPlacement) : null;
    if (authorizationUrl && (mode !== 'OAUTH2' && mode !== 'OAUTH1')) throw invalidInput('authorizationUrl', `is not used by ${mode} templates`);
    if (tokenUrl && !CLIENT_MODES.has(mode)) throw invalidInput('tokenUrl', `is not used by ${mode} templates`);
    if (!baseUrl && !template.proxy && (template.generic === 'custom-api-key' || template.generic === 'custom-basic')) {
      throw invalidInput('baseUrl', `is required for the ${template.name} template (where its API is called)`);
    }
    if (template.generic === 'custom-oauth2-cc' && !tokenUrl) throw invalidInput('tokenUrl', 'is required for the custom-oauth2-cc template');
    const params = checkConfigParams(template, input.params ?? {}, this.urlPolicy);
    const authorizationParams = checkRequestParams('authorizationParams', input.authorizationParams ?? {});
    const tokenParams = checkRequestParams('tokenParams', input.tokenParams ?? {});

    if (template.generic === 'custom') {
      if (!authorizationUrl) throw invalidInput('authorizationUrl', 'is required for the custom template');
      if (!tokenUrl) throw invalidInput('tokenUrl', 'is required for the custom template');
    }
    if (template.generic === 'oidc') {
      if (!issuer) throw invalidInput('issuer', 'is required for the oidc template');
      const discovered = await this.discoverEndpoints(issuer);
      issuer = discovered.issuer;
      authorizationUrl ??= discovered.authorizationUrl;
      tokenUrl ??= discovered.tokenUrl;
    } else if (issuer) {
      throw invalidInput('issuer', 'is only used by the oidc template');
    }
    return { provider: template.name, clientId, clientSecret, scopes, authorizationUrl, tokenUrl, issuer, baseUrl, proxyAllowedHosts, apiKeyPlacement, params, authorizationParams, tokenParams };
  }

  private async discoverEndpoints(issuer: string) {
    try {
      return await this.discover(issuer);
    } catch (error) {
      const refused = [error, (error as { cause?: unknown })?.cause].find((item) => item instanceof ProviderUrlRefused);
      if (refused instanceof ProviderUrlRefused) {
        throw new AppError('provider_url_refused', `OpenID discovery for issuer ${issuer} was stopped: ${clip(refused.message, 500)}`, { issuer, field: 'issuer' }, { cause: error });
      }
      const reason = error instanceof Error ? clip(error.message) : 'unknown error';
      throw new AppError('oidc_discovery_failed', `OpenID discovery failed for issuer ${issuer}: ${reason}`, { issuer }, { cause: error });
    }
  }

  private present(record: ProviderConfigRecord): ProviderConfig {
    const template: ProviderTemplate | undefined = this.catalog.get(record.provider);
    const authMode = template?.authMode ?? 'OAUTH2';
    return {
      key: record.key,
      provider: record.provider,
      authMode,
      clientId: authMode === 'APP' ? null : record.clientId,
      appId: authMode === 'APP' ? record.clientId : null,
      scopes: record.scopes,
      authorizationUrl: record.authorizationUrl ?? template?.authorizationUrl ?? null,
      tokenUrl: record.tokenUrl ?? template?.tokenUrl ?? null,
      issuer: record.issuer,
      baseUrl: record.baseUrl ?? template?.proxy?.baseUrl ?? null,
      proxyAllowedHosts: record.proxyAllowedHosts,
      apiKeyPlacement: record.apiKeyPlacement ?? template?.apiKey ?? null,
      params: record.params,
      authorizationParams: record.authorizationParams,
      tokenParams: record.tokenParams,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }
}

function unknownConfig(key: string): AppError {
  return new AppError('unknown_provider_config', `No provider config with key "${key}".`, { key });
}

function checkKey(key: string): void {
  if (key.length === 0) throw invalidInput('key', 'must not be empty');
  if (key.length > MAX_KEY) throw invalidInput('key', `must be at most ${MAX_KEY} characters`);
  if (!KEY_PATTERN.test(key)) {
    throw invalidInput('key', 'may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit');
  }
}

/**
 * The client id and secret the template's mode needs (an app id and private
 * key for a GitHub App, stored in the same sealed columns), and none where it
 * needs none: giving them there is a mistake worth saying.
 */
function checkClient(template: ProviderTemplate, input: CreateProviderConfigInput): { clientId: string | null; clientSecret: string | null } {
  const given = (value: string | null | undefined): value is string => value !== undefined && value !== null && value !== '';
  const mode = template.authMode;
  if (mode !== 'APP') {
    for (const field of ['appId', 'privateKey'] as const) if (given(input[field])) throw invalidInput(field, 'is only used by GitHub App (APP) templates');
  }
  if (CLIENT_MODES.has(mode)) {
    return {
      clientId: requiredText('clientId', input.clientId ?? '', MAX_CLIENT_ID),
      clientSecret: requiredText('clientSecret', input.clientSecret ?? '', MAX_CLIENT_SECRET),
    };
  }
  for (const field of ['clientId', 'clientSecret'] as const) {
    if (given(input[field])) throw invalidInput(field, mode === 'APP' ? 'is not used by GitHub App templates: give appId and privateKey' : `is not used by ${mode} templates: each connection holds its own credentials`);
  }
  if (mode !== 'APP') return { clientId: null, clientSecret: null };
  const appId = requiredText('appId', input.appId ?? '', MAX_CLIENT_ID);
  if (!/^\d{1,20}$/.test(appId)) throw invalidInput('appId', 'must be the numeric App ID from the app settings');
  const privateKey = requiredPem(input.privateKey ?? '');
  return { clientId: appId, clientSecret: privateKey };
}

/** An RSA private key in PEM (PKCS#1 as GitHub downloads it, or PKCS#8); the message never repeats it. */
function requiredPem(value: string): string {
  const pem = value.trim().replace(/\r\n/g, '\n');
  if (pem.length === 0) throw invalidInput('privateKey', 'must not be empty');
  if (pem.length > MAX_PRIVATE_KEY) throw invalidInput('privateKey', `must be at most ${MAX_PRIVATE_KEY} characters`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw invalidInput('privateKey', 'is not a private key in PEM form (-----BEGIN RSA PRIVATE KEY----- ...)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw invalidInput('privateKey', 'must be an RSA key (GitHub Apps sign with RS256)');
  // RS256 signs with no shorter key (jose refuses it at every token request, which would be a 500 per connection).
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw invalidInput('privateKey', 'must be an RSA key of at least 2048 bits (GitHub generates 2048)');
  return pem;
}

function requiredText(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw invalidInput(field, 'must not be empty');
  if (trimmed.length > max) throw invalidInput(field, `must be at most ${max} characters`);
  if (hasControlCharacters(trimmed)) throw invalidInput(field, 'must not contain control characters');
  return trimmed;
}

function checkScopes(scopes: string[]): string[] {
  if (scopes.length > MAX_SCOPES) throw invalidInput('scopes', `must list at most ${MAX_SCOPES} scopes`);
  const cleaned = scopes.map((scope) => scope.trim()).filter((scope) => scope.length > 0);
  for (const scope of cleaned) {
    if (scope.length > MAX_SCOPE) throw invalidInput('scopes', `each scope must be at most ${MAX_SCOPE} characters`);
    if (/[\s\u0000-\u001f\u007f]/.test(scope)) throw invalidInput('scopes', `scope "${scope}" must not contain spaces or control characters`);
  }
  return [...new Set(cleaned)];
}

function optionalEndpoint(field: string, value: string | null | undefined, policy: ProviderUrlPolicy): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  // A placeholder here would let an end user's params shape a URL no catalog review has seen.
  if (value.includes('${')) throw invalidInput(field, 'must be a whole URL: ${connectionConfig.params...} placeholders belong to catalog templates (set a host with params instead)');
  const problem = endpointUrlProblem(value.trim(), policy);
  if (problem) throw refusedUrl(field, problem);
  return value.trim();
}

/** A host the policy refuses is provider_url_refused; a URL that is malformed or not https, invalid_input. */
function refusedUrl(field: string, problem: string): AppError {
  if (/^must not point/.test(problem)) return new AppError('provider_url_refused', `${field}: ${problem}`, { field });
  return invalidInput(field, problem);
}

function checkMap(field: string, map: Record<string, string>): Array<[string, string]> {
  const entries = Object.entries(map);
  if (entries.length > MAX_PARAMS) throw invalidInput(field, `at most ${MAX_PARAMS} entries`);
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw invalidInput(`${field}.${clip(name, 64)}`, 'must be a string');
    if (value.length > MAX_PARAM_VALUE || hasControlCharacters(value)) {
      throw invalidInput(`${field}.${clip(name, 64)}`, `must be at most ${MAX_PARAM_VALUE} printable characters`);
    }
  }
  return entries;
}

/**
 * The template's params only the secret-key holder gives, each present and in
 * its shape; a whole host must also pass the URL policy.
 */
function checkConfigParams(template: ProviderTemplate, params: Record<string, string>, policy: ProviderUrlPolicy): Record<string, string> {
  const entries = checkMap('params', params);
  for (const [name, value] of entries) {
    const rule = template.paramRules[name];
    if (!PARAM_NAME.test(name) || !rule) {
      const known = Object.keys(template.paramRules);
      throw invalidInput(`params.${clip(name, 64)}`, `the template "${template.name}" has no such param${known.length ? ` (it has ${known.join(', ')})` : ''}`);
    }
    if (rule.kind === 'host') {
      // Judged as the host it would be (2130706433 is 127.0.0.1), before its shape.
      const refused = URL.canParse(`https://${value}/`) ? hostProblem(new URL(`https://${value}/`).hostname, policy) : null;
      if (refused) throw new AppError('provider_url_refused', `params.${name}: ${refused}`, { field: `params.${name}` });
    }
    const problem = paramValueProblem(rule, value);
    if (problem) throw invalidInput(`params.${name}`, problem);
  }
  for (const name of template.configParams) {
    if (params[name] === undefined || params[name] === '') {
      throw invalidInput(`params.${name}`, `is required by the template "${template.name}" and only the provider config may set it (e.g. --param ${name}=...)`);
    }
  }
  return Object.fromEntries(entries);
}

function checkRequestParams(field: string, params: Record<string, string>): Record<string, string> {
  const entries = checkMap(field, params);
  for (const [name] of entries) {
    if (!REQUEST_PARAM_NAME.test(name)) throw invalidInput(`${field}.${clip(name, 64)}`, 'is not a valid param name');
    if (PROTOCOL_PARAMS.has(name) || name.startsWith('oauth_')) {
      throw invalidInput(`${field}.${name}`, 'is set by the protocol itself and cannot be overridden');
    }
  }
  return Object.fromEntries(entries);
}

/** The hosts a proxied request may be sent to besides the base URL's: host or host:port, each passing the URL policy. */
function checkAllowedHosts(hosts: string[], policy: ProviderUrlPolicy): string[] {
  if (hosts.length > MAX_ALLOWED_HOSTS) throw invalidInput('proxyAllowedHosts', `at most ${MAX_ALLOWED_HOSTS} hosts`);
  return [...new Set(hosts.map((given, index) => {
    const host = given.trim().toLowerCase();
    const field = `proxyAllowedHosts.${index}`;
    if (!ALLOWED_HOST.test(host) || host.length > 260) throw invalidInput(field, 'must be a host name, optionally with a port (uploads.example.com, api.example.com:8443), without scheme or path');
    const problem = hostProblem(host.replace(/:\d+$/, ''), policy);
    if (problem) throw invalidInput(field, problem);
    return host;
  }))];
}


/** A custom-api-key config's placement of the key: a header or query parameter name, and a value holding ${apiKey} once. */
function checkApiKeyPlacement(template: ProviderTemplate, given: { in: string; name: string; format?: string | null }): ApiKeyPlacement {
  if (template.generic !== 'custom-api-key') throw invalidInput('apiKeyPlacement', `is only used by the custom-api-key template (${template.name} says where its key goes)`);
  if (given.in !== 'header' && given.in !== 'query') throw invalidInput('apiKeyPlacement.in', 'must be header or query');
  if (!CREDENTIAL_NAME.test(given.name)) throw invalidInput('apiKeyPlacement.name', 'must be a header or query parameter name such as X-API-Key');
  const format = given.format ?? API_KEY_SLOT;
  if (format.split(API_KEY_SLOT).length !== 2) throw invalidInput('apiKeyPlacement.format', `must hold ${API_KEY_SLOT} once, e.g. "Token ${API_KEY_SLOT}"`);
  if (format.length > 200 || /[^\x20-\x7e]/.test(format)) throw invalidInput('apiKeyPlacement.format', 'must be at most 200 printable ASCII characters');
  return { in: given.in, name: given.name, format };
}
