// Never lose a connection, tried as a chaos test would, with refresh-token
// rotation on at a real oidc-provider (a second use of a rotated refresh token
// fails, and revokes the grant): a provider slower than the reader's wait,
// Postgres taken away mid-refresh, a server killed mid-refresh, and three
// instances refreshing ahead together. Where the process survives, no rotated
// token is lost; where it does not, the outcome is a named health state.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort } from './support/server.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const TOKEN_TTL_SECONDS = 4;
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

let database: TestDatabase;
let issuer: TestIssuer;
let port: number;
let db: pg.Client;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`], accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'nango-chaos-'));
});
afterAll(async () => {
  await db?.end();
  await issuer?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A server on the test database (or through `databaseUrl`), readers refreshing (no scheduler unless asked). */
async function start(env: Record<string, string> = {}, databaseUrl = database.url): Promise<RunningServer> {
  const settings = loadSettings({
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    NANGO_DATA_DIR: dataDir,
    NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY,
    NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true',
    NANGO_PROVIDER_TIMEOUT_MS: '500',
    NANGO_REFRESH_CONCURRENCY: '0',
    ...env,
  });
  return startServer(settings, createLogger('silent'));
}

async function ensureConfig(server: RunningServer): Promise<void> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }',
      variables: { input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid', 'offline_access'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret } },
    }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  if (body.errors && body.errors[0]?.extensions?.code !== 'duplicate_provider_config') throw new Error(JSON.stringify(body.errors));
}

async function connect(server: RunningServer, connectionId: string): Promise<void> {
  const result = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=${connectionId}`);
  expect(result.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
}

async function read(url: string, connectionId: string, query = '') {
  const response = await fetch(`${url}/connection/${connectionId}?provider_config_key=idp${query}`);
  return { status: response.status, body: (await response.json()) as any };
}

