import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NANGO, runNango, type CliRun } from './support/cli.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;

function nango(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runNango(args, { NANGO_HOSTPORT: server.url, ...env });
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('the nango CLI', () => {
  it('creates a config and lists it in a table', async () => {
    const created = await nango(['config:create', 'github', 'github', '000123', 'cli-secret-value', 'repo, user']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('✅ Provider config "github" created');

    const listed = await nango(['config:list']);
    expect(listed.code).toBe(0);
    const [header, , row] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^KEY\s+PROVIDER\s+SCOPES\s+CREATED$/);
    expect(row).toMatch(/^github\s+github\s+repo,user\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
  });

  it('prints JSON with --json, keeping client ids as strings', async () => {
    await nango(['config:create', 'json-config', 'github', '000999', 'cli-secret-value', 'repo']);
    const got = await nango(['config:get', 'json-config', '--json']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ key: 'json-config', provider: 'github', clientId: '000999', scopes: ['repo'] });
    const listed = await nango(['config:list', '--json']);
    expect(JSON.parse(listed.stdout).map((config: { key: string }) => config.key)).toContain('json-config');
  });

  it('never prints the client secret', async () => {
    await nango(['config:create', 'secretive', 'github', 'id', 'cli-secret-value', 'repo']);
    const outputs = await Promise.all([
      nango(['config:get', 'secretive']),
      nango(['config:get', 'secretive', '--json']),
      nango(['config:list']),
      nango(['config:list', '--json']),
    ]);
    for (const output of outputs) {
      expect(output.code).toBe(0);
      expect(output.stdout + output.stderr).not.toContain('cli-secret-value');
    }
  });

  it('edits and deletes a config', async () => {
    await nango(['config:create', 'editable', 'github', 'id-1', 'secret-1', 'repo']);
    const edited = await nango(['config:edit', 'editable', 'github', 'id-2', 'secret-2', 'repo,gist']);
    expect(edited).toMatchObject({ code: 0 });
    expect(edited.stdout).toContain('✅ Provider config "editable" updated.');
    const got = await nango(['config:get', 'editable', '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ clientId: 'id-2', scopes: ['repo', 'gist'] });

    const deleted = await nango(['config:delete', 'editable']);
    expect(deleted.stdout).toContain('✅ Provider config "editable" deleted.');
    const gone = await nango(['config:get', 'editable']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('❌ No provider config with key "editable".\n');
  });

  it('creates a custom config from --authorization-url and --token-url', async () => {
    const created = await nango([
      'config:create', 'my-custom', 'custom', 'id', 'secret', 'read',
      '--authorization-url', 'https://auth.example.com/authorize',
      '--token-url', 'https://auth.example.com/token',
      '--json',
    ]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      provider: 'custom',
      authorizationUrl: 'https://auth.example.com/authorize',
      tokenUrl: 'https://auth.example.com/token',
    });
  });

  it('sets a self-managed host and extra request params with --param, --authorization-param and --token-param', async () => {
    const missing = await nango(['config:create', 'gitlab-no-host', 'gitlab-self-managed', 'id', 'secret', 'read_user']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/params\.hostname: is required by the template "gitlab-self-managed"/);

    const created = await nango([
      'config:create', 'gitlab-own', 'gitlab-self-managed', 'id', 'secret', 'read_user',
      '--param', 'hostname=gitlab.example.com',
      '--authorization-param', 'prompt=consent', '--token-param', 'audience=api',
      '--json',
    ]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      params: { hostname: 'gitlab.example.com' },
      authorizationParams: { prompt: 'consent' },
      tokenParams: { audience: 'api' },
    });

    const edited = await nango(['config:edit', 'gitlab-own', 'gitlab-self-managed', 'id', 'secret', 'read_user', '--param', 'hostname=git.example.org']);
    expect(edited.code).toBe(0);
    const shown = await nango(['config:get', 'gitlab-own']);
    expect(shown.stdout).toContain('params:            hostname=git.example.org');
    expect(shown.stdout).toContain('authorization params: prompt=consent');

    const malformed = await nango(['config:edit', 'gitlab-own', 'gitlab-self-managed', 'id', 'secret', 'read_user', '--token-param', 'audience']);
    expect(malformed).toMatchObject({ code: 1, stderr: expect.stringContaining('--token-param takes name=value') });
  });

  it('lets the proxy send a config\'s credentials to the hosts named with --proxy-allowed-host, and no others', async () => {
    const created = await nango(['config:create', 'gh-uploads', 'github', 'id', 'secret', 'repo', '--proxy-allowed-host', 'uploads.github.com', '--proxy-allowed-host', 'Api.Example.com:8443']);
    expect(created.code).toBe(0);
    const got = await nango(['config:get', 'gh-uploads']);
    expect(got.stdout).toContain('proxy hosts:       uploads.github.com, api.example.com:8443');
    const refused = await nango(['config:edit', 'gh-uploads', 'github', '--proxy-allowed-host', 'https://evil.example/path']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('proxyAllowedHosts.0');
  });

  it('says where a custom API takes its key with --api-key-header or --api-key-query, and --api-key-format', async () => {
    const created = await nango(['config:create', 'internal', 'custom-api-key', '--base-url', 'https://api.internal.example', '--api-key-header', 'X-API-Key', '--api-key-format', 'Token ${apiKey}']);
    expect(created.code).toBe(0);
    expect((await nango(['config:get', 'internal'])).stdout).toContain('api key:           header X-API-Key: Token ${apiKey}');
    const elsewhere = await nango(['config:create', 'gh-key', 'github', 'id', 'secret', 'repo', '--api-key-query', 'key']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('only used by the custom-api-key template');
    const both = await nango(['config:create', 'x2', 'custom-api-key', '--base-url', 'https://a.example', '--api-key-header', 'A', '--api-key-query', 'b']);
    expect(both.code).not.toBe(0);
  });

  it('reports server errors as ❌ on stderr with exit code 1, and as JSON with --json', async () => {
    await nango(['config:create', 'twice', 'github', 'id', 'secret', 'repo']);
    const again = await nango(['config:create', 'twice', 'github', 'id', 'secret', 'repo']);
    expect(again).toEqual({ code: 1, stdout: '', stderr: '❌ A provider config with key "twice" already exists.\n' });

    const unknown = await nango(['config:create', 'x', 'nonexistent', 'id', 'secret', 'repo', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({
      error: { code: 'unknown_provider_template', message: expect.stringContaining('"nonexistent"') },
    });
    expect(unknown.stderr).toMatch(/^❌ Unknown provider template "nonexistent"/);
  });

  it('says clearly when the server cannot be reached', async () => {
    const closedPort = await freePort();
    const run = await nango(['config:list'], { NANGO_HOSTPORT: `http://127.0.0.1:${closedPort}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `❌ Could not reach the Nango server at http://127.0.0.1:${closedPort} (ECONNREFUSED). Is it running? Set NANGO_HOSTPORT to its address.\n`,
    );
  });

  it('rejects missing arguments and unknown commands with help on stderr', async () => {
    const missing = await nango(['config:create', 'only-key']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('❌ Not enough non-option arguments');
    const unknown = await nango(['config:frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('❌');
  });

  it('lists every command with an example in `nango help`', async () => {
    const help = await nango(['help']);
    expect(help.code).toBe(0);
    for (const command of ['config:list', 'config:get', 'config:create', 'config:edit', 'config:delete', 'providers:list', 'connection:list', 'connection:get', 'connection:delete', 'proxy <method> <endpoint>']) {
      expect(help.stdout).toContain(`nango ${command}`);
    }
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('nango config:create github github <client-id> <client-secret> "repo,user"');
    const flag = await nango(['--help']);
    expect(flag.stdout).toBe(help.stdout);
  });

  it('lists and searches the provider catalog', async () => {
    const all = await nango(['providers:list', '--json']);
    const templates: Array<{ name: string; authMode: string; category: string }> = JSON.parse(all.stdout);
    expect(templates.length).toBeGreaterThanOrEqual(500);
    const count = (mode: string) => templates.filter((template) => template.authMode === mode).length;
    expect({ oauth2: count('OAUTH2') >= 300, apiKey: count('API_KEY') >= 100, basic: count('BASIC') >= 40, cc: count('OAUTH2_CC') >= 30, app: count('APP') >= 1 }).toEqual({ oauth2: true, apiKey: true, basic: true, cc: true, app: true });
    expect(templates.every((template) => typeof template.authMode === 'string' && typeof template.category === 'string')).toBe(true);
    const trello = templates.find((provider) => provider.name === 'trello');
    expect(trello).toMatchObject({ authMode: 'OAUTH1', docsUrl: expect.stringMatching(/^https:/) });
    const zendesk = await nango(['providers:list', 'zendesk']);
    expect(zendesk.stdout).toMatch(/zendesk\s+Zendesk\s+OAUTH2\s+support\s+subdomain/);
    const keycloak = await nango(['providers:list', 'keycloak']);
    expect(keycloak.stdout).toMatch(/keycloak\s+Keycloak\s+OAUTH2\s+security\s+realm,hostname \(config\)/);
    const keyed = JSON.parse((await nango(['providers:list', '--auth-mode', 'api_key', '--category', 'dev-tools', '--json'])).stdout);
    expect(keyed.length).toBeGreaterThan(3);
    expect(keyed.every((template: { authMode: string; category: string }) => template.authMode === 'API_KEY' && template.category === 'DEV_TOOLS')).toBe(true);
    const wrong = await nango(['providers:list', '--auth-mode', 'kerberos']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Expected type AuthMode');
  });
});

describe('how fast the nango command starts', () => {
  // The one timing this suite asserts (issue 13 asks for the bound): `nango help` within 4×
  // a bare `node -e 0`, both measured in this run, interleaved, median of 5, so the
  // machine's load weighs on both alike.
  it('shows its help within 4× the time Node takes to run nothing', async () => {
    const elapsed = async (args: string[]) => {
      const started = performance.now();
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, args, { env: { PATH: process.env.PATH ?? '' } }, (error) => (error ? reject(error) : resolve())),
      );
      return performance.now() - started;
    };
    const node: number[] = [];
    const help: number[] = [];
    for (let run = 0; run < 5; run++) {
      node.push(await elapsed(['-e', '0']));
      help.push(await elapsed([NANGO, 'help']));
    }
    const median = (times: number[]) => [...times].sort((a, b) => a - b)[2]!;
    expect(median(help)).toBeLessThan(4 * median(node));
  });
});
