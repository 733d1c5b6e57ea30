import { describe, expect, it } from '@jest/globals';
import { loadCatalog, readCatalogFile, validateCatalog } from './catalog.js';

const GOOD = {
  display_name: 'Example',
  auth_mode: 'OAUTH2',
  authorization_url: 'https://example.com/oauth/authorize',
  token_url: 'https://example.com/oauth/token',
  docs: 'https://example.com/docs/oauth',
};

describe('the provider catalog file', () => {
  const raw = readCatalogFile() as Record<string, unknown>;

  it('is valid, entry by entry', () => {
    expect(validateCatalog(raw)).toEqual([]);
  });

  it('holds at least 150 templates with OAuth 1.0a ones, including the early-2023 Nango set', () => {
    const modes = Object.values(raw).map((entry) => (entry as { auth_mode: string }).auth_mode);
    expect(modes.length).toBeGreaterThanOrEqual(150);
    expect(modes.filter((mode) => mode === 'OAUTH1').length).toBeGreaterThanOrEqual(5);
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(['trello', 'twitter', 'tumblr', 'flickr', 'evernote']));
    const required = [
      'github', 'gitlab', 'bitbucket', 'google', 'google-calendar', 'google-mail', 'slack', 'discord', 'notion',
      'salesforce', 'hubspot', 'asana', 'linear', 'jira', 'confluence', 'microsoft', 'dropbox', 'box', 'zoom',
      'shopify', 'zendesk', 'xero', 'quickbooks', 'stripe', 'linkedin', 'twitter-v2', 'reddit', 'spotify', 'figma', 'airtable',
    ];
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(required));
  });

  it('keeps its keys sorted so diffs stay readable', () => {
    const keys = Object.keys(raw);
    expect(keys).toEqual([...keys].sort());
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
    const tenant = { ...GOOD, authorization_url: 'https://${connectionConfig.params.subdomain}.example.com/authorize' };
    expect(validateCatalog({ tenant })).toEqual([]);
    expect(() => loadCatalog({ broken: { ...GOOD, token_url: 'ftp://x' } })).toThrow(/broken: token_url: must be an https:\/\/ URL/);
  });
});
