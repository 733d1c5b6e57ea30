import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestIssuer, type TestIssuer } from './support/oidc-issuer.js';
import { startInProcessServer, type InProcessServer } from './support/in-process.js';

const FIELDS = 'key provider clientId scopes authorizationUrl tokenUrl issuer createdAt updatedAt';
const CREATE = `mutation Create($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation Update($input: UpdateProviderConfigInput!) { updateProviderConfig(input: $input) { ${FIELDS} } }`;
const GET = `query Get($key: String!) { providerConfig(key: $key) { ${FIELDS} } }`;

let server: InProcessServer;
let issuer: TestIssuer;

beforeAll(async () => {
  [server, issuer] = await Promise.all([startInProcessServer(), startTestIssuer()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), issuer?.close()]);
});

function githubInput(key: string) {
  return { key, provider: 'github', clientId: 'client-id-1', clientSecret: 'shh-very-secret', scopes: ['repo', 'user'] };
}

function errorCode(body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) {
  return body.errors?.[0]?.extensions?.code;
}

describe('provider configs over GraphQL', () => {
  it('creates a config with the template endpoints and lists it', async () => {
    const created = await server.graphql(CREATE, { input: githubInput('github') });
    expect(created.errors).toBeUndefined();
    expect(created.data.createProviderConfig).toMatchObject({
      key: 'github',
      provider: 'github',
      clientId: 'client-id-1',
      scopes: ['repo', 'user'],
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      issuer: null,
    });
    expect(new Date(created.data.createProviderConfig.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const listed = await server.graphql('{ providerConfigs { key provider scopes } }');
    expect(listed.data.providerConfigs).toContainEqual({ key: 'github', provider: 'github', scopes: ['repo', 'user'] });
  });

  it('never returns the client secret, in any field', async () => {
    await server.graphql(CREATE, { input: githubInput('secret-check') });
    const asked = await server.graphql('{ providerConfig(key: "secret-check") { clientSecret } }');
    expect(errorCode(asked)).toBe('GRAPHQL_VALIDATION_FAILED');
    const everything = await server.graphql(`{ providerConfigs { ${FIELDS} } providerConfig(key: "secret-check") { ${FIELDS} } }`);
    expect(JSON.stringify(everything)).not.toContain('shh-very-secret');
  });

  it('refuses a second config with the same key', async () => {
    await server.graphql(CREATE, { input: githubInput('dup') });
    const again = await server.graphql(CREATE, { input: githubInput('dup') });
    expect(errorCode(again)).toBe('duplicate_provider_config');
    expect(again.errors?.[0]?.message).toContain('"dup"');
  });

  it('refuses an unknown provider template', async () => {
    const body = await server.graphql(CREATE, { input: { ...githubInput('nope'), provider: 'no-such-provider' } });
    expect(errorCode(body)).toBe('unknown_provider_template');
    const listed = await server.graphql('{ providerConfigs { key } }');
    expect(listed.data.providerConfigs.map((config: { key: string }) => config.key)).not.toContain('nope');
  });

  it('answers unknown_provider_config for a missing key on get, update and delete', async () => {
    expect(errorCode(await server.graphql(GET, { key: 'missing' }))).toBe('unknown_provider_config');
    expect(errorCode(await server.graphql(UPDATE, { input: { key: 'missing', clientId: 'x' } }))).toBe('unknown_provider_config');
    expect(errorCode(await server.graphql('mutation { deleteProviderConfig(key: "missing") }'))).toBe('unknown_provider_config');
  });

  it.each([
    [{ key: '' }, 'key'],
    [{ key: '../etc/passwd' }, 'key'],
    [{ key: 'x'.repeat(101) }, 'key'],
    [{ clientId: '   ' }, 'clientId'],
    [{ clientSecret: '' }, 'clientSecret'],
    [{ scopes: ['has space'] }, 'scopes'],
    [{ authorizationUrl: 'http://evil.example.com/authorize' }, 'authorizationUrl'],
    [{ tokenUrl: 'not a url' }, 'tokenUrl'],
    [{ issuer: 'https://issuer.example.com' }, 'issuer'],
  ])('rejects bad input %j naming the field', async (override, field) => {
    const key = `bad-${Math.random().toString(36).slice(2, 8)}`;
    const body = await server.graphql(CREATE, { input: { ...githubInput(key), ...override } });
    expect(errorCode(body)).toBe('invalid_input');
    expect(body.errors?.[0]?.extensions?.field).toBe(field);
    expect(body.errors?.[0]?.message).toMatch(new RegExp(`^${field}: `));
  });

  it('updates only the fields given and keeps the secret write-only', async () => {
    const created = await server.graphql(CREATE, { input: githubInput('to-edit') });
    const updated = await server.graphql(UPDATE, { input: { key: 'to-edit', scopes: ['read:org'], clientSecret: 'new-secret' } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateProviderConfig).toMatchObject({ key: 'to-edit', clientId: 'client-id-1', scopes: ['read:org'] });
    expect(new Date(updated.data.updateProviderConfig.updatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(created.data.createProviderConfig.updatedAt).getTime(),
    );
  });

  it('deletes a config', async () => {
    await server.graphql(CREATE, { input: githubInput('to-delete') });
    const deleted = await server.graphql('mutation { deleteProviderConfig(key: "to-delete") }');
    expect(deleted.data).toEqual({ deleteProviderConfig: true });
    expect(errorCode(await server.graphql(GET, { key: 'to-delete' }))).toBe('unknown_provider_config');
  });

  it('requires both endpoints for the custom template and accepts loopback http', async () => {
    const missing = await server.graphql(CREATE, { input: { ...githubInput('custom-1'), provider: 'custom' } });
    expect(errorCode(missing)).toBe('invalid_input');
    expect(missing.errors?.[0]?.extensions?.field).toBe('authorizationUrl');

    const created = await server.graphql(CREATE, {
      input: {
        ...githubInput('custom-1'),
        provider: 'custom',
        authorizationUrl: 'http://localhost:9999/authorize',
        tokenUrl: 'https://auth.example.com/token',
      },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createProviderConfig).toMatchObject({
      provider: 'custom',
      authorizationUrl: 'http://localhost:9999/authorize',
      tokenUrl: 'https://auth.example.com/token',
    });
  });

  it('finds the endpoints of an oidc config by OpenID discovery', async () => {
    const created = await server.graphql(CREATE, {
      input: { ...githubInput('my-oidc'), provider: 'oidc', scopes: ['openid', 'email'], issuer: issuer.issuer },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createProviderConfig).toMatchObject({
      provider: 'oidc',
      issuer: issuer.issuer,
      authorizationUrl: `${issuer.issuer}/auth`,
      tokenUrl: `${issuer.issuer}/token`,
    });
  });

  it('reports a failed discovery as oidc_discovery_failed and stores nothing', async () => {
    const body = await server.graphql(CREATE, {
      input: { ...githubInput('broken-oidc'), provider: 'oidc', issuer: 'http://127.0.0.1:9/' },
    });
    expect(errorCode(body)).toBe('oidc_discovery_failed');
    expect(errorCode(await server.graphql(GET, { key: 'broken-oidc' }))).toBe('unknown_provider_config');
  });

  it('requires an issuer for the oidc template', async () => {
    const body = await server.graphql(CREATE, { input: { ...githubInput('no-issuer'), provider: 'oidc' } });
    expect(errorCode(body)).toBe('invalid_input');
    expect(body.errors?.[0]?.extensions?.field).toBe('issuer');
  });
});

describe('params, authorization params and token params of a provider config', () => {
  const gitlab = (key: string, extra: Record<string, unknown> = {}) => ({
    key, provider: 'gitlab-self-managed', clientId: 'id', clientSecret: 'secret', scopes: ['read_user'], ...extra,
  });
  const PARAM_FIELDS = 'key params authorizationParams tokenParams';
  const create = (input: Record<string, unknown>) => server.graphql(`mutation C($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { ${PARAM_FIELDS} } }`, { input });
  const update = (input: Record<string, unknown>) => server.graphql(`mutation U($input: UpdateProviderConfigInput!) { updateProviderConfig(input: $input) { ${PARAM_FIELDS} } }`, { input });

  it('requires the host of a self-managed template on the config, and stores it with the request params', async () => {
    const missing = await create(gitlab('gl-missing'));
    expect(errorCode(missing)).toBe('invalid_input');
    expect(missing.errors?.[0]?.extensions?.field).toBe('params.hostname');

    const created = await create(gitlab('gl-1', { params: { hostname: 'gitlab.example.com:8443' }, authorizationParams: { prompt: 'consent' }, tokenParams: { audience: 'api' } }));
    expect(created.errors).toBeUndefined();
    expect(created.data.createProviderConfig).toEqual({
      key: 'gl-1',
      params: { hostname: 'gitlab.example.com:8443' },
      authorizationParams: { prompt: 'consent' },
      tokenParams: { audience: 'api' },
    });
    // Left out on update: kept.
    const kept = await update({ key: 'gl-1', scopes: ['api'] });
    expect(kept.data.updateProviderConfig.params).toEqual({ hostname: 'gitlab.example.com:8443' });
    const changed = await update({ key: 'gl-1', params: { hostname: 'git.example.org' }, authorizationParams: {} });
    expect(changed.data.updateProviderConfig).toMatchObject({ params: { hostname: 'git.example.org' }, authorizationParams: {} });
  });

  it.each([
    [{ params: { hostname: 'gitlab.example.com/evil' } }, 'params.hostname'],
    [{ params: { hostname: 'gitlab.example.com' }, tokenUrl: 'https://${connectionConfig.params.subdomain}/oauth/token' }, 'tokenUrl'],
    [{ params: { hostname: 'user@gitlab.example.com' } }, 'params.hostname'],
    [{ params: { hostname: 'gitlab.example.com', subdomain: 'x' } }, 'params.subdomain'],
    [{ params: { hostname: 'gitlab.example.com' }, authorizationParams: { redirect_uri: 'https://evil.example' } }, 'authorizationParams.redirect_uri'],
    [{ params: { hostname: 'gitlab.example.com' }, authorizationParams: { state: 'fixed' } }, 'authorizationParams.state'],
    [{ params: { hostname: 'gitlab.example.com' }, authorizationParams: { request_uri: 'https://evil.example/r' } }, 'authorizationParams.request_uri'],
    [{ params: { hostname: 'gitlab.example.com' }, tokenParams: { client_secret: 'other' } }, 'tokenParams.client_secret'],
    [{ params: { hostname: 'gitlab.example.com' }, tokenParams: { code_verifier: 'x' } }, 'tokenParams.code_verifier'],
    [{ params: { hostname: 'gitlab.example.com' }, tokenParams: { audience: 'x'.repeat(1025) } }, 'tokenParams.audience'],
    [{ params: { hostname: 'gitlab.example.com' }, authorizationParams: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, 'v'])) }, 'authorizationParams'],
  ])('refuses %j naming the field', async (extra, field) => {
    const body = await create(gitlab(`gl-bad-${Math.random().toString(36).slice(2, 8)}`, extra));
    expect(errorCode(body)).toBe('invalid_input');
    expect(body.errors?.[0]?.extensions?.field).toBe(field);
  });

  it('refuses a StringMap whose values are not strings', async () => {
    const body = await create(gitlab('gl-number', { params: { hostname: 1 } }));
    expect(errorCode(body)).toBe('BAD_USER_INPUT');
  });

  it('lists which params an end user gives and which the config sets', async () => {
    const body = await server.graphql('{ providers(search: "keycloak") { name connectionParams configParams } }');
    expect(body.data.providers).toContainEqual({ name: 'keycloak', connectionParams: ['realm'], configParams: ['hostname'] });
  });
});

describe('the provider catalog over GraphQL', () => {
  it('lists the templates and searches them', async () => {
    const all = await server.graphql('{ providers { name authorizationUrl supportsPkce } }');
    const names = all.data.providers.map((provider: { name: string }) => provider.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['github', 'custom', 'oidc']));

    const found = await server.graphql('{ providers(search: "GITHUB") { name displayName } }');
    expect(found.data.providers).toContainEqual({ name: 'github', displayName: 'GitHub' });
    expect(found.data.providers.every((provider: { name: string }) => provider.name.includes('github'))).toBe(true);
  });
});