/** The stored refresh token, as the server reads it (REST), and the health columns. */
async function row(connectionId: string) {
  const { rows } = await db.query('SELECT health, health_code, credentials_version::int AS version, refresh_claim FROM connections WHERE connection_id = $1', [connectionId]);
  return rows[0] as { health: string; health_code: string | null; version: number; refresh_claim: string | null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

/** No refresh token was presented twice, and every refresh the provider answered succeeded. */
function expectNoRejectedRefresh(before: { attempts: number; successes: number; presented: number }) {
  const presented = issuer.refreshTokensPresented.slice(before.presented);
  expect(new Set(presented).size).toBe(presented.length);
  expect(issuer.refreshAttempts - before.attempts).toBe(issuer.refreshSuccesses - before.successes);
}

/** The provider processes each token request (rotating the token) and holds its answer `delayMs`; `meanwhile` runs as it starts to. */
function holdAnswers(delayMs: number, meanwhile: () => void): void {
  issuer.answerDelayMs = delayMs;
  issuer.onAnswerHeld = () => {
    issuer.onAnswerHeld = null;
    meanwhile();
  };
}

const counters = () => ({ attempts: issuer.refreshAttempts, successes: issuer.refreshSuccesses, presented: issuer.refreshTokensPresented.length });

describe('a provider slower than the reader', () => {
  it('keeps the rotated token it sends after the reader has given up, and the next refresh is accepted', async () => {
    const server = await start();
    try {
      await ensureConfig(server);
      await connect(server, 'slow-user');
      const before = counters();
      const original = (await read(server.url, 'slow-user')).body.credentials;
      // Expired: there is no still-valid token to hand out meanwhile.
      await sleep(TOKEN_TTL_SECONDS * 1000);
      issuer.answerDelayMs = 2_000;
      const waited = await read(server.url, 'slow-user');
      expect(waited.status).toBe(503);
      expect(waited.body.error.code).toBe('refresh_pending');
      // The answer arrives 1.5 s after the reader left, and is stored.
      const stored = await until(async () => {
        const now = await read(server.url, 'slow-user');
        return now.status === 200 && now.body.credentials.refresh_token !== original.refresh_token && now.body.credentials;
      });
      issuer.answerDelayMs = 0;
      const forced = await read(server.url, 'slow-user', '&force_refresh=true');
      expect(forced.status).toBe(200);
      expect(forced.body.credentials.refresh_token).not.toBe(stored.refresh_token);
      expectNoRejectedRefresh(before);
      expect((await row('slow-user')).health).toBe('HEALTHY');
    } finally {
      issuer.answerDelayMs = 0;
      await server.close();
    }
  }, 60_000);

  it('hands out the still-valid token while the slow refresh goes on', async () => {
    const server = await start({ NANGO_PROVIDER_TIMEOUT_MS: '200' });
    try {
      await ensureConfig(server);
      await connect(server, 'slow-valid-user');
      const original = (await read(server.url, 'slow-valid-user')).body.credentials;
      // Due (half the lifetime has passed) but nearly 2 s from expiry.
      await sleep((TOKEN_TTL_SECONDS / 2) * 1000 + 100);
      issuer.answerDelayMs = 1_500;
      const meanwhile = await read(server.url, 'slow-valid-user');
      expect(meanwhile.status).toBe(200);
      expect(meanwhile.body.credentials.access_token).toBe(original.access_token);
      await until(async () => (await read(server.url, 'slow-valid-user')).body.credentials?.access_token !== original.access_token);
    } finally {
      issuer.answerDelayMs = 0;
      await server.close();
    }
  }, 60_000);
});

describe('a stop while a provider is slow', () => {
  it('does not wait for the provider beyond its grace', async () => {
    const server = await start();
    try {
      await ensureConfig(server);
      await connect(server, 'stopping-user');
      await sleep(TOKEN_TTL_SECONDS * 1000);
      issuer.answerDelayMs = 20_000;
      expect((await read(server.url, 'stopping-user')).status).toBe(503);
    } finally {
      const started = Date.now();
      await server.close();
      // The requests are done; the refresh still out is given 4 s, not the provider's 20.
      expect(Date.now() - started).toBeLessThan(8_000);
      issuer.answerDelayMs = 0;
      // Its refresh was left unfinished (the provider rotated the token): not for the later tests' schedulers to find.
      await db.query(`DELETE FROM connections WHERE connection_id = 'stopping-user'`);
    }
  }, 60_000);
});

describe('Postgres taken away mid-refresh', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(database.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('spools the rotated token (sealed), serves it, and writes it when the database returns', async () => {
    const server = await start({ NANGO_PROVIDER_TIMEOUT_MS: '8000' }, proxy.url);
    try {
      await ensureConfig(server);
      await connect(server, 'outage-user');
      const before = counters();
      await sleep(TOKEN_TTL_SECONDS * 1000);
      // The provider rotates the token; as it answers, the database goes away.
      holdAnswers(800, () => void proxy.stop());
      const served = await read(server.url, 'outage-user');
      expect(served.status).toBe(200);
      const rotated = served.body.credentials.refresh_token as string;
      const spool = path.join(dataDir, 'refresh-spool.jsonl');
      expect(existsSync(spool)).toBe(true);
      expect(readFileSync(spool, 'utf8')).not.toContain(rotated);
      expect(readFileSync(spool, 'utf8')).not.toContain(served.body.credentials.access_token);

      issuer.answerDelayMs = 0;
      await proxy.start();
      // Written by the spool's retry, and the spool emptied.
      await until(async () => {
        const now = await read(server.url, 'outage-user');
        return now.status === 200 && now.body.credentials.refresh_token === rotated;
      });
      await until(async () => !existsSync(spool));
      const forced = await read(server.url, 'outage-user', '&force_refresh=true');
      expect(forced.status).toBe(200);
      expectNoRejectedRefresh(before);
    } finally {
      issuer.answerDelayMs = 0;
      issuer.onAnswerHeld = null;
      await proxy.start().catch(() => undefined);
      await server.close();
    }
  }, 60_000);
});

describe('a server killed while its answer waits in the spool', () => {
  it('writes the spooled answer at the next start on that data directory', async () => {
    const proxy = await startTcpProxy(database.url);
    const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'nango-spool-'));
    const server = await start();
    let victim: ServerProcess | undefined;
    try {
      await ensureConfig(server);
      await connect(server, 'restart-user');
      victim = await spawnServer({
        DATABASE_URL: proxy.url,
        NANGO_DATA_DIR: spoolDir,
        NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY,
        NANGO_REFRESH_CONCURRENCY: '0',
        NANGO_PROVIDER_TIMEOUT_MS: '8000',
        // The dead victim's claim outlives a slow restart on a busy machine: the readers meanwhile must not
        // take it over and present the old refresh token (that is the kill -9 test's case, not this one's).
        NANGO_REFRESH_LEASE_SECONDS: '120',
      });
      const before = counters();
      await sleep(TOKEN_TTL_SECONDS * 1000);
      // The provider rotates the token; as it answers, the victim's database goes away.
      holdAnswers(800, () => void proxy.stop());
      const served = await read(victim.url, 'restart-user');
      expect(served.status).toBe(200);
      const rotated = served.body.credentials.refresh_token as string;
      expect(existsSync(path.join(spoolDir, 'refresh-spool.jsonl'))).toBe(true);
      // Killed before the database came back: the answer is only on disk now.
      victim.kill('SIGKILL');
      await victim.exited;
      issuer.answerDelayMs = 0;
      // The next start on that data directory writes it.
      victim = await spawnServer({ DATABASE_URL: database.url, NANGO_DATA_DIR: spoolDir, NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY, NANGO_REFRESH_CONCURRENCY: '0' });
      // Written: read back as it is, or, when the restart took longer than half the 4-s token's life, already
      // refreshed by the read, which then presented the spooled refresh token (a lost answer would have
      // presented the old one, and been refused).
      await until(async () => {
        const now = await read(server.url, 'restart-user');
        return now.status === 200 && (now.body.credentials.refresh_token === rotated || issuer.refreshTokensPresented.includes(rotated));
      }, 40_000).catch(async (error: unknown) => {
        // What the row and the spool looked like when the answer did not arrive: where it was lost.
        const { rows } = await db.query(
          `SELECT credentials_version AS version, refresh_claim IS NOT NULL AS claimed, refresh_claimed_until > now() AS live, health, health_code FROM connections WHERE connection_id = 'restart-user'`,
        );
        const spooled = existsSync(path.join(spoolDir, 'refresh-spool.jsonl')) ? readFileSync(path.join(spoolDir, 'refresh-spool.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0;
        throw new Error(`${(error as Error).message}: row ${JSON.stringify(rows[0])}, spool lines ${spooled}, victim output ${victim?.output().slice(-2000) ?? ''}`);
      });
      await until(async () => !existsSync(path.join(spoolDir, 'refresh-spool.jsonl')));
      expect((await read(server.url, 'restart-user', '&force_refresh=true')).status).toBe(200);
      expectNoRejectedRefresh(before);
    } finally {
      issuer.answerDelayMs = 0;
      issuer.onAnswerHeld = null;
      victim?.kill('SIGKILL');
      await proxy.close();
      await server.close();
      await rm(spoolDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a server killed mid-refresh', () => {
  it('leaves a claim that expires; the next refresh names the lost token refresh_token_lost (NEEDS_REAUTH)', async () => {
    const server = await start({ NANGO_REFRESH_LEASE_SECONDS: '3' });
    let victim: ServerProcess | undefined;
    try {
      await ensureConfig(server);
      await connect(server, 'killed-user');
      victim = await spawnServer({
        DATABASE_URL: database.url,
        NANGO_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'nango-victim-')),
        NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY,
        NANGO_REFRESH_CONCURRENCY: '0',
        NANGO_REFRESH_LEASE_SECONDS: '3',
        NANGO_PROVIDER_TIMEOUT_MS: '500',
      });
      await sleep(TOKEN_TTL_SECONDS * 1000);
      // The provider rotates the token; the process dies before the answer reaches it.
      const killed = victim;
      holdAnswers(1_000, () => killed.kill('SIGKILL'));
      await fetch(`${victim.url}/connection/killed-user?provider_config_key=idp`).catch(() => undefined);
      await victim.exited;
      issuer.answerDelayMs = 0;
      expect((await row('killed-user')).refresh_claim).not.toBeNull();
      // The claim expires; the next refresh presents the stored (rotated away) token, and the provider refuses it.
      await sleep(3_500);
      const after = await read(server.url, 'killed-user');
      expect(after.status).toBe(502);
      expect(after.body.error.code).toBe('refresh_failed');
      expect(after.body.error.message).toContain('refresh_token_lost');
      expect(await row('killed-user')).toMatchObject({ health: 'NEEDS_REAUTH', health_code: 'refresh_token_lost', refresh_claim: null });
      // The backend asks its user; connecting again makes it healthy.
      await connect(server, 'killed-user');
      expect((await row('killed-user')).health).toBe('HEALTHY');
    } finally {
      issuer.answerDelayMs = 0;
      issuer.onAnswerHeld = null;
      victim?.kill('SIGKILL');
      await server.close();
    }
  }, 60_000);
});

describe('refreshing ahead', () => {
  it('keeps a connection nobody reads fresh, exactly once per expiry across three instances', async () => {
    const server = await start({ NANGO_REFRESH_CONCURRENCY: '10', NANGO_REFRESH_SCHEDULER_INTERVAL_MS: '100' });
    const instances: ServerProcess[] = [];
    try {
      await ensureConfig(server);
      for (const id of ['ahead-1', 'ahead-2', 'ahead-3']) await connect(server, id);
      instances.push(
        ...(await Promise.all(
          [1, 2].map(async () =>
            spawnServer({
              DATABASE_URL: database.url,
              NANGO_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'nango-ahead-')),
              NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY,
              NANGO_REFRESH_CONCURRENCY: '10',
              NANGO_REFRESH_SCHEDULER_INTERVAL_MS: '100',
            }),
          ),
        )),
      );
      const before = counters();
      const versions = await Promise.all(['ahead-1', 'ahead-2', 'ahead-3'].map(async (id) => (await row(id)).version));
      // Three lifetimes with no reader at all.
      await sleep(TOKEN_TTL_SECONDS * 3 * 1000);
      for (const [index, id] of ['ahead-1', 'ahead-2', 'ahead-3'].entries()) {
        expect((await row(id)).version - versions[index]!).toBeGreaterThanOrEqual(2);
      }
      expectNoRejectedRefresh(before);
      // And a reader now finds a token it need not wait for.
      const started = Date.now();
      const fresh = await read(server.url, 'ahead-1');
      expect(fresh.status).toBe(200);
      expect(Date.parse(fresh.body.credentials.expires_at) - started).toBeGreaterThan(1_000);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
      await server.close();
    }
  }, 60_000);
});
