// Webhooks against real receivers on loopback: signed per Standard Webhooks
// (verified with the reference implementation), retried with the same
// webhook-id until a 2xx, delivered after a restart the receiver missed,
// disabled by 410, and a burst of 1,000 events sent once each by two instances.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';
import { nextAttemptAt } from '../server/core/webhooks.js';
import { runNango } from './support/cli.js';
import { freePort, graphqlOver, startTestServer, type TestServer } from './support/server.js';

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  at: number;
}

/** A receiver on loopback that answers each request with the next of `statuses` (then the last one again). */
class Receiver {
  readonly received: Received[] = [];
  private server: http.Server | null = null;
  port = 0;
  statuses: number[] = [200];

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          id: String(req.headers['webhook-id']),
          timestamp: String(req.headers['webhook-timestamp']),
          signature: String(req.headers['webhook-signature']),
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const status = this.statuses.length > 1 ? this.statuses.shift()! : this.statuses[0]!;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  async until(count: number, timeoutMs = 15_000): Promise<Received[]> {
    for (const started = Date.now(); this.received.length < count && Date.now() - started < timeoutMs; ) await new Promise((resolve) => setTimeout(resolve, 50));
    return this.received;
  }
}

let server: TestServer;
let db: pg.Client;
const receivers: Receiver[] = [];

beforeAll(async () => {
  server = await startTestServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.stop()));
  await db?.end();
  await server?.stop();
});

async function receiver(): Promise<Receiver> {
  const started = await new Receiver().start();
  receivers.push(started);
  return started;
}

const ENDPOINT = 'id url events description enabled disabledAt disabledReason createdAt secret';

async function createEndpoint(url: string, events?: string[], on: { graphql: TestServer['graphql'] } = server) {
  const body = await on.graphql(`mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { ${ENDPOINT} } }`, { input: { url, ...(events ? { events } : {}) } });
  expect(body.errors).toBeUndefined();
  return body.data.createWebhookEndpoint as { id: string; secret: string; enabled: boolean; events: string[] };
}

async function deliveries(endpointId: string) {
  const body = await server.graphql(
    `query ($id: String!) { webhookDeliveries(endpointId: $id) { nodes { id eventId eventType status nextAttemptAt finishedAt attempts { statusCode latencyMs error } } pageInfo { hasNextPage } } }`,
    { id: endpointId },
  );
  expect(body.errors).toBeUndefined();
  return body.data.webhookDeliveries.nodes as Array<{ id: string; eventId: string; eventType: string; status: string; attempts: Array<{ statusCode: number | null; error: string | null }> }>;
}

let configs = 0;
/** Something happens: a provider config is created (one provider_config.created event). */
async function somethingHappens(on: { graphql: TestServer['graphql'] } = server): Promise<string> {
  const key = `config-${++configs}`;
  const body = await on.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key, provider: 'custom', clientId: 'id', clientSecret: 'client-secret-never-sent', scopes: [], authorizationUrl: 'http://127.0.0.1:9/a', tokenUrl: 'http://127.0.0.1:9/t' },
  });
  expect(body.errors).toBeUndefined();
  return key;
}

async function disableAll(): Promise<void> {
  await db.query(`UPDATE webhook_endpoints SET disabled_at = now()`);
}

