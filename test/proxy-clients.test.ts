// The proxy as the Node client and the `nango proxy` command use it, against a
// real server and an API on loopback that echoes what it receives: params,
// headers and bodies reach the API with the connection's key in place; a
// provider's 404 is an answer, the service's own refusal is an error.
// (The Python and Go SDKs' proxy tests run in python-sdk.test.ts and go-sdk.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Nango, NangoError } from '../clients/node/index.js';
import { runNango, type CliRun } from './support/cli.js';
import { SECRET_KEY, startSdkServer, type SdkServer } from './support/sdk-fixtures.js';

let sdk: SdkServer;
let nango: Nango;
let connection: { providerConfigKey: string; connectionId: string };
let apiKey: string;

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

beforeAll(async () => {
  sdk = await startSdkServer();
  nango = new Nango({ host: sdk.server.url, secretKey: SECRET_KEY });
  const { providerConfigKey, connectionId } = sdk.fixtures.apiKey;
  connection = { providerConfigKey, connectionId };
  apiKey = sdk.fixtures.apiKey.apiKey;
}, 30_000);
afterAll(async () => {
  await sdk?.server.stop();
  await sdk?.api.close();
});

describe('the Node client', () => {
  it('sends a GET with its params and headers to the API, the connection’s key in place', async () => {
    const answer = await nango.get<Echo>({ ...connection, endpoint: '/search?sort=new', params: { q: 'a b&c', labels: ['x', 'y'], page: 2, draft: false }, headers: { 'x-custom': 'kept' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.data.method).toBe('GET');
    expect(answer.data.url).toBe('/v1/search?sort=new&q=a%20b%26c&labels=x&labels=y&page=2&draft=false');
    expect(answer.data.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(answer.data.headers['x-custom']).toBe('kept');
    expect(JSON.stringify(sdk.api.received.at(-1)!.headers)).not.toContain(SECRET_KEY);
  });

  it('sends a plain object as JSON, and a string as it is', async () => {
    const json = await nango.post<Echo>({ ...connection, endpoint: '/items', data: { name: 'Ada', tags: ['x'] } });
    expect(json.data.method).toBe('POST');
    expect(json.data.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.data.body)).toEqual({ name: 'Ada', tags: ['x'] });
    const text = await nango.proxy<Echo>({ ...connection, method: 'put', endpoint: '/items/1', data: 'name=Ada', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.data).toMatchObject({ method: 'PUT', body: 'name=Ada', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  });

  it('resolves with the provider’s 404, its body parsed', async () => {
    const answer = await nango.get({ ...connection, endpoint: '/not-found' });
    expect(answer.status).toBe(404);
    expect(answer.data).toEqual({ message: 'Not Found' });
  });

  it('returns a provider’s redirect as its answer, not followed', async () => {
    const answer = await nango.get({ ...connection, endpoint: '/moved', responseType: 'text' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/elsewhere');
  });

  it('throws the service’s own refusal as a NangoError with its code and status', async () => {
    const refused = await nango.get({ ...connection, connectionId: 'nobody', endpoint: '/user' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NangoError);
    expect(refused).toMatchObject({ code: 'unknown_connection', status: 404 });
    expect((refused as NangoError).message).toContain('nobody');
    const badKey = await new Nango({ host: sdk.server.url, secretKey: 'sk-not-this-one-0123456789' }).get({ ...connection, endpoint: '/user' }).catch((error: unknown) => error);
    expect(badKey).toMatchObject({ code: 'invalid_secret_key', status: 401 });
  });

  it("hands over the body unread with responseType 'stream', as the provider sends it", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    sdk.api.streamingHandlers.set('/v1/download', (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      res.write(Buffer.alloc(32 * 1024, 1));
      void released.then(() => res.end(Buffer.alloc(32 * 1024, 2)));
    });
    const answer = await nango.get<ReadableStream<Uint8Array>>({ ...connection, endpoint: '/download', responseType: 'stream' });
    expect(answer.status).toBe(200);
    expect(answer.data).toBeInstanceOf(ReadableStream);
    const reader = answer.data.getReader();
    const first = await reader.read();
    // The provider has not finished yet: the call resolved on the first bytes.
    expect(first.value!.length).toBeGreaterThan(0);
    release();
    let total = first.value!.length;
    for (let next = await reader.read(); !next.done; next = await reader.read()) total += next.value.length;
    expect(total).toBe(64 * 1024);
  });
});

describe('nango proxy', () => {
  const nangoCli = (args: string[], stdin?: string): Promise<CliRun> =>
    runNango(['proxy', ...args, '--config', connection.providerConfigKey, '--connection', connection.connectionId], { NANGO_HOSTPORT: sdk.server.url, NANGO_SECRET_KEY: SECRET_KEY }, stdin);

  it('prints the answer’s body of a GET with params and headers, and with --include the status and headers on stderr', async () => {
    const run = await nangoCli(['get', '/search', '--param', 'q=a b', '--param', 'labels=x', '--param', 'labels=y', '--header', 'X-Custom: kept', '--include']);
    expect(run.code).toBe(0);
    const echo = JSON.parse(run.stdout) as Echo;
    expect(echo.method).toBe('GET');
    expect(echo.url).toBe('/v1/search?q=a%20b&labels=x&labels=y');
    expect(echo.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(echo.headers['x-custom']).toBe('kept');
    expect(run.stderr).toMatch(/^HTTP\/1\.1 200 OK\n/);
    expect(run.stderr).toContain('content-type: application/json\n');
  });

  it('sends a JSON body from --data, standard input or a file', async () => {
    const fromArgument = await nangoCli(['POST', '/items', '--data', '{"name":"Ada"}', '--header', 'Content-Type: application/json']);
    expect(fromArgument.code).toBe(0);
    expect(JSON.parse(fromArgument.stdout)).toMatchObject({ method: 'POST', body: '{"name":"Ada"}', headers: { 'content-type': 'application/json' } });
    const fromStdin = await nangoCli(['patch', '/items/1', '--data-stdin', '--header', 'Content-Type: application/json'], '{"name":"Grace"}');
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ method: 'PATCH', body: '{"name":"Grace"}' });
    const folder = await mkdtemp(path.join(os.tmpdir(), 'nango-proxy-cli-'));
    try {
      await writeFile(path.join(folder, 'body.json'), '{"name":"Edsger"}');
      const fromFile = await nangoCli(['PUT', '/items/2', '--data-file', path.join(folder, 'body.json')]);
      expect(JSON.parse(fromFile.stdout)).toMatchObject({ method: 'PUT', body: '{"name":"Edsger"}' });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('exits 1 on the provider’s 404, its body still printed', async () => {
    const run = await nangoCli(['GET', '/not-found']);
    expect(run).toEqual({ code: 1, stdout: '{"message":"Not Found"}', stderr: '' });
  });

  it('prints the service’s own refusal with its code, as other errors, and exits 1', async () => {
    const run = await runNango(['proxy', 'GET', '/user', '--config', connection.providerConfigKey, '--connection', 'nobody'], { NANGO_HOSTPORT: sdk.server.url, NANGO_SECRET_KEY: SECRET_KEY });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^❌ unknown_connection: .*nobody/);
    const json = await runNango(['proxy', 'GET', '/user', '--config', connection.providerConfigKey, '--connection', 'nobody', '--json'], { NANGO_HOSTPORT: sdk.server.url, NANGO_SECRET_KEY: SECRET_KEY });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'unknown_connection' } });
  });

  it('refuses a method the proxy does not take', async () => {
    const before = sdk.api.received.length;
    const run = await nangoCli(['TRACE', '/user']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Invalid values:[\s\S]*method[\s\S]*GET/);
    expect(sdk.api.received.length).toBe(before);
  });
});
