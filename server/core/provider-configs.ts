// Provider configs: the user's registration of an OAuth app (client id and
// secret, scopes) against a template of the catalog. Validates input, resolves
// the effective endpoints, and keeps the client secret write-only.
import type { ProviderConfigRecord, ProviderConfigStore, ProviderConfigValues } from '../db/provider-config-store.js';
import type { ProviderCatalog, ProviderTemplate } from '../providers/catalog.js';
import { paramValueProblem, PARAM_NAME } from '../providers/connection-params.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { endpointUrlProblem, hostProblem, ProviderUrlRefused, type ProviderUrlPolicy } from '../providers/url-policy.js';
import { AppError, invalidInput } from './errors.js';
import { checkIdentifier, clip, hasControlCharacters } from './identifiers.js';

export interface ProviderConfig {
  key: string;
  provider: string;
  clientId: string;
  scopes: string[];
  /** Effective endpoints: the config's own, else the template's. */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  issuer: string | null;
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
  clientId: string;
  clientSecret: string;
  scopes: string[];
  authorizationUrl?: string | null;
  tokenUrl?: string | null;
  issuer?: string | null;
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
const MAX_SCOPES = 200;
const MAX_SCOPE = 512;
const MAX_PARAMS = 20;
const MAX_PARAM_VALUE = 1024;
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
    const values = await this.resolve({
      key: input.key,
      provider: input.provider ?? existing.provider,
      clientId: input.clientId ?? existing.clientId,
      clientSecret: input.clientSecret ?? existing.clientSecret,
      scopes: input.scopes ?? existing.scopes,
      // Endpoints belong to a template: a new template starts from its own.
      authorizationUrl: input.authorizationUrl !== undefined || providerChanged ? input.authorizationUrl : existing.authorizationUrl,
      tokenUrl: input.tokenUrl !== undefined || providerChanged ? input.tokenUrl : existing.tokenUrl,
      issuer: input.issuer !== undefined || providerChanged ? input.issuer : existing.issuer,
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
  private async resolve(input: CreateProviderConfigInput): Promise<ProviderConfigValues> {
    const template = this.catalog.get(input.provider);
    if (!template) {
      throw new AppError(
        'unknown_provider_template',
        `Unknown provider template "${input.provider}". List the templates with \`nango providers:list\` or Query.providers.`,
        { provider: input.provider },
      );
    }
    const clientId = requiredText('clientId', input.clientId, MAX_CLIENT_ID);
    const clientSecret = requiredText('clientSecret', input.clientSecret, MAX_CLIENT_SECRET);
    const scopes = checkScopes(input.scopes);
    let authorizationUrl = optionalEndpoint('authorizationUrl', input.authorizationUrl, this.urlPolicy);
    let tokenUrl = optionalEndpoint('tokenUrl', input.tokenUrl, this.urlPolicy);
    let issuer = optionalEndpoint('issuer', input.issuer, this.urlPolicy);
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
    return { provider: template.name, clientId, clientSecret, scopes, authorizationUrl, tokenUrl, issuer, params, authorizationParams, tokenParams };
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
    return {
      key: record.key,
      provider: record.provider,
      clientId: record.clientId,
      scopes: record.scopes,
      authorizationUrl: record.authorizationUrl ?? template?.authorizationUrl ?? null,
      tokenUrl: record.tokenUrl ?? template?.tokenUrl ?? null,
      issuer: record.issuer,
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