describe('webhook endpoints', () => {
  it('show their secret once, at creation; list without it', async () => {
    const created = await createEndpoint('https://hooks.example.com/nango', ['connection.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.id).toMatch(/^whe_[0-9a-f]{32}$/);
    const listed = await server.graphql(`{ webhookEndpoints { ${ENDPOINT} } }`);
    expect(listed.data.webhookEndpoints).toEqual([expect.objectContaining({ id: created.id, secret: null, events: ['connection.created'], enabled: true })]);
    const stored = await db.query(`SELECT secret FROM webhook_endpoints`);
    expect(stored.rows[0].secret).toBe(created.secret);
    expect((await server.graphql('mutation ($id: String!) { deleteWebhookEndpoint(id: $id) }', { id: created.id })).data.deleteWebhookEndpoint).toBe(true);
  });

  it('refuse a URL the policy refuses, an unknown event type, and an unknown id, each with its code, creating nothing', async () => {
    for (const [input, code] of [
      [{ url: 'ftp://hooks.example.com/x' }, 'webhook_url_refused'],
      [{ url: 'http://hooks.example.com/x' }, 'webhook_url_refused'],
      [{ url: 'https://hooks.example.com/x', events: ['connection.exploded'] }, 'invalid_input'],
    ] as const) {
      const body = await server.graphql('mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { id } }', { input });
      expect(body.errors?.[0]?.extensions?.code).toBe(code);
    }
    const unknown = await server.graphql('mutation { rotateWebhookSecret(id: "whe_nope") { id } }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('unknown_webhook_endpoint');
    expect((await db.query('SELECT count(*)::int AS n FROM webhook_endpoints')).rows[0].n).toBe(0);
  });
});

describe('delivery', () => {
  it('retries a receiver that fails twice, with the same webhook-id, and every attempt verifies with the secret', async () => {
    const hooks = await receiver();
    hooks.statuses = [500, 503, 200];
    const endpoint = await createEndpoint(hooks.url);
    const key = await somethingHappens();
    const received = await hooks.until(3);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((each) => each.id)).size).toBe(1);
    const verifier = new Webhook(endpoint.secret);
    for (const each of received) {
      const payload = verifier.verify(each.body, { 'webhook-id': each.id, 'webhook-timestamp': each.timestamp, 'webhook-signature': each.signature }) as {
        id: string;
        type: string;
        data: { providerConfigKey: string };
      };
      expect(payload).toMatchObject({ id: each.id, type: 'provider_config.created', data: { providerConfigKey: key, connectionId: null } });
      expect(each.body).not.toContain('client-secret-never-sent');
    }
    // The waits: about 1 s, then about 5 s (±20 %), plus the look interval.
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(700);
    expect(received[2]!.at - received[1]!.at).toBeGreaterThanOrEqual(3900);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({ eventId: received[0]!.id, status: 'SUCCEEDED', nextAttemptAt: null });
    expect(delivery!.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 503, 200]);
    // A forged signature does not verify: the receiver's check means something.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(received[0]!.body, { 'webhook-id': received[0]!.id, 'webhook-timestamp': received[0]!.timestamp, 'webhook-signature': received[0]!.signature })).toThrow();
    await disableAll();
  }, 30_000);

  it('sends only the event types an endpoint asked for, signs with a rotated secret, and redelivers with the same id', async () => {
    const hooks = await receiver();
    const endpoint = await createEndpoint(hooks.url, ['provider_config.deleted']);
    const key = await somethingHappens();
    const rotated = (await server.graphql('mutation ($id: String!) { rotateWebhookSecret(id: $id) { secret } }', { id: endpoint.id })).data.rotateWebhookSecret.secret as string;
    expect(rotated).not.toBe(endpoint.secret);
    expect((await server.graphql('mutation ($key: String!) { deleteProviderConfig(key: $key) }', { key })).errors).toBeUndefined();
    const [first] = await hooks.until(1);
    expect(JSON.parse(first!.body)).toMatchObject({ type: 'provider_config.deleted', data: { providerConfigKey: key } });
    const headers = { 'webhook-id': first!.id, 'webhook-timestamp': first!.timestamp, 'webhook-signature': first!.signature };
    expect(() => new Webhook(rotated).verify(first!.body, headers)).not.toThrow();
    expect(() => new Webhook(endpoint.secret).verify(first!.body, headers)).toThrow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [delivery] = await deliveries(endpoint.id);
    const again = await server.graphql('mutation ($id: String!) { redeliverWebhook(deliveryId: $id) { status } }', { id: delivery!.id });
    expect(again.data.redeliverWebhook.status).toBe('PENDING');
    const twice = await hooks.until(2);
    expect(twice.map((each) => each.id)).toEqual([first!.id, first!.id]);
    expect(hooks.received).toHaveLength(2);
    await disableAll();
  }, 20_000);

  it('disables an endpoint that answers 410 Gone: its delivery fails and later events make none', async () => {
    const hooks = await receiver();
    hooks.statuses = [410];
    const endpoint = await createEndpoint(hooks.url);
    await somethingHappens();
    await hooks.until(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listed = (await server.graphql(`{ webhookEndpoints { id enabled disabledReason } }`)).data.webhookEndpoints as Array<{ id: string; enabled: boolean; disabledReason: string }>;
    expect(listed.find((each) => each.id === endpoint.id)).toEqual({ id: endpoint.id, enabled: false, disabledReason: 'the receiver answered 410 Gone' });
    await somethingHappens();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hooks.received).toHaveLength(1);
    expect((await deliveries(endpoint.id)).map((delivery) => delivery.status)).toEqual(['FAILED']);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^nango_webhook_attempts_total\{outcome="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^nango_webhook_attempts_total\{outcome="retrying"\} [1-9]/m);
    expect(metrics).toMatch(/^nango_webhook_deliveries_due \d+$/m);
    expect(metrics).toMatch(/^nango_webhook_queue_age_seconds [\d.]+$/m);
  }, 20_000);

  it('delivers an event the receiver missed while it was down and the server restarted', async () => {
    // The receiver's port, closed: the first attempt finds nothing listening.
    const port = await freePort();
    const missed = new Receiver();
    receivers.push(missed);
    const endpoint = await createEndpoint(`http://127.0.0.1:${port}/hooks`);
    const settings = loadSettings({ PORT: String(await freePort()), DATABASE_URL: server.database.url, LOG_LEVEL: 'silent', NANGO_REFRESH_CONCURRENCY: '0' });
    let first: RunningServer | null = await startServer(settings, createLogger('silent'));
    const graphqlOn = (running: RunningServer) => ({
      graphql: async (query: string, variables?: Record<string, unknown>) =>
        (await fetch(`${running.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json() as Promise<never>,
    });
    await somethingHappens(graphqlOn(first));
    for (let waited = 0; waited < 5000; waited += 100) {
      const [delivery] = await deliveries(endpoint.id);
      if (delivery && delivery.attempts.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [failed] = await deliveries(endpoint.id);
    expect(failed!.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/could not be reached/) });
    // Every instance stops (the test server's sender too), the receiver comes up, an instance starts again.
    await first.close();
    first = null;
    await server.close();
    await missed.start(port);
    server = await restartOn(server);
    const [delivered] = await missed.until(1, 15_000);
    expect(delivered!.id).toBe(failed!.eventId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await deliveries(endpoint.id))[0]!.status).toBe('SUCCEEDED');
    await disableAll();
  }, 40_000);
});

/** The test server again, on the same database (its data as the stopped one left it). */
async function restartOn(stopped: TestServer): Promise<TestServer> {
  const running = await startServer(loadSettings({ PORT: String(await freePort()), DATABASE_URL: stopped.database.url, LOG_LEVEL: 'silent', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true' }), createLogger('silent'));
  return {
    ...running,
    database: stopped.database,
    graphql: async (query, variables) => (await fetch(`${running.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json() as never,
    stop: async () => {
      await running.close();
      await stopped.database.drop();
    },
  };
}

describe('an endpoint updated', () => {
  it('takes its new event types and URL at once, stops while disabled and sends again once enabled; deliveries filter and page', async () => {
    const first = await receiver();
    const second = await receiver();
    const endpoint = await createEndpoint(first.url, ['provider_config.deleted']);
    const update = (input: Record<string, unknown>) => server.graphql('mutation ($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { id url events enabled disabledReason } }', { input: { id: endpoint.id, ...input } });
    const moved = await update({ url: second.url, events: ['provider_config.created'], description: 'moved' });
    expect(moved.data.updateWebhookEndpoint).toEqual({ id: endpoint.id, url: second.url, events: ['provider_config.created'], enabled: true, disabledReason: null });
    expect((await update({ url: 'ftp://nowhere.example' })).errors?.[0]?.extensions?.code).toBe('webhook_url_refused');
    await somethingHappens();
    await second.until(1);
    expect((await update({ enabled: false })).data.updateWebhookEndpoint).toMatchObject({ enabled: false, disabledReason: 'disabled by an update' });
    await somethingHappens();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(second.received).toHaveLength(1);
    expect((await update({ enabled: true })).data.updateWebhookEndpoint.enabled).toBe(true);
    await somethingHappens();
    await second.until(2);
    expect(first.received).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Two delivered (newest first), none for the event made while disabled; a page of one, then the next.
    const page = async (variables: Record<string, unknown>) =>
      (await server.graphql('query ($id: String!, $status: WebhookDeliveryStatus, $first: Int, $after: String) { webhookDeliveries(endpointId: $id, status: $status, first: $first, after: $after) { nodes { id status } pageInfo { endCursor hasNextPage } } }', { id: endpoint.id, ...variables })).data.webhookDeliveries;
    const one = await page({ status: 'SUCCEEDED', first: 1 });
    expect(one.nodes).toHaveLength(1);
    expect(one.pageInfo.hasNextPage).toBe(true);
    const two = await page({ status: 'SUCCEEDED', first: 1, after: one.pageInfo.endCursor });
    expect(two.nodes).toHaveLength(1);
    expect(two.nodes[0].id).not.toBe(one.nodes[0].id);
    expect(two.pageInfo.hasNextPage).toBe(false);
    expect((await page({ status: 'PENDING' })).nodes).toEqual([]);
    const unknown = await server.graphql('{ webhookDeliveries(endpointId: "whe_nope") { nodes { id } } }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('unknown_webhook_endpoint');
    await disableAll();
  }, 20_000);
});

describe('two instances', () => {
  it('send a burst of 1,000 events once each: no delivery is attempted twice', async () => {
    const hooks = await receiver();
    const endpoint = await createEndpoint(hooks.url);
    const other = await startServer(loadSettings({ PORT: String(await freePort()), DATABASE_URL: server.database.url, LOG_LEVEL: 'silent', NANGO_REFRESH_CONCURRENCY: '0' }), createLogger('silent'));
    try {
      // 1,000 events committed at once (each fans out to the endpoint in its transaction).
      await db.query(`INSERT INTO events (type, provider_config_key) SELECT 'provider_config.updated', 'burst-' || n FROM generate_series(1, 1000) AS n`);
      const received = await hooks.until(1000, 30_000);
      expect(received).toHaveLength(1000);
      expect(new Set(received.map((each) => each.id)).size).toBe(1000);
      // Every attempt recorded (each after its answer), and none more made.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(hooks.received).toHaveLength(1000);
      const { rows } = await db.query(
        `SELECT count(*)::int AS attempts, count(DISTINCT delivery_id)::int AS deliveries, count(*) FILTER (WHERE d.status = 'SUCCEEDED')::int AS succeeded
         FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = (SELECT id FROM webhook_endpoints WHERE public_id = $1)`,
        [endpoint.id],
      );
      expect(rows[0]).toEqual({ attempts: 1000, deliveries: 1000, succeeded: 1000 });
    } finally {
      await other.close();
    }
  }, 60_000);
});

describe('the CLI', () => {
  it('webhook:create prints the secret once; the endpoint receives signed events; webhook:list, rotate-secret and delete', async () => {
    const hooks = await receiver();
    const env = { NANGO_HOSTPORT: server.url };
    const created = await runNango(['webhook:create', hooks.url, '--event', 'provider_config.created', '--description', 'backend'], env);
    expect(created.code).toBe(0);
    const id = /endpoint (whe_[0-9a-f]{32}) created/.exec(created.stdout)![1]!;
    const secret = /^secret: (whsec_\S+)$/m.exec(created.stdout)![1]!;
    const key = await somethingHappens();
    const [event] = await hooks.until(1);
    const payload = new Webhook(secret).verify(event!.body, { 'webhook-id': event!.id, 'webhook-timestamp': event!.timestamp, 'webhook-signature': event!.signature });
    expect(payload).toMatchObject({ type: 'provider_config.created', data: { providerConfigKey: key } });
    const listed = await runNango(['webhook:list'], env);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+${hooks.url.replaceAll('/', '\\/')}\\s+provider_config\\.created\\s+enabled`));
    expect(listed.stdout).not.toContain('whsec_');
    const rotated = await runNango(['webhook:rotate-secret', id, '--json'], env);
    expect(JSON.parse(rotated.stdout).secret).toMatch(/^whsec_/);
    expect(JSON.parse(rotated.stdout).secret).not.toBe(secret);
    expect((await runNango(['webhook:delete', id], env)).stdout).toContain(`Webhook endpoint ${id} deleted.`);
    const again = await runNango(['webhook:delete', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('No webhook endpoint');
  }, 20_000);
});

describe('retry timing', () => {
  const created = new Date('2026-01-01T00:00:00Z');
  const at = (attempts: number, afterMs: number, random = 0.5) => nextAttemptAt(attempts, created, new Date(created.getTime() + afterMs), () => random);

  it('waits about 1 s, 5 s, 30 s, 2 min, 10 min, 1 h, then hourly, each ±20 %', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 12].map((attempts) => (at(attempts, 0)!.getTime() - created.getTime()) / 1000)).toEqual([1, 5, 30, 120, 600, 3600, 3600, 3600]);
    expect((at(2, 0, 0)!.getTime() - created.getTime()) / 1000).toBe(4);
    expect((at(2, 0, 0.999999)!.getTime() - created.getTime()) / 1000).toBeCloseTo(6, 2);
  });

  it('gives up once the next attempt would fall more than a day after the event', () => {
    expect(at(20, 22 * 3_600_000)).not.toBeNull();
    expect(at(20, 23.5 * 3_600_000)).toBeNull();
  });
});

describe('under a deployment (a secret key set)', () => {
  it('refuses webhook URLs that point at this machine or a private network, as it does provider URLs', async () => {
    const deployed = await startTestServer({ env: { NANGO_SECRET_KEY: 'sk-webhooks-0123456789abcdef', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'false' } });
    const graphql = graphqlOver((init) => fetch(`${deployed.url}/graphql`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: 'Bearer sk-webhooks-0123456789abcdef' } }));
    try {
      for (const url of ['https://127.0.0.1/hook', 'https://[::1]/hook', 'https://10.0.0.8/hook', 'https://169.254.169.254/latest/meta-data', 'https://localhost/hook', 'http://hooks.example.com/hook']) {
        const body = await graphql('mutation ($url: String!) { createWebhookEndpoint(input: { url: $url }) { id } }', { url });
        expect([url, body.errors?.[0]?.extensions?.code]).toEqual([url, 'webhook_url_refused']);
      }
      const accepted = await graphql('mutation { createWebhookEndpoint(input: { url: "https://hooks.example.com/nango" }) { id } }');
      expect(accepted.errors).toBeUndefined();
    } finally {
      await deployed.stop();
    }
  });
});

describe('an endpoint secret at rest', () => {
  it('is sealed when an encryption key is set, and still signs what the receiver verifies', async () => {
    const sealed = await startTestServer({ env: { NANGO_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') } });
    const client = new pg.Client({ connectionString: sealed.database.url });
    await client.connect();
    try {
      const hooks = await receiver();
      const endpoint = await createEndpoint(hooks.url, undefined, sealed);
      const { rows } = await client.query('SELECT secret FROM webhook_endpoints');
      expect(rows[0].secret).not.toContain(endpoint.secret.slice(6));
      await somethingHappens(sealed);
      const [event] = await hooks.until(1);
      expect(() => new Webhook(endpoint.secret).verify(event!.body, { 'webhook-id': event!.id, 'webhook-timestamp': event!.timestamp, 'webhook-signature': event!.signature })).not.toThrow();
    } finally {
      await client.end();
      await sealed.stop();
    }
  }, 20_000);
});

