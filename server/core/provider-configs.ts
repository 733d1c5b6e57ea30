// Provider configs: the user's registration of an OAuth app (client id and
// secret, scopes) against a template of the catalog. Validates input, resolves
// the effective endpoints, and keeps the client secret write-only.
import type { ProviderConfigRecord, ProviderConfigStore, ProviderConfigValues } from '../db/provider-config-store.js';
import type { ProviderCatalog, ProviderTemplate } from '../providers/catalog.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { endpointUrlProblem } from '../providers/url-policy.js';
import { AppError, invalidInput } from './errors.js';
import { checkIdentifier, hasControlCharacters } from './identifiers.js';

export interface ProviderConfig {
  key: string;
  provider: string;
  clientId: string;
  scopes: string[];
  /** Effective endpoints: the config's own, else the template's. */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  issuer: string | null;
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

export class ProviderConfigs {
  constructor(
    private readonly store: ProviderConfigStore,
    private readonly catalog: ProviderCatalog,
    private readonly discover: DiscoverEndpoints,
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
    let authorizationUrl = optionalEndpoint('authorizationUrl', input.authorizationUrl);
    let tokenUrl = optionalEndpoint('tokenUrl', input.tokenUrl);
    let issuer = optionalEndpoint('issuer', input.issuer);

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
    return { provider: template.name, clientId, clientSecret, scopes, authorizationUrl, tokenUrl, issuer };
  }

  private async discoverEndpoints(issuer: string) {
    try {
      return await this.discover(issuer);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unknown error';
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

function optionalEndpoint(field: string, value: string | null | undefined): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  const problem = endpointUrlProblem(value.trim());
  if (problem) throw invalidInput(field, problem);
  return value.trim();
}
