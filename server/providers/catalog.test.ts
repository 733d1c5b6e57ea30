import { describe, expect, it } from '@jest/globals';
import { loadCatalog, readCatalogFile, validateCatalog, type ProviderTemplate } from './catalog.js';
import { checkVisitorParams, ConnectionParamError, effectiveParams, interpolateConnectionParams, type ParamRule } from './connection-params.js';

const GOOD = {
  display_name: 'Example',
  auth_mode: 'OAUTH2',
  category: 'other',
  authorization_url: 'https://example.com/oauth/authorize',
  token_url: 'https://example.com/oauth/token',
  docs: 'https://example.com/docs/oauth',
};

describe('the provider catalog file', () => {
  const raw = readCatalogFile() as Record<string, unknown>;

  it('is valid, entry by entry', () => {
    expect(validateCatalog(raw)).toEqual([]);
  });

  it('holds 500 templates and more, every auth mode, including the early-2023 Nango set', () => {
    const modes = Object.values(raw).map((entry) => (entry as { auth_mode: string }).auth_mode);
    const count = (mode: string) => modes.filter((each) => each === mode).length;
    expect(modes.length).toBeGreaterThanOrEqual(500);
    expect(count('OAUTH2')).toBeGreaterThanOrEqual(300);
    expect(count('API_KEY')).toBeGreaterThanOrEqual(100);
    expect(count('BASIC')).toBeGreaterThanOrEqual(40);
    expect(count('OAUTH2_CC')).toBeGreaterThanOrEqual(30);
    expect(count('APP')).toBeGreaterThanOrEqual(1);
    expect(count('OAUTH1')).toBeGreaterThanOrEqual(5);
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(['trello', 'twitter', 'tumblr', 'flickr', 'evernote']));
    const required = [
      'github', 'gitlab', 'bitbucket', 'google', 'google-calendar', 'google-mail', 'slack', 'discord', 'notion',
      'salesforce', 'hubspot', 'asana', 'linear', 'jira', 'confluence', 'microsoft', 'dropbox', 'box', 'zoom',
      'shopify', 'zendesk', 'xero', 'quickbooks', 'stripe', 'linkedin', 'twitter-v2', 'reddit', 'spotify', 'figma', 'airtable',
    ];
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(required));
  });

  it('says where the API lives for 500 templates and more, 300 of them OAuth, each base an https root the caller path is appended to', () => {
    const entries = Object.entries(raw) as Array<[string, { auth_mode: string; proxy?: { base_url: string } }]>;
    const withBase = entries.filter(([, entry]) => entry.proxy?.base_url !== undefined);
    expect(withBase.length).toBeGreaterThanOrEqual(500);
    expect(withBase.filter(([, entry]) => entry.auth_mode === 'OAUTH2' || entry.auth_mode === 'OAUTH1').length).toBeGreaterThanOrEqual(300);
    const malformed = withBase.filter(([, entry]) => {
      const base = entry.proxy!.base_url;
      // A trailing slash, a query or a fragment would be doubled or lost when the proxy appends the caller's path.
      const url = new URL(base.replace(/\$\{connectionConfig\.params\.[A-Za-z0-9_]+\}/g, 'param'));
      return url.protocol !== 'https:' || base.endsWith('/') || base.includes('?') || base.includes('#') || url.search !== '' || url.hash !== '';
    });
    expect(malformed.map(([name]) => name)).toEqual([]);
    const catalog = loadCatalog(raw);
    expect(catalog.get('github')?.proxy).toEqual({ baseUrl: 'https://api.github.com', baseUrlFrom: null, headers: {}, token: null });
    expect(catalog.get('slack')?.proxy?.baseUrl).toBe('https://slack.com/api');
    expect(catalog.get('zendesk')?.proxy?.baseUrl).toBe('https://${connectionConfig.params.subdomain}.zendesk.com');
    expect(catalog.get('notion')?.proxy?.headers).toEqual({ 'Notion-Version': '2022-06-28' });
    // Its API host comes in the token response (instance_url): the provider config gives the base URL.
    // Salesforce names each connection's API in its token response: the proxy goes there, under its domains only.
    expect(catalog.get('salesforce')?.proxy).toEqual({ baseUrl: null, baseUrlFrom: { metadata: 'instance_url', hosts: ['*.salesforce.com', '*.force.com'], path: '' }, headers: {}, token: null });
  });

  it('keeps its keys sorted so diffs stay readable', () => {
    const keys = Object.keys(raw);
    expect(keys).toEqual([...keys].sort());
  });

  it('declares who may give every param, keeping whole hosts for the provider config', () => {
    const catalog = loadCatalog(raw);
    expect(catalog.get('gitlab-self-managed')).toMatchObject({ connectionParams: [], configParams: ['hostname'] });
    expect(catalog.get('keycloak')).toMatchObject({ connectionParams: ['realm'], configParams: ['hostname'] });
    expect(catalog.get('jira-data-center')?.configParams).toEqual(['hostname']);
    expect(catalog.get('zoho')?.paramRules.extension).toMatchObject({ givenBy: 'end_user', kind: 'one_of', values: expect.arrayContaining(['com', 'eu', 'com.au']) });
    expect(catalog.get('microsoft-tenant')?.paramRules.tenant).toEqual({ givenBy: 'end_user', kind: 'path_segment' });
  });

  it('loads with the generic templates and derives connection params from placeholders', () => {
    const catalog = loadCatalog(raw);
    expect(catalog.get('custom')?.generic).toBe('custom');
    expect(catalog.get('oidc')?.generic).toBe('oidc');
    expect(catalog.get('zendesk')?.connectionParams).toEqual(['subdomain']);
    expect(catalog.get('github')).toMatchObject({ scopeSeparator: ' ', authorizationMethod: 'body', connectionParams: [] });
    expect(catalog.get('trello')).toMatchObject({ authMode: 'OAUTH1', oauth1: { requestUrl: expect.stringMatching(/^https:\/\//) } });
    expect(catalog.get('salesforce')?.tokenResponseMetadata).toContain('instance_url');
    expect(catalog.get('quickbooks')?.redirectUriMetadata).toContain('realmId');
  });
});

describe('the catalog validator', () => {
  const API_KEY = { display_name: 'Keyed', auth_mode: 'API_KEY', category: 'crm', docs: 'https://example.com/docs', proxy: { base_url: 'https://api.example.com' }, api_key: { in: 'header', name: 'X-Api-Key' } };
  const BASIC = { display_name: 'Basic', auth_mode: 'BASIC', category: 'crm', docs: 'https://example.com/docs', proxy: { base_url: 'https://api.example.com' }, basic: { username_hint: 'Email', password_hint: 'API token' } };
  const CC = { display_name: 'Machine', auth_mode: 'OAUTH2_CC', category: 'crm', docs: 'https://example.com/docs', token_url: 'https://example.com/token' };

  it('reads every auth mode, with where an API key goes, what Basic asks for, and the check request', () => {
    const app = { display_name: 'App', auth_mode: 'APP', category: 'dev-tools', docs: 'https://example.com/docs', proxy: { base_url: 'https://api.example.com' } };
    const catalog = loadCatalog({ keyed: { ...API_KEY, check: { method: 'GET', path: '/v1/me' } }, basic: BASIC, machine: CC, app });
    expect(catalog.get('keyed')).toMatchObject({ authMode: 'API_KEY', category: 'crm', apiKey: { in: 'header', name: 'X-Api-Key', format: '${apiKey}' }, check: { method: 'GET', path: '/v1/me' }, proxy: { baseUrl: 'https://api.example.com', headers: {} } });
    expect(catalog.get('basic')).toMatchObject({ authMode: 'BASIC', basic: { usernameHint: 'Email', passwordHint: 'API token', passwordOptional: false }, check: null });
    expect(catalog.get('machine')).toMatchObject({ authMode: 'OAUTH2_CC', tokenUrl: 'https://example.com/token', authorizationUrl: null });
    expect(catalog.get('app')?.authMode).toBe('APP');
    expect(catalog.list({ authMode: 'API_KEY' }).map((template) => template.name)).toEqual(['custom-api-key', 'keyed']);
    expect(catalog.list({ category: 'crm', search: 'mach' }).map((template) => template.name)).toEqual(['machine']);
  });

  it.each([
    ['a key format without the key', { ...API_KEY, api_key: { ...API_KEY.api_key, format: 'Bearer token' } }, 'api_key.format: must hold ${apiKey} once'],
    ['a header name with a space', { ...API_KEY, api_key: { ...API_KEY.api_key, name: 'X Api Key' } }, 'api_key.name: is not a header or parameter name'],
    ['a key without a base URL', { ...API_KEY, proxy: undefined }, 'proxy: Required'],
    ['a check to another host', { ...API_KEY, check: { method: 'GET', path: '//evil.example/x' } }, 'check.path: must be a path'],
    ['a check climbing out of the base path', { ...API_KEY, check: { method: 'GET', path: '/v1/../../admin' } }, 'check.path: must not have . or .. segments'],
    ['a check that writes', { ...API_KEY, check: { method: 'POST', path: '/v1/me' } }, 'check.method'],
    ['an unknown category', { ...API_KEY, category: 'gaming' }, 'category: Invalid enum value'],
    ['Basic without hints', { ...BASIC, basic: {} }, 'basic.username_hint: Required'],
    ['client credentials with an authorization URL', { ...CC, authorization_url: 'https://example.com/authorize' }, "Unrecognized key(s) in object: 'authorization_url'"],
    ['an undeclared param in a token param', { ...CC, token_params: { audience: 'https://${connectionConfig.params.tenant}.example.com/' } }, 'token_params.audience: the param "tenant" needs a connection_params declaration'],
    ['an end-user base URL host', { ...API_KEY, proxy: { base_url: 'https://${connectionConfig.params.host}/api' }, connection_params: { host: { given_by: 'end_user', kind: 'dns_label' } } }, 'proxy.base_url: the param "host" must be followed by a fixed parent domain'],
  ])('rejects %s', (_what, entry, problem) => {
    expect(validateCatalog({ example: entry }).map((found) => found.problem).join('\n')).toContain(problem);
  });

  it.each([
    ['an http URL', { ...GOOD, token_url: 'http://example.com/token' }, 'token_url: must be an https:// URL'],
    ['a relative URL', { ...GOOD, authorization_url: '/authorize' }, 'authorization_url: must be an absolute URL'],
    ['an unknown field', { ...GOOD, colour: 'blue' }, "Unrecognized key(s) in object: 'colour'"],
    ['a missing token URL', { ...GOOD, token_url: undefined }, 'token_url: Required'],
    ['a foreign placeholder', { ...GOOD, token_url: 'https://${process.env.HOME}.example.com/token' }, 'token_url: placeholders must look like'],
    ['a non-string param', { ...GOOD, authorization_params: { prompt: 1 } }, 'authorization_params.prompt: Expected string'],
    ['a bad authorization method', { ...GOOD, authorization_method: 'query' }, 'authorization_method: Invalid enum value'],
  ])('rejects %s', (_what, entry, problem) => {
    const problems = validateCatalog({ example: entry });
    expect(problems.map((found) => `${found.problem}`).join('\n')).toContain(problem);
    expect(problems.every((found) => found.template === 'example')).toBe(true);
  });

  it('validates revocation_url like the other URLs, its params under the same rules, and only for OAuth 2', () => {
    const label = { given_by: 'end_user', kind: 'dns_label' };
    expect(validateCatalog({ example: { ...GOOD, revocation_url: 'https://example.com/oauth/revoke' } })).toEqual([]);
    expect(validateCatalog({ example: { ...GOOD, revocation_url: 'http://example.com/revoke' } })[0]?.problem).toBe('revocation_url: must be an https:// URL');
    const problemsOf = (entry: object) => validateCatalog({ example: entry }).map((found) => found.problem).join('\n');
    expect(problemsOf({ ...GOOD, revocation_url: 'https://${connectionConfig.params.subdomain}.example.com/revoke' })).toContain('revocation_url: the param "subdomain" needs a connection_params declaration');
    expect(problemsOf({ ...GOOD, revocation_url: 'https://${connectionConfig.params.subdomain}/revoke', connection_params: { subdomain: label } })).toContain('must be followed by a fixed parent domain');
    const oauth1 = { ...GOOD, auth_mode: 'OAUTH1', request_url: 'https://example.com/request_token', revocation_url: 'https://example.com/revoke' };
    expect(problemsOf(oauth1)).toContain("Unrecognized key(s) in object: 'revocation_url'");
    const catalog = loadCatalog();
    expect(catalog.get('google')?.revocationUrl).toBe('https://oauth2.googleapis.com/revoke');
    expect(catalog.get('keycloak')?.revocationUrl).toBe('https://${connectionConfig.params.hostname}/realms/${connectionConfig.params.realm}/protocol/openid-connect/revoke');
    expect(catalog.get('github')?.revocationUrl).toBeNull();
  });

  it('validates OAuth 1.0a entries: a request URL and a known signature method', () => {
    const oauth1 = { ...GOOD, auth_mode: 'OAUTH1', request_url: 'https://example.com/request_token' };
    expect(validateCatalog({ example: oauth1 })).toEqual([]);
    expect(validateCatalog({ example: { ...oauth1, request_url: undefined } })[0]?.problem).toContain('request_url');
    expect(validateCatalog({ example: { ...oauth1, signature_method: 'RSA-SHA1' } })[0]?.problem).toContain('signature_method');
    expect(validateCatalog({ example: { ...oauth1, disable_pkce: true } })[0]?.problem).toContain("Unrecognized key(s) in object: 'disable_pkce'");
  });

  it('rejects a dangling alias, a bad name and a reserved name', () => {
    expect(validateCatalog({ example: { ...GOOD, alias: 'missing' } })).toEqual([
      { template: 'example', problem: 'alias "missing" is not a template in the catalog' },
    ]);
    expect(validateCatalog({ Example_One: GOOD })[0]?.problem).toBe('name must be lowercase kebab-case');
    expect(validateCatalog({ custom: GOOD })[0]?.problem).toBe('name is reserved for a generic template');
  });

  it('accepts tenant placeholders and refuses to load an invalid catalog', () => {
    const tenant = {
      ...GOOD,
      authorization_url: 'https://${connectionConfig.params.subdomain}.example.com/authorize',
      connection_params: { subdomain: { given_by: 'end_user', kind: 'dns_label' } },
    };
    expect(validateCatalog({ tenant })).toEqual([]);
    expect(() => loadCatalog({ broken: { ...GOOD, token_url: 'ftp://x' } })).toThrow(/broken: token_url: must be an https:\/\/ URL/);
  });
});

const PARAM_TEMPLATE = (authorization: string, connection_params: Record<string, unknown>) => ({
  ...GOOD,
  authorization_url: authorization,
  connection_params,
});
const label = { given_by: 'end_user', kind: 'dns_label' };

describe('the catalog validator on connection params', () => {
  it.each([
    ['an undeclared placeholder', PARAM_TEMPLATE('https://${connectionConfig.params.subdomain}.example.com/a', {}), 'needs a connection_params declaration'],
    ['an end-user label that is the whole host', PARAM_TEMPLATE('https://${connectionConfig.params.subdomain}/a', { subdomain: label }), 'must be followed by a fixed parent domain'],
    ['an end-user label under a bare top-level domain', PARAM_TEMPLATE('https://${connectionConfig.params.subdomain}.com/a', { subdomain: label }), 'must be followed by a fixed parent domain'],
    ['an end-user label followed by another param', PARAM_TEMPLATE('https://${connectionConfig.params.a}.${connectionConfig.params.b}/x', { a: label, b: { given_by: 'end_user', kind: 'one_of', values: ['com'] } }), 'must be followed by a fixed parent domain'],
    ['an end-user label before a port', PARAM_TEMPLATE('https://api.example.com:${connectionConfig.params.port}/a', { port: label }), 'authorization_url: must be an absolute URL'],
    ['a whole host an end user gives', PARAM_TEMPLATE('https://${connectionConfig.params.hostname}/a', { hostname: { given_by: 'end_user', kind: 'host' } }), 'a whole host is given by the provider config only'],
    ['a host param that is only part of the host', PARAM_TEMPLATE('https://${connectionConfig.params.hostname}.example.com/a', { hostname: { given_by: 'config', kind: 'host' } }), 'a host param must be the whole host'],
    ['a host param in the path', PARAM_TEMPLATE('https://example.com/${connectionConfig.params.hostname}/a', { hostname: { given_by: 'config', kind: 'host' } }), 'may appear only as the whole host'],
    ['a path segment in the host', PARAM_TEMPLATE('https://${connectionConfig.params.realm}.example.com/a', { realm: { given_by: 'end_user', kind: 'path_segment' } }), 'cannot be part of a host'],
    ['a declaration no URL uses', { ...GOOD, connection_params: { subdomain: label } }, 'connection_params.subdomain: no URL of the template uses it'],
    ['listed values that are not host labels', PARAM_TEMPLATE('https://accounts.example.${connectionConfig.params.tld}/a', { tld: { given_by: 'end_user', kind: 'one_of', values: ['evil.com/x'] } }), 'listed values are lowercase host name labels'],
  ])('refuses %s', (_what, entry, problem) => {
    expect(validateCatalog({ example: entry }).map((found) => found.problem).join('\n')).toContain(problem);
  });

  it('accepts labels under a fixed parent, listed values, path segments and config hosts', () => {
    expect(
      validateCatalog({
        a: PARAM_TEMPLATE('https://${connectionConfig.params.subdomain}.auth.${connectionConfig.params.region}.example.com/a', { subdomain: label, region: label }),
        b: PARAM_TEMPLATE('https://accounts.example.${connectionConfig.params.tld}/a', { tld: { given_by: 'end_user', kind: 'one_of', values: ['com', 'co.uk'] } }),
        c: PARAM_TEMPLATE('https://login.example.com/${connectionConfig.params.tenant}/a', { tenant: { given_by: 'end_user', kind: 'path_segment' } }),
        d: PARAM_TEMPLATE('https://${connectionConfig.params.hostname}/a', { hostname: { given_by: 'config', kind: 'host' } }),
      }),
    ).toEqual([]);
  });
});

// What a visitor of /oauth/connect may send: hosts, ports, paths, user info,
// IP literals in several notations, look-alike parents.
const ADVERSARIAL = [
  'attacker.example', 'com.attacker.example', 'zendesk.com.attacker.example', 'accounts.attacker.example', 'attacker',
  '127.0.0.1', '127.0.0.1:8080', '169.254.169.254', '0.0.0.0', '[::1]', '2130706433', '0x7f.1', 'localhost',
  'evil.example/x', 'evil.example?', 'evil.example#', 'a@evil.example', 'evil.example:443', 'evil.example\\x',
  '..', '.', '%2e%2e', 'x/../../evil', 'EVIL.example', 'com/', 'com.', 'eu.attacker.example', ' com', 'com ',
];
const CONFIG_HOST = 'config-host.example:8443';

function benignValue(rule: ParamRule): string {
  switch (rule.kind) {
    case 'one_of':
      return rule.values[0]!;
    case 'dns_labels':
      return 'xy12345.us-east-2';
    case 'path_segment':
      return 'tenant-1';
    default:
      return 'tenant-1';
  }
}

function urlsOf(template: ProviderTemplate): string[] {
  return [template.authorizationUrl, template.tokenUrl, template.refreshUrl, template.revocationUrl, template.oauth1?.requestUrl, template.proxy?.baseUrl].filter((url): url is string => typeof url === 'string');
}

/**
 * The hosts a template URL may reach whatever a visitor sends: its fixed host,
 * the config's host, any host under its fixed parent domain, or one of the
 * finitely many hosts its listed values make.
 */
function hostIsFixedOrConfigs(templateUrl: string, url: URL, template: ProviderTemplate, config: Record<string, string>): boolean {
  if (url.protocol !== 'https:' || url.username || url.password) return false;
  const authority = /^https:\/\/([^/?#]*)/.exec(templateUrl)![1]!;
  const placeholders = [...authority.matchAll(/\$\{connectionConfig\.params\.([A-Za-z0-9_]+)\}/g)];
  if (placeholders.length === 0) return url.host === authority;
  if (placeholders.length === 1 && placeholders[0]![0] === authority && template.paramRules[placeholders[0]![1]!]?.givenBy === 'config') {
    return url.host === config[placeholders[0]![1]!];
  }
  const last = placeholders.at(-1)!;
  const parent = authority.slice(last.index! + last[0].length);
  if (/^(\.[a-z0-9-]+){2,}$/.test(parent)) return url.host.endsWith(parent) && url.port === '';
  // The host ends with listed values: it must be one the template lists.
  const listed = new Set<string>();
  const name = last[1]!;
  const rule = template.paramRules[name];
  if (rule?.kind !== 'one_of') return false;
  for (const value of rule.values) listed.add(authority.replace(last[0], value).replace(/\$\{connectionConfig\.params\.([A-Za-z0-9_]+)\}/g, (_m, other: string) => benignValue(template.paramRules[other]!)));
  return listed.has(url.host);
}

describe('every template of the catalog', () => {
  const catalog = loadCatalog();
  const templates = catalog.list();

  it('covers the templates whose hosts hold params', () => {
    const withHostParams = templates.filter((template) => urlsOf(template).some((url) => /^https:\/\/[^/]*\$\{/.test(url)));
    expect(withHostParams.length).toBeGreaterThanOrEqual(25);
  });

  it.each(templates.map((template) => [template.name, template] as const))(
    '%s sends the client secret, codes and keys only to hosts fixed by the template or set by the secret-key holder',
    (_name, template) => {
      const rules = template.paramRules;
      const config = Object.fromEntries(template.configParams.map((name) => [name, CONFIG_HOST]));
      const benign = Object.fromEntries(template.connectionParams.map((name) => [name, benignValue(rules[name]!)]));
      const attempts: Array<Record<string, string>> = [benign];
      for (const name of Object.keys(rules)) for (const value of ADVERSARIAL) attempts.push({ ...benign, [name]: value });
      let reached = 0;
      for (const visitor of attempts) {
        const configOnlyGiven = Object.keys(visitor).some((name) => rules[name]?.givenBy === 'config' && visitor[name] !== config[name]);
        try {
          checkVisitorParams(rules, visitor, config);
        } catch (error) {
          expect(error).toBeInstanceOf(ConnectionParamError);
          continue;
        }
        // A visitor never gets past the check with a param only the config may give.
        expect(configOnlyGiven).toBe(false);
        const values = effectiveParams(rules, visitor, config);
        for (const templateUrl of urlsOf(template)) {
          let url: URL;
          try {
            url = new URL(interpolateConnectionParams(templateUrl, values, rules));
          } catch (error) {
            expect(error).toBeInstanceOf(ConnectionParamError);
            continue;
          }
          reached++;
          if (!hostIsFixedOrConfigs(templateUrl, url, template, config)) {
            throw new Error(`${template.name}: params ${JSON.stringify(visitor)} send ${templateUrl} to ${url.host}`);
          }
        }
      }
      // The benign values always make usable URLs.
      expect(reached).toBeGreaterThanOrEqual(urlsOf(template).length);
    },
  );

  it('fills a config param from the config even when a stored connection holds a visitor value', () => {
    const template = catalog.get('gitlab-self-managed')!;
    const values = effectiveParams(template.paramRules, { hostname: 'attacker.example' }, { hostname: 'gitlab.example.com' });
    expect(new URL(interpolateConnectionParams(template.tokenUrl!, values, template.paramRules)).host).toBe('gitlab.example.com');
    expect(() => interpolateConnectionParams(template.tokenUrl!, effectiveParams(template.paramRules, { hostname: 'attacker.example' }, {}), template.paramRules)).toThrow(/lacks its "hostname" param/);
  });
});
