// The provider catalog: templates from providers.json (validated on load) plus
// the generic templates (`custom`, `oidc`, `custom-api-key`, `custom-basic`,
// `custom-oauth2-cc`), whose endpoints come from the provider config itself.
// Each template has one auth mode: the OAuth 2 and OAuth 1.0a code flows, an
// API key, HTTP Basic, OAuth 2 client credentials, or a GitHub App installation.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { placementProblems, type ParamRule, type ParamRules } from './connection-params.js';

const PLACEHOLDER = /\$\{connectionConfig\.params\.([A-Za-z][A-Za-z0-9_]*)\}/g;
const LISTED_VALUE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const ANY_PLACEHOLDER = /\$\{[^}]*\}/;
const TEMPLATE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** An https URL, possibly with ${connectionConfig.params.x} placeholders (e.g. a tenant subdomain). */
const templateUrl = z.string().superRefine((value, context) => {
  const withoutParams = value.replace(PLACEHOLDER, 'param');
  if (ANY_PLACEHOLDER.test(withoutParams)) {
    context.addIssue({ code: 'custom', message: 'placeholders must look like ${connectionConfig.params.name}' });
    return;
  }
  try {
    const url = new URL(withoutParams);
    if (url.protocol !== 'https:') context.addIssue({ code: 'custom', message: 'must be an https:// URL' });
  } catch {
    context.addIssue({ code: 'custom', message: 'must be an absolute URL' });
  }
});

const stringMap = z.record(z.string(), z.string());

const givenBy = z.enum(['end_user', 'config']);

/** Who may give a connection param, and in what shape (see connection-params.ts). */
const ParamRuleSchema = z.discriminatedUnion('kind', [
  z.object({ given_by: givenBy, kind: z.literal('dns_label') }).strict(),
  z.object({ given_by: givenBy, kind: z.literal('dns_labels') }).strict(),
  z.object({ given_by: givenBy, kind: z.literal('path_segment') }).strict(),
  z
    .object({
      given_by: givenBy,
      kind: z.literal('one_of'),
      values: z.array(z.string().regex(LISTED_VALUE, 'listed values are lowercase host name labels')).min(1),
    })
    .strict(),
  z.object({ given_by: z.literal('config', { errorMap: () => ({ message: 'a whole host is given by the provider config only' }) }), kind: z.literal('host') }).strict(),
]);

