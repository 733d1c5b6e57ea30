// ${connectionConfig.params.name} placeholders in template URLs, and who may
// give each one. An end user (any visitor of /oauth/connect) may give only a
// value that cannot move the client secret to a host of their choosing: one DNS
// label under the template's fixed parent domain, one of the template's listed
// values, or one path segment. Whole hosts come from the provider config, which
// only the secret-key holder writes.

const PLACEHOLDER = /\$\{connectionConfig\.params\.([A-Za-z][A-Za-z0-9_]*)\}/g;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// Unreserved characters only (RFC 3986), never "." or ".." on their own.
const PATH_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}$/;

export const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export type ParamRule =
  /** One DNS label, placed before a fixed parent domain (`${subdomain}.zendesk.com`). */
  | { givenBy: 'end_user' | 'config'; kind: 'dns_label' }
  /** Dot-separated DNS labels before a fixed parent domain (Snowflake's `xy12345.us-east-2.aws`). */
  | { givenBy: 'end_user' | 'config'; kind: 'dns_labels' }
  /** One of the template's values (Zoho's data-centre domains). */
  | { givenBy: 'end_user' | 'config'; kind: 'one_of'; values: string[] }
  /** One path segment (a Keycloak realm, a Microsoft tenant): it cannot change the host. */
  | { givenBy: 'end_user' | 'config'; kind: 'path_segment' }
  /** A whole host[:port] (self-managed GitLab): only the provider config may give it. */
  | { givenBy: 'config'; kind: 'host' };

export type ParamRules = Record<string, ParamRule>;

export class ConnectionParamError extends Error {
  override name = 'ConnectionParamError';

  constructor(
    readonly kind: 'missing' | 'invalid' | 'config_only' | 'missing_in_config',
    readonly param: string,
    detail?: string,
  ) {
    super(messageFor(kind, param, detail));
  }
}

function messageFor(kind: ConnectionParamError['kind'], param: string, detail: string | undefined): string {
  switch (kind) {
    case 'missing':
      return `The connection param "${param}" is required by this provider: pass it as params[${param}].`;
    case 'invalid':
      return `The connection param "${param}" ${detail ?? 'is not valid'}.`;
    case 'config_only':
      return `The connection param "${param}" is set on the provider config by its owner; an end user may not give it.`;
    case 'missing_in_config':
      return `The provider config lacks its "${param}" param: its owner sets it (\`nango config:edit ... --param ${param}=...\` or params in updateProviderConfig).`;
  }
}

export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

// What follows the last end-user label of a host: a parent domain of at least two labels.
const FIXED_PARENT_DOMAIN = /^(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?){2,}$/;

const placeholder = (name: string) => '${connectionConfig.params.' + name + '}';

/**
 * The trust rules of a template's params, over its endpoint URLs: each
 * placeholder declared, and no value an end user gives can choose the host.
 * In the host, an end-user param is a listed value, or labels followed by a
 * fixed parent domain; a whole host is a config param and the whole authority.
 */
