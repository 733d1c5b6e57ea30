// The attack: a GitHub App config and a GitHub that do not behave. A private
// key that parses but cannot sign RS256 (1024-bit RSA, which jose refuses)
// must be refused when the config is written, not fail every connection with
// a 500; an installation token answered without expires_at must still be
// renewed (GitHub's tokens live an hour), not served after it died; a 200
// with junk stores nothing.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';

const rsaKey = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;

let github: http.Server;
let githubUrl: string;
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  github = http.createServer((req, res) => {
    if (req.url === '/app/installations/1/access_tokens') {
      res.writeHead(201, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token: 'ghs_without_expiry', permissions: { contents: 'read' } }));
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>Unicorn! This page is taking too long to load.</html>');
  });
  await new Promise<void>((resolve) => github.listen(0, '127.0.0.1', resolve));
  githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
  server = await startTestServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await new Promise((resolve) => github?.close(resolve));
});

const CONFIG = `mutation($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }`;
const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }`;

describe('a GitHub App config', () => {
  it('refuses an RSA key too short for RS256 when it is written, without repeating it', async () => {
    const key = rsaKey(1024);
    const body = await server.graphql(CONFIG, { input: { key: 'short-key', provider: 'github-app', appId: '1', privateKey: key, baseUrl: githubUrl } });
    expect(body.errors?.[0]?.extensions?.code).toBe('invalid_input');
    expect(body.errors?.[0]?.message).toContain('privateKey: ');
    expect(body.errors?.[0]?.message).not.toContain('PRIVATE KEY');
    expect((await db.query(`SELECT 1 FROM provider_configs WHERE key = 'short-key'`)).rowCount).toBe(0);
  });
});

describe("GitHub's installation token answer", () => {
  it('without expires_at is renewed within the hour GitHub gives it; a 200 of junk stores nothing', async () => {
    const config = await server.graphql(CONFIG, { input: { key: 'app', provider: 'github-app', appId: '7', privateKey: rsaKey(2048), baseUrl: githubUrl } });
    expect(config.errors).toBeUndefined();
    const created = await server.graphql(CREATE, { input: { providerConfigKey: 'app', connectionId: 'no-expiry', installationId: '1' } });
    expect(created.errors).toBeUndefined();
    const row = await db.query(`SELECT expires_at AS "expiresAt", refresh_due_at AS "dueAt" FROM connections WHERE connection_id = 'no-expiry'`);
    const hour = Date.now() + 3_600_000;
    expect(row.rows[0].expiresAt?.getTime()).toBeLessThanOrEqual(hour);
    expect(row.rows[0].dueAt?.getTime()).toBeLessThan(row.rows[0].expiresAt.getTime());

    const junk = await server.graphql(CREATE, { input: { providerConfigKey: 'app', connectionId: 'junk', installationId: '2' } });
    expect(junk.errors?.[0]?.extensions?.code).toBe('token_error');
    expect((await db.query(`SELECT 1 FROM connections WHERE connection_id = 'junk'`)).rowCount).toBe(0);
  });
});