/** What the catalog files themselves may say a template is about. */
export const CATEGORIES = [
  'accounting', 'analytics', 'communication', 'crm', 'design', 'dev-tools', 'e-commerce', 'education', 'erp', 'hr', 'legal',
  'marketing', 'other', 'payments', 'productivity', 'project-management', 'scheduling', 'security', 'social', 'storage', 'support', 'video',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const AUTH_MODES = ['OAUTH2', 'OAUTH1', 'API_KEY', 'BASIC', 'OAUTH2_CC', 'APP'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

// A header name (RFC 9110 token) or a query parameter name.
export const CREDENTIAL_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** Where the key goes in an API key placement's format. */
export const API_KEY_SLOT = '${apiKey}';

/** Where calls to the API go (the proxy's base URL) and the fixed headers it wants. */
/** Where the token goes in an OAuth token placement's format. */
export const TOKEN_SLOT = '${accessToken}';

/** Where a template's API takes an OAuth token, when not as `Authorization: Bearer` (Shopify's X-Shopify-Access-Token, ...). */
const TokenPlacementSchema = z
  .object({
    in: z.enum(['header', 'query']),
    name: z.string().regex(CREDENTIAL_NAME, 'is not a header or query parameter name'),
    format: z.string().refine((format) => format.split(TOKEN_SLOT).length === 2, `must hold ${TOKEN_SLOT} once`),
  })
  .strict();

// A host the provider may name for a connection's API: exact, or `*.` and a domain for any name under it.
const PROVIDER_HOST = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/**
 * Where the API of a connection is, when the provider says so in the token response (Salesforce's
 * instance_url, Pipedrive's api_domain): that metadata value, an https origin under one of `hosts`,
 * then `path`.
 */
const BaseUrlFromSchema = z
  .object({
    metadata: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a token response field name'),
    hosts: z.array(z.string().regex(PROVIDER_HOST, 'must be a host name, or *. and a domain')).min(1),
    path: z.string().regex(/^(?:\/[A-Za-z0-9\-._~]+)*$/, 'must be a path such as /api/v1, or empty').default(''),
  })
  .strict();

const ProxySchema = z
  .object({
    base_url: templateUrl.optional(),
    base_url_from: BaseUrlFromSchema.optional(),
    headers: z.record(z.string().regex(CREDENTIAL_NAME, 'is not a header name'), z.string()).default({}),
    token: TokenPlacementSchema.optional(),
  })
  .strict()
  .refine((proxy) => (proxy.base_url === undefined) !== (proxy.base_url_from === undefined), 'needs base_url or base_url_from, not both');

/** A request that proves a key or password works before it is stored: 401 or 403 means it does not. */
const CheckSchema = z
  .object({
    method: z.literal('GET'),
    // Relative to the base URL: one path, no scheme, no host, no dot segments.
    path: z.string().regex(/^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/, 'must be a path such as /v1/me').refine((path) => !/(^|\/)\.\.?(\/|$|\?)/.test(path), 'must not have . or .. segments'),
  })
  .strict();

const common = {
  display_name: z.string().min(1),
  category: z.enum(CATEGORIES),
  docs: templateUrl,
  alias: z.string().optional(),
  /** Every ${connectionConfig.params.x} of the URLs, with who may give it. */
  connection_params: z.record(z.string(), ParamRuleSchema).default({}),
  proxy: ProxySchema.optional(),
};

const codeFlow = {
  authorization_url: templateUrl,
  token_url: templateUrl,
  scope_separator: z.string().min(1).default(' '),
  default_scopes: z.array(z.string().min(1)).default([]),
  authorization_params: stringMap.default({}),
  token_params: stringMap.default({}),
};

const OAuth2Schema = z
  .object({
    auth_mode: z.literal('OAUTH2'),
    ...common,
    ...codeFlow,
    refresh_url: templateUrl.optional(),
    /** The RFC 7009 revocation endpoint (form POST of token=...), where the provider documents one. */
    revocation_url: templateUrl.optional(),
    /** Extra body params of the refresh_token grant. */
    refresh_params: stringMap.default({}),
    /** body: client_secret_post; header: client_secret_basic. */
    authorization_method: z.enum(['body', 'header']).default('body'),
    /** How the token request body is encoded. */
    body_format: z.enum(['form', 'json']).default('form'),
    disable_pkce: z.boolean().default(false),
    /** Seconds before expiry at which a token is refreshed (default 15 minutes, at most half its lifetime). */
    token_expiration_buffer: z.number().int().positive().optional(),
    /** Days after which the provider expires a refresh token nobody used: the scheduler refreshes before half of them. */
    refresh_token_idle_days: z.number().positive().optional(),
    /** Token response fields kept as connection metadata (e.g. Salesforce's instance_url). */
    token_response_metadata: z.array(z.string().min(1)).default([]),
    /** Callback query params kept as connection metadata (e.g. QuickBooks' realmId). */
    redirect_uri_metadata: z.array(z.string().min(1)).default([]),
    /** Where the access token is when not at the top level (e.g. Slack's user token: authed_user.access_token). */
    access_token_path: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/).optional(),
  })
  .strict();

const OAuth1Schema = z
  .object({
    auth_mode: z.literal('OAUTH1'),
    ...common,
    ...codeFlow,
    /** Where the request token comes from (the temporary credentials endpoint). */
    request_url: templateUrl,
    request_params: stringMap.default({}),
    signature_method: z.enum(['HMAC-SHA1', 'PLAINTEXT']).default('HMAC-SHA1'),
  })
  .strict();

const ApiKeySchema = z
  .object({
    auth_mode: z.literal('API_KEY'),
    ...common,
    proxy: ProxySchema,
    /** Where the key goes: a header (its value made from format) or a query parameter. */
    api_key: z
      .object({
        in: z.enum(['header', 'query']),
        name: z.string().regex(CREDENTIAL_NAME, 'is not a header or parameter name'),
        format: z.string().refine((format) => format.split(API_KEY_SLOT).length === 2, `must hold ${API_KEY_SLOT} once`).default(API_KEY_SLOT),
      })
      .strict(),
    check: CheckSchema.optional(),
  })
  .strict();

const BasicSchema = z
  .object({
    auth_mode: z.literal('BASIC'),
    ...common,
    proxy: ProxySchema,
    /** What the end user is asked for: the API's own names for the username and password. */
    basic: z
      .object({
        username_hint: z.string().min(1),
        password_hint: z.string().min(1),
        /** APIs that take a key as the username and ignore the password. */
        password_optional: z.boolean().default(false),
      })
      .strict(),
    check: CheckSchema.optional(),
  })
  .strict();

const ClientCredentialsSchema = z
  .object({
    auth_mode: z.literal('OAUTH2_CC'),
    ...common,
    token_url: templateUrl,
    scope_separator: z.string().min(1).default(' '),
    default_scopes: z.array(z.string().min(1)).default([]),
    /** Extra body params of the client_credentials grant (an audience, a resource); may hold the connection's params. */
    token_params: stringMap.default({}),
    authorization_method: z.enum(['body', 'header']).default('body'),
    body_format: z.enum(['form', 'json']).default('form'),
    token_expiration_buffer: z.number().int().positive().optional(),
  })
  .strict();

/** A GitHub App: installation tokens minted at {base_url}/app/installations/{id}/access_tokens with a JWT the app key signs. */
const AppSchema = z
  .object({
    auth_mode: z.literal('APP'),
    ...common,
    proxy: ProxySchema,
  })
  .strict();

const TemplateSchema = z.discriminatedUnion('auth_mode', [OAuth2Schema, OAuth1Schema, ApiKeySchema, BasicSchema, ClientCredentialsSchema, AppSchema]);

export type TemplateData = z.infer<typeof TemplateSchema>;

export type GenericKind = 'custom' | 'oidc' | 'custom-api-key' | 'custom-basic' | 'custom-oauth2-cc';

export interface ProxyDetails {
  /** With ${connectionConfig.params.x} placeholders; null when the provider names it per connection (baseUrlFrom). */
  baseUrl: string | null;
  /** The token response's field that names a connection's API origin, the hosts it may name, and the path after it. */
  baseUrlFrom: { metadata: string; hosts: string[]; path: string } | null;
  headers: Record<string, string>;
  /** Where an OAuth 2, client credentials or App token goes; null: `Authorization: Bearer ${accessToken}`. */
  token: TokenPlacement | null;
}

export interface TokenPlacement {
  in: 'header' | 'query';
  name: string;
  /** The value sent, ${accessToken} standing for the token. */
  format: string;
}

export interface ApiKeyPlacement {
  in: 'header' | 'query';
  name: string;
  /** The value sent, ${apiKey} standing for the key (e.g. "Bearer ${apiKey}"). */
  format: string;
}

export interface BasicHints {
  usernameHint: string;
  passwordHint: string;
  passwordOptional: boolean;
}

export interface CredentialCheck {
  method: 'GET';
  /** Relative to the base URL. */
  path: string;
}

export interface OAuth1Details {
  requestUrl: string;
  requestParams: Record<string, string>;
  signatureMethod: 'HMAC-SHA1' | 'PLAINTEXT';
}

export interface ProviderTemplate {
  name: string;
  displayName: string;
  authMode: AuthMode;
  category: Category;
  /** Null for the generic templates: the provider config supplies the endpoints. */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  refreshUrl: string | null;
  /** RFC 7009 revocation endpoint; null when the provider documents none (and for `custom`; `oidc` discovers it). */
  revocationUrl: string | null;
  scopeSeparator: string;
  defaultScopes: string[];
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  authorizationMethod: 'body' | 'header';
  refreshParams: Record<string, string>;
  bodyFormat: 'form' | 'json';
  tokenResponseMetadata: string[];
  redirectUriMetadata: string[];
  accessTokenPath: string | null;
  /** Set for OAuth 1.0a templates. */
  oauth1: OAuth1Details | null;
  supportsPkce: boolean;
  /** Overrides the default refresh window, in seconds. */
  refreshWindowSeconds: number | null;
  /** Days after which an unused refresh token expires at the provider; null: never. */
  refreshTokenIdleDays: number | null;
  docsUrl: string | null;
  /** Connection params an end user gives for the endpoint URLs, e.g. ['subdomain']. */
  connectionParams: string[];
  /** Connection params only the provider config gives, e.g. ['hostname'] (self-managed GitLab). */
  configParams: string[];
  /** Who may give each param of the URLs, and in what shape. */
  paramRules: ParamRules;
  /** Set for the generic templates. */
  generic: GenericKind | null;
  /** Where the API is called (a custom template's config gives its own baseUrl). */
  proxy: ProxyDetails | null;
  /** Set for API_KEY templates. */
  apiKey: ApiKeyPlacement | null;
  /** Set for BASIC templates. */
  basic: BasicHints | null;
  /** Proves an API key or password before it is stored. */
  check: CredentialCheck | null;
}

/** A template with every field at its default (a plain OAuth 2 provider), then `fields`. */
export function providerTemplate(fields: Pick<ProviderTemplate, 'name' | 'displayName'> & Partial<ProviderTemplate>): ProviderTemplate {
  return {
    authMode: 'OAUTH2',
    category: 'other',
    authorizationUrl: null,
    tokenUrl: null,
    refreshUrl: null,
    revocationUrl: null,
    scopeSeparator: ' ',
    defaultScopes: [],
    authorizationParams: {},
    tokenParams: {},
    authorizationMethod: 'body',
    refreshParams: {},
    bodyFormat: 'form',
    tokenResponseMetadata: [],
    redirectUriMetadata: [],
    accessTokenPath: null,
    oauth1: null,
    supportsPkce: true,
    refreshWindowSeconds: null,
    refreshTokenIdleDays: null,
    docsUrl: null,
    connectionParams: [],
    configParams: [],
    paramRules: {},
    generic: null,
    proxy: null,
    apiKey: null,
    basic: null,
    check: null,
    ...fields,
  };
}

const GENERIC_TEMPLATES: ProviderTemplate[] = [
  providerTemplate({
    name: 'custom',
    displayName: 'Custom OAuth 2 provider (give authorizationUrl and tokenUrl)',
    docsUrl: 'https://www.rfc-editor.org/rfc/rfc6749',
    generic: 'custom',
  }),
  providerTemplate({
    name: 'oidc',
    displayName: 'Any OpenID Connect provider (give its issuer; endpoints come from discovery)',
    defaultScopes: ['openid'],
    docsUrl: 'https://openid.net/specs/openid-connect-discovery-1_0.html',
    generic: 'oidc',
  }),
  providerTemplate({
    name: 'custom-api-key',
    displayName: 'Any API taking an API key (Authorization: Bearer unless the config says where; give baseUrl)',
    authMode: 'API_KEY',
    docsUrl: 'https://www.rfc-editor.org/rfc/rfc6750#section-2.1',
    apiKey: { in: 'header', name: 'Authorization', format: 'Bearer ${apiKey}' },
    supportsPkce: false,
    generic: 'custom-api-key',
  }),
  providerTemplate({
    name: 'custom-basic',
    displayName: 'Any API taking HTTP Basic credentials (give baseUrl)',
    authMode: 'BASIC',
    docsUrl: 'https://www.rfc-editor.org/rfc/rfc7617',
    basic: { usernameHint: 'Username', passwordHint: 'Password', passwordOptional: false },
    supportsPkce: false,
    generic: 'custom-basic',
  }),
  providerTemplate({
    name: 'custom-oauth2-cc',
    displayName: 'Any OAuth 2 client credentials grant (give tokenUrl)',
    authMode: 'OAUTH2_CC',
    docsUrl: 'https://www.rfc-editor.org/rfc/rfc6749#section-4.4',
    supportsPkce: false,
    generic: 'custom-oauth2-cc',
  }),
];

export interface CatalogProblem {
  template: string;
  problem: string;
}

/** Every problem with a raw catalog document; empty when it is valid. */
export function validateCatalog(raw: unknown): CatalogProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [{ template: '(file)', problem: 'must be a JSON object keyed by template name' }];
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  const names = new Set(entries.map(([name]) => name));
  const problems: CatalogProblem[] = [];
  for (const [name, value] of entries) {
    if (!TEMPLATE_NAME.test(name)) problems.push({ template: name, problem: 'name must be lowercase kebab-case' });
    if (GENERIC_TEMPLATES.some((generic) => generic.name === name)) {
      problems.push({ template: name, problem: 'name is reserved for a generic template' });
    }
    const parsed = TemplateSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ template: name, problem: `${issue.path.join('.') || '(entry)'}: ${issue.message}` });
      }
      continue;
    }
    if (parsed.data.alias !== undefined && !names.has(parsed.data.alias)) {
      problems.push({ template: name, problem: `alias "${parsed.data.alias}" is not a template in the catalog` });
    }
    const from = parsed.data.proxy?.base_url_from;
    if (from && !(parsed.data.auth_mode === 'OAUTH2' && parsed.data.token_response_metadata.includes(from.metadata))) {
      problems.push({ template: name, problem: `proxy.base_url_from: ${from.metadata} must be one of the template's token_response_metadata (where it is kept)` });
    }
    const placement = placementProblems(urlsOf(parsed.data), paramRulesOf(parsed.data));
    problems.push(...placement.map((problem) => ({ template: name, problem })));
  }
  return problems;
}

