// The provider catalog: templates from providers.json (validated on load) plus
// the two generic templates, `custom` and `oidc`, whose endpoints come from the
// provider config itself.
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

const common = {
  display_name: z.string().min(1),
  authorization_url: templateUrl,
  token_url: templateUrl,
  scope_separator: z.string().min(1).default(' '),
  default_scopes: z.array(z.string().min(1)).default([]),
  authorization_params: stringMap.default({}),
  token_params: stringMap.default({}),
  docs: templateUrl,
  alias: z.string().optional(),
  /** Every ${connectionConfig.params.x} of the URLs, with who may give it. */
  connection_params: z.record(z.string(), ParamRuleSchema).default({}),
};

const OAuth2Schema = z
  .object({
    auth_mode: z.literal('OAUTH2'),
    ...common,
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
    /** Where the request token comes from (the temporary credentials endpoint). */
    request_url: templateUrl,
    request_params: stringMap.default({}),
    signature_method: z.enum(['HMAC-SHA1', 'PLAINTEXT']).default('HMAC-SHA1'),
  })
  .strict();

const TemplateSchema = z.discriminatedUnion('auth_mode', [OAuth2Schema, OAuth1Schema]);

export type TemplateData = z.infer<typeof TemplateSchema>;

export type GenericKind = 'custom' | 'oidc';

export interface OAuth1Details {
  requestUrl: string;
  requestParams: Record<string, string>;
  signatureMethod: 'HMAC-SHA1' | 'PLAINTEXT';
}

export interface ProviderTemplate {
  name: string;
  displayName: string;
  authMode: 'OAUTH2' | 'OAUTH1';
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
  /** Set for `custom` and `oidc`. */
  generic: GenericKind | null;
}

/** A template with every field at its default (a plain OAuth 2 provider), then `fields`. */
export function providerTemplate(fields: Pick<ProviderTemplate, 'name' | 'displayName'> & Partial<ProviderTemplate>): ProviderTemplate {
  return {
    authMode: 'OAUTH2',
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
    const placement = placementProblems(urlsOf(parsed.data), paramRulesOf(parsed.data));
    problems.push(...placement.map((problem) => ({ template: name, problem })));
  }
  return problems;
}

function urlsOf(data: TemplateData): Array<[field: string, url: string]> {
  const urls: Array<[string, string | undefined]> = [
    ['authorization_url', data.authorization_url],
    ['token_url', data.token_url],
  ];
  if (data.auth_mode === 'OAUTH2') urls.push(['refresh_url', data.refresh_url], ['revocation_url', data.revocation_url]);
  else urls.push(['request_url', data.request_url]);
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
  const shared = {
    name,
    displayName: data.display_name,
    authorizationUrl: data.authorization_url,
    tokenUrl: data.token_url,
    scopeSeparator: data.scope_separator,
    defaultScopes: data.default_scopes,
    authorizationParams: data.authorization_params,
    tokenParams: data.token_params,
    docsUrl: data.docs,
    connectionParams: Object.keys(paramRules).filter((param) => paramRules[param]!.givenBy === 'end_user').sort(),
    configParams: Object.keys(paramRules).filter((param) => paramRules[param]!.givenBy === 'config').sort(),
    paramRules,
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

  /** Templates sorted by name; `search` matches name or display name, case-insensitively. */
  list(search?: string): ProviderTemplate[] {
    const needle = search?.trim().toLowerCase();
    const all = [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!needle) return all;
    return all.filter(
      (template) => template.name.includes(needle) || template.displayName.toLowerCase().includes(needle),
    );
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