export function placementProblems(urls: Array<[field: string, url: string]>, rules: ParamRules): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const [field, url] of urls) {
    for (const name of placeholdersIn(url)) {
      used.add(name);
      if (!rules[name]) problems.push(`${field}: the param "${name}" needs a connection_params declaration (who may give it)`);
    }
    // A value that is no URL (a client credentials token param) chooses no host.
    const match = /^https:\/\/([^/?#]*)(.*)$/s.exec(url);
    if (!match) continue;
    const [, authority = '', rest = ''] = match;
    for (const name of placeholdersIn(rest)) {
      if (rules[name]?.kind === 'host') problems.push(`${field}: the host param "${name}" may appear only as the whole host`);
    }
    const inHost = placeholdersIn(authority);
    if (inHost.some((name) => rules[name]?.kind === 'host')) {
      if (inHost.length !== 1 || authority !== placeholder(inHost[0]!)) problems.push(`${field}: a host param must be the whole host, alone`);
      continue;
    }
    for (const name of inHost) {
      if (rules[name]?.kind === 'path_segment') problems.push(`${field}: the path segment param "${name}" cannot be part of a host`);
    }
    const last = inHost.filter((name) => rules[name]?.kind === 'dns_label' || rules[name]?.kind === 'dns_labels').at(-1);
    if (last !== undefined) {
      const parent = authority.slice(authority.lastIndexOf(placeholder(last)) + placeholder(last).length);
      if (!FIXED_PARENT_DOMAIN.test(parent)) {
        problems.push(`${field}: the param "${last}" must be followed by a fixed parent domain (like ${placeholder(last)}.example.com), so an end user cannot choose the host`);
      }
    }
  }
  for (const name of Object.keys(rules)) {
    if (!used.has(name)) problems.push(`connection_params.${name}: no URL of the template uses it`);
  }
  return problems;
}

/** The problem with `value` for `rule`, or null. */
export function paramValueProblem(rule: ParamRule, value: string): string | null {
  switch (rule.kind) {
    case 'dns_label':
      return DNS_LABEL.test(value) ? null : 'must be a single host name label: letters, digits and "-"';
    case 'dns_labels':
      return value.length <= 200 && value.split('.').every((label) => DNS_LABEL.test(label)) ? null : 'must be host name labels: letters, digits, "-" and "."';
    case 'one_of':
      return rule.values.includes(value.toLowerCase()) ? null : `must be one of ${rule.values.join(', ')}`;
    case 'path_segment':
      return PATH_SEGMENT.test(value) ? null : 'must be a single path segment: letters, digits, "-", "_", "~" and "." (not first)';
    case 'host':
      return hostValueProblem(value);
  }
}

/** A host name or IP literal with an optional port, nothing else (no path, user info or scheme). */
export function hostValueProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(`https://${value}/`);
  } catch {
    return 'must be a host name such as gitlab.example.com, with an optional :port';
  }
  if (url.host !== value.toLowerCase() || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    return 'must be a host name such as gitlab.example.com, with an optional :port';
  }
  return null;
}

/**
 * Refuses what a visitor may not give: a param the template does not use, a
 * param only the config sets (unless it repeats the config's value), or a value
 * outside its rule. Missing values are reported when a URL needs them.
 */
export function checkVisitorParams(rules: ParamRules, visitor: Record<string, string>, config: Record<string, string>): void {
  for (const [name, value] of Object.entries(visitor)) {
    const rule = rules[name];
    // Params no URL uses are the connection's own config (Nango keeps them), not a host.
    if (!rule) continue;
    if (config[name] !== undefined) {
      if (config[name] === value) continue;
      throw new ConnectionParamError('config_only', name);
    }
    if (rule.givenBy === 'config') throw new ConnectionParamError('config_only', name);
    const problem = paramValueProblem(rule, value);
    if (problem) throw new ConnectionParamError('invalid', name, problem);
  }
}

/** The values URLs are filled from: the config's params win, a visitor gives only end-user params. */
export function effectiveParams(rules: ParamRules, visitor: Record<string, string>, config: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, rule] of Object.entries(rules)) {
    const value = config[name] ?? (rule.givenBy === 'end_user' ? visitor[name] : undefined);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** Replaces every placeholder in `template`, each value checked against its rule; throws ConnectionParamError. */
export function interpolateConnectionParams(template: string, values: Record<string, string>, rules: ParamRules): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const rule = rules[name];
    const value = values[name];
    if (!rule) throw new ConnectionParamError('invalid', name, 'is not declared by the template');
    if (value === undefined || value === '') throw new ConnectionParamError(rule.givenBy === 'config' ? 'missing_in_config' : 'missing', name);
    const problem = paramValueProblem(rule, value);
    if (problem) throw new ConnectionParamError('invalid', name, problem);
    return rule.kind === 'one_of' ? value.toLowerCase() : value;
  });
}