/** Every URL of a template that may hold params (a client credentials template's token params may be URLs: an audience). */
function urlsOf(data: TemplateData): Array<[field: string, url: string]> {
  const urls: Array<[string, string | undefined]> = [['proxy.base_url', data.proxy?.base_url]];
  if (data.auth_mode === 'OAUTH2' || data.auth_mode === 'OAUTH1') urls.push(['authorization_url', data.authorization_url], ['token_url', data.token_url]);
  if (data.auth_mode === 'OAUTH2') urls.push(['refresh_url', data.refresh_url], ['revocation_url', data.revocation_url]);
  if (data.auth_mode === 'OAUTH1') urls.push(['request_url', data.request_url]);
  if (data.auth_mode === 'OAUTH2_CC') {
    urls.push(['token_url', data.token_url]);
    for (const [name, value] of Object.entries(data.token_params)) if (value.includes('${')) urls.push([`token_params.${name}`, value]);
  }
  return urls.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

function paramRulesOf(data: TemplateData): ParamRules {
  return Object.fromEntries(
    Object.entries(data.connection_params).map(([name, rule]): [string, ParamRule] => {
      if (rule.kind === 'host') return [name, { givenBy: 'config', kind: 'host' }];
      if (rule.kind === 'one_of') return [name, { givenBy: rule.given_by, kind: 'one_of', values: rule.values }];
      return [name, { givenBy: rule.given_by, kind: rule.kind }];
    }),
  );
}

function toTemplate(name: string, data: TemplateData): ProviderTemplate {
  const paramRules = paramRulesOf(data);
  const base = {
    name,
    displayName: data.display_name,
    category: data.category,
    docsUrl: data.docs,
    connectionParams: Object.keys(paramRules).filter((param) => paramRules[param]!.givenBy === 'end_user').sort(),
    configParams: Object.keys(paramRules).filter((param) => paramRules[param]!.givenBy === 'config').sort(),
    paramRules,
    proxy: data.proxy ? { baseUrl: data.proxy.base_url ?? null, baseUrlFrom: data.proxy.base_url_from ?? null, headers: data.proxy.headers, token: data.proxy.token ?? null } : null,
  };
  switch (data.auth_mode) {
    case 'API_KEY':
      return providerTemplate({ ...base, authMode: 'API_KEY', apiKey: data.api_key, check: data.check ?? null, supportsPkce: false });
    case 'BASIC': {
      const { username_hint, password_hint, password_optional } = data.basic;
      return providerTemplate({ ...base, authMode: 'BASIC', basic: { usernameHint: username_hint, passwordHint: password_hint, passwordOptional: password_optional }, check: data.check ?? null, supportsPkce: false });
    }
    case 'APP':
      return providerTemplate({ ...base, authMode: 'APP', supportsPkce: false });
    case 'OAUTH2_CC':
      return providerTemplate({
        ...base,
        authMode: 'OAUTH2_CC',
        tokenUrl: data.token_url,
        scopeSeparator: data.scope_separator,
        defaultScopes: data.default_scopes,
        tokenParams: data.token_params,
        authorizationMethod: data.authorization_method,
        bodyFormat: data.body_format,
        refreshWindowSeconds: data.token_expiration_buffer ?? null,
        supportsPkce: false,
      });
    default:
      return codeFlowTemplate(base, data);
  }
}

function codeFlowTemplate(base: Pick<ProviderTemplate, 'name' | 'displayName'> & Partial<ProviderTemplate>, data: Extract<TemplateData, { auth_mode: 'OAUTH2' | 'OAUTH1' }>): ProviderTemplate {
  const shared = {
    ...base,
    authorizationUrl: data.authorization_url,
    tokenUrl: data.token_url,
    scopeSeparator: data.scope_separator,
    defaultScopes: data.default_scopes,
    authorizationParams: data.authorization_params,
    tokenParams: data.token_params,
  };
  if (data.auth_mode === 'OAUTH1') {
    return providerTemplate({
      ...shared,
      authMode: 'OAUTH1',
      oauth1: { requestUrl: data.request_url, requestParams: data.request_params, signatureMethod: data.signature_method },
      supportsPkce: false,
    });
  }
  return providerTemplate({
    ...shared,
    refreshUrl: data.refresh_url ?? null,
    revocationUrl: data.revocation_url ?? null,
    authorizationMethod: data.authorization_method,
    refreshParams: data.refresh_params,
    bodyFormat: data.body_format,
    tokenResponseMetadata: data.token_response_metadata,
    redirectUriMetadata: data.redirect_uri_metadata,
    accessTokenPath: data.access_token_path ?? null,
    supportsPkce: !data.disable_pkce,
    refreshWindowSeconds: data.token_expiration_buffer ?? null,
    refreshTokenIdleDays: data.refresh_token_idle_days ?? null,
  });
}

export class ProviderCatalog {
  private readonly byName: Map<string, ProviderTemplate>;

  constructor(templates: ProviderTemplate[]) {
    this.byName = new Map(templates.map((template) => [template.name, template]));
  }

  get(name: string): ProviderTemplate | undefined {
    return this.byName.get(name);
  }

  /**
   * Templates sorted by name; `search` matches name or display name,
   * case-insensitively; `authMode` and `category` keep only theirs.
   */
  list(filter: { search?: string | null; authMode?: AuthMode | null; category?: Category | null } = {}): ProviderTemplate[] {
    const needle = filter.search?.trim().toLowerCase();
    return [...this.byName.values()]
      .filter((template) => !filter.authMode || template.authMode === filter.authMode)
      .filter((template) => !filter.category || template.category === filter.category)
      .filter((template) => !needle || template.name.includes(needle) || template.displayName.toLowerCase().includes(needle))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

export const CATALOG_FILE = new URL('./providers.json', import.meta.url);

export function readCatalogFile(): unknown {
  return JSON.parse(readFileSync(CATALOG_FILE, 'utf8'));
}

/** Loads and validates providers.json; throws naming every bad entry. */
export function loadCatalog(raw: unknown = readCatalogFile()): ProviderCatalog {
  const problems = validateCatalog(raw);
  if (problems.length > 0) {
    const lines = problems.map(({ template, problem }) => `  - ${template}: ${problem}`).join('\n');
    throw new Error(`The provider catalog is invalid:\n${lines}`);
  }
  const templates = Object.entries(raw as Record<string, unknown>).map(([name, value]) =>
    toTemplate(name, TemplateSchema.parse(value)),
  );
  return new ProviderCatalog([...templates, ...GENERIC_TEMPLATES]);
}
