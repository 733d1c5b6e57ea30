// The TypeScript clients as a backend developer installs them: `npm pack` of
// each workspace, installed into an empty project outside the repo. Plain
// `node` imports the backend client (ESM) and prints a token the running
// server holds; a TypeScript project with the strictest common flags and no
// skipLibCheck compiles against both packages' declarations.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from './support/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET_KEY = 'sk_test_packages_0123456789abcdef';

let server: TestServer;
let work: string;
let app: string;

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 180_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY } });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` };
  const created = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      query: `mutation { createProviderConfig(input: { key: "keyed", provider: "custom-api-key", baseUrl: "https://api.example.com" }) { key }
        createConnection(input: { providerConfigKey: "keyed", connectionId: "user-1", apiKey: "sk-packed-0123456789" }) { connectionId } }`,
    }),
  });
  expect(((await created.json()) as { errors?: unknown }).errors).toBeUndefined();

  work = await mkdtemp(path.join(os.tmpdir(), 'nango-packages-'));
  const packed = await run('npm', ['pack', '--workspace', 'clients/node', '--workspace', 'clients/frontend', '--pack-destination', work, '--silent'], ROOT);
  expect(packed.stderr).not.toMatch(/error/i);
  expect(packed.code).toBe(0);
  const tarballs = (await readdir(work)).filter((file) => file.endsWith('.tgz')).map((file) => path.join(work, file));
  expect(tarballs).toHaveLength(2);
  app = path.join(work, 'app');
  await run('mkdir', ['-p', app], work);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'empty-app', private: true, type: 'module' }));
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], app);
  expect(installed.stderr).not.toMatch(/npm error/);
  expect(installed.code).toBe(0);
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed clients in an empty project', () => {
  it('ship only their build, declarations and README', async () => {
    const listed = await run('npm', ['pack', '--workspace', 'clients/node', '--dry-run', '--json'], ROOT);
    const files = (JSON.parse(listed.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'dist/node/index.js', 'dist/node/index.d.ts', 'dist/generated/sdk.js', 'dist/generated/sdk.d.ts', 'package.json']));
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('run under plain node: a fresh token, and errors with their code and status', async () => {
    await writeFile(
      path.join(app, 'main.js'),
      `import { Nango, NangoError } from '@nango-graphql/node';
const nango = new Nango({ host: process.env.NANGO_HOSTPORT, secretKey: process.env.NANGO_SECRET_KEY });
console.log(await nango.getToken('keyed', 'user-1'));
try {
  await nango.getToken('keyed', 'nobody');
} catch (error) {
  if (!(error instanceof NangoError)) throw error;
  console.log(error.code, error.status);
}
try {
  await new Nango({ host: process.env.NANGO_HOSTPORT, secretKey: 'wrong' }).listConnections();
} catch (error) {
  console.log(error.code, error.status);
}
try {
  await nango.get({ providerConfigKey: 'keyed', connectionId: 'nobody', endpoint: '/user' });
} catch (error) {
  if (!(error instanceof NangoError)) throw error;
  console.log('proxy', error.code, error.status);
}
`,
    );
    const result = await run(process.execPath, ['main.js'], app, { NANGO_HOSTPORT: server.url, NANGO_SECRET_KEY: SECRET_KEY });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('sk-packed-0123456789\nunknown_connection 404\ninvalid_secret_key 401\nproxy unknown_connection 404\n');
  });

  it('type-check in a strict TypeScript project without skipLibCheck', async () => {
    await writeFile(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules/@types')],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['backend.ts', 'page.ts'],
      }),
    );
    await writeFile(
      path.join(app, 'backend.ts'),
      `import { Nango, NangoError, verifyWebhook, type Connection, type Credentials, type ProxyResponse, type WebhookEvent } from '@nango-graphql/node';
import type { ConnectionsQueryVariables } from '@nango-graphql/node/sdk';

const nango = new Nango({ host: process.env.NANGO_HOSTPORT, secretKey: process.env.NANGO_SECRET_KEY });

export async function use(after: string | undefined): Promise<string> {
  const variables: ConnectionsQueryVariables = { first: 10, after };
  const page = await nango.listConnections(variables);
  const first: Connection | undefined = page.connections[0];
  const credentials: Credentials = await nango.getCredentials('github', first?.connectionId ?? 'user-1');
  const health = await nango.health('github', 'user-1');
  const session = await nango.createConnectSession({ providerConfigKey: 'github', connectionId: 'user-1', endUser: { id: 'u1', email: undefined } });
  const deleted = await nango.deleteConnection('github', 'user-1', { revoke: true, force: undefined });
  try {
    const token = await nango.getToken('github', 'user-1');
    return typeof token === 'string' ? token : 'username' in token ? token.username : token.oAuthToken;
  } catch (error) {
    if (error instanceof NangoError) return \`\${error.code} \${error.status} \${credentials.__typename} \${health.status} \${session.connectUrl} \${deleted.revoked}\`;
    throw error;
  }
}

export async function callApi(): Promise<number> {
  const repos = await nango.get<Array<{ name: string }>>({ providerConfigKey: 'github', connectionId: 'user-1', endpoint: '/user/repos', params: { per_page: 5, affiliation: ['owner'] }, retries: undefined });
  const created: ProxyResponse = await nango.proxy({ method: 'post', providerConfigKey: 'github', connectionId: 'user-1', endpoint: '/user/repos', data: { name: 'x' }, headers: { accept: 'application/json' } });
  const file = await nango.get<ReadableStream<Uint8Array>>({ providerConfigKey: 'drive', connectionId: 'user-1', endpoint: '/files/1', responseType: 'stream', baseUrlOverride: undefined });
  await file.data.cancel();
  return repos.status + (repos.data[0]?.name.length ?? 0) + created.status + (repos.headers.get('x-rate-limit-remaining') ?? '').length;
}

export function receive(body: string, headers: Record<string, string | string[] | undefined>): WebhookEvent {
  return verifyWebhook('whsec_c2VjcmV0', headers, body);
}
`,
    );
    await writeFile(
      path.join(app, 'page.ts'),
      `import Nango, { NangoAuthError, type AuthResult } from '@nango-graphql/frontend';

const nango = new Nango({ host: 'http://localhost:3003', publicKey: undefined });
export async function connect(sessionToken: string): Promise<AuthResult | string> {
  try {
    return await nango.openConnectUI({ sessionToken, timeoutMs: undefined });
  } catch (error) {
    if (error instanceof NangoAuthError) return error.type;
    throw error;
  }
}
`,
    );
    const result = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], app);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
