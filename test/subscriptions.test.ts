// Subscription.connectionEvents over server-sent events: a subscriber on
// instance B sees a flow finished on instance A (through Postgres
// LISTEN/NOTIFY), filters hold, the secret key is required, and a subscriber
// that stops reading is ended (subscriber_too_slow) instead of growing memory.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Nango, NangoError } from '../clients/node/index.js';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';
import { walkFlow } from './support/flow-client.js';
import { TEST_CLIENT } from './support/oidc-issuer.js';
import { startServerWithIssuer, type ServerWithIssuer } from './support/server-with-issuer.js';
import { freePort, startTestServer } from './support/server.js';
import { startTcpProxy } from './support/tcp-proxy.js';

let a: ServerWithIssuer;
let b: RunningServer;

beforeAll(async () => {
  a = await startServerWithIssuer();
  b = await startServer(loadSettings({ PORT: String(await freePort()), DATABASE_URL: a.server.database.url, LOG_LEVEL: 'silent', NANGO_REFRESH_CONCURRENCY: '0' }), createLogger('silent'));
  const created = await a.server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: 'idp', provider: 'oidc', issuer: a.issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
});
afterAll(async () => {
  await b?.close();
  await a?.stop();
});

const SUBSCRIPTION = `subscription ($key: String, $id: String, $types: [String!]) {
  connectionEvents(providerConfigKey: $key, connectionId: $id, types: $types) { id type data { providerConfigKey connectionId } }
}`;

interface StreamedEvent {
  event: string;
  data: string;
}

/** A subscription over SSE: its events as they come, until close(). */
async function subscribe(url: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: SUBSCRIPTION, variables }),
    signal: controller.signal,
  });
  const events: StreamedEvent[] = [];
  let buffer = '';
  const reading = (async () => {
    if (!response.body || response.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (event) events.push({ event, data: /^data: ?(.*)$/m.exec(block)?.[1] ?? '' });
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    response,
    events,
    async until(count: number, timeoutMs = 10_000) {
      for (const started = Date.now(); events.filter((each) => each.event === 'next').length < count && Date.now() - started < timeoutMs; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return events.filter((each) => each.event === 'next').map((each) => JSON.parse(each.data) as { data: { connectionEvents: { id: string; type: string; data: { providerConfigKey: string; connectionId: string | null } } } | null; errors?: Array<{ extensions: { code: string } }> });
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

describe('a subscription on instance B', () => {
  it('sees the flow finished on instance A, and only the events its filter asks for', async () => {
    const all = await subscribe(b.url, {});
    const mine = await subscribe(b.url, { key: 'idp', id: 'u1', types: ['connection.created'] });
    try {
      expect(all.response.status).toBe(200);
      expect(all.response.headers.get('content-type')).toContain('text/event-stream');
      // Something for the first subscriber only, then the flow on A.
      await a.server.graphql('mutation { createProviderConfig(input: { key: "other", provider: "custom", clientId: "id", clientSecret: "s", scopes: [], authorizationUrl: "http://127.0.0.1:9/a", tokenUrl: "http://127.0.0.1:9/t" }) { key } }');
      expect((await walkFlow(`${a.server.url}/oauth/connect/idp?connection_id=u1`)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
      // (The config made by beforeAll may reach this subscription too, depending on when its notification came.)
      const seen = (await all.until(3, 3000)).map((each) => `${each.data!.connectionEvents.type} ${each.data!.connectionEvents.data.providerConfigKey}`);
      expect(seen.filter((each) => each !== 'provider_config.created idp')).toEqual(['provider_config.created other', 'connection.created idp']);
      const filtered = await mine.until(1);
      expect(filtered.map((each) => each.data!.connectionEvents)).toEqual([{ id: expect.stringMatching(/^evt_/), type: 'connection.created', data: { providerConfigKey: 'idp', connectionId: 'u1' } }]);
      // The same event, by the same id, in Query.events.
      const listed = await a.server.graphql('{ events(types: ["connection.created"]) { nodes { id } } }');
      expect(listed.data.events.nodes.map((node: { id: string }) => node.id)).toEqual([filtered[0]!.data!.connectionEvents.id]);
    } finally {
      await Promise.all([all.close(), mine.close()]);
    }
  });

  it('refuses an unknown event type as invalid_input', async () => {
    const refused = await subscribe(b.url, { types: ['connection.exploded'] });
    try {
      const [first] = await refused.until(1);
      expect(first!.errors?.[0]?.extensions.code).toBe('invalid_input');
    } finally {
      await refused.close();
    }
  });

  it('ends a subscriber that stops reading with subscriber_too_slow, having sent fewer events than were committed', async () => {
    const batches = 40;
    const body = JSON.stringify({ query: SUBSCRIPTION, variables: { key: 'flood' } });
    const url = new URL(`${b.url}/graphql`);
    let received = '';
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': Buffer.byteLength(body) } });
    const response = await new Promise<http.IncomingMessage>((resolve) => {
      request.on('response', resolve);
      request.end(body);
    });
    // The subscriber stops reading: what the server writes fills the socket, then stays in the server.
    response.pause();
    const db = a.db;
    // Committed a thousand at a time, as a busy service would.
    for (let batch = 0; batch < batches; batch++) {
      await db.query(`INSERT INTO events (type, provider_config_key) SELECT 'provider_config.updated', 'flood' FROM generate_series(1, 1000)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    response.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    response.on('end', ended);
    response.resume();
    await done;
    const nexts = received.split('event: next\n').length - 1;
    // What the socket held before the subscriber stopped reading, then the error: never the whole flood.
    expect(nexts).toBeGreaterThan(100);
    expect(nexts).toBeLessThan(batches * 1000);
    expect(received).toContain('"code":"subscriber_too_slow"');
    expect(received.trimEnd().endsWith('event: complete\ndata:')).toBe(true);
  }, 30_000);
});

describe("an instance whose database connection drops", () => {
  it('reads the events committed meanwhile once it is back, so its subscribers miss none', async () => {
    const proxy = await startTcpProxy(a.server.database.url);
    const c = await startServer(loadSettings({ PORT: String(await freePort()), DATABASE_URL: proxy.url, LOG_LEVEL: 'silent', NANGO_REFRESH_CONCURRENCY: '0', NANGO_WEBHOOK_CONCURRENCY: '0' }), createLogger('silent'));
    const followed = await subscribe(c.url, { key: 'while-away' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      // C's connections (its LISTEN among them) are cut; A commits meanwhile; then C reaches Postgres again.
      await proxy.stop();
      for (const n of [1, 2, 3]) {
        const made = await a.server.graphql(`mutation { createProviderConfig(input: { key: "while-away", provider: "custom", clientId: "id-${n}", clientSecret: "s", scopes: [], authorizationUrl: "http://127.0.0.1:9/a", tokenUrl: "http://127.0.0.1:9/t" }) { key } }`);
        if (n === 1) expect(made.errors).toBeUndefined();
        else await a.server.graphql(`mutation { updateProviderConfig(input: { key: "while-away", provider: "custom", clientId: "id-${n}", clientSecret: "s", scopes: [], authorizationUrl: "http://127.0.0.1:9/a", tokenUrl: "http://127.0.0.1:9/t" }) { key } }`);
      }
      await proxy.start();
      const seen = await followed.until(3, 15_000);
      // All of them, once each (their order across a lost connection is not promised).
      expect(seen.map((each) => each.data!.connectionEvents.type).sort()).toEqual(['provider_config.created', 'provider_config.updated', 'provider_config.updated']);
      expect(new Set(seen.map((each) => each.data!.connectionEvents.id)).size).toBe(3);
    } finally {
      await followed.close();
      await c.close();
      await proxy.close();
    }
  }, 30_000);
});

describe('events older than NANGO_EVENTS_RETENTION_DAYS', () => {
  it('are deleted when an instance starts (and hourly); newer ones stay', async () => {
    await a.db.query(`INSERT INTO events (type, provider_config_key, created_at) VALUES ('provider_config.updated', 'ancient', now() - interval '8 days'), ('provider_config.updated', 'recent', now() - interval '6 days')`);
    const d = await startServer(loadSettings({ PORT: String(await freePort()), DATABASE_URL: a.server.database.url, LOG_LEVEL: 'silent', NANGO_REFRESH_CONCURRENCY: '0', NANGO_EVENTS_RETENTION_DAYS: '7' }), createLogger('silent'));
    try {
      let keys: string[] = [];
      for (let waited = 0; waited < 5000; waited += 100) {
        keys = (await a.db.query(`SELECT provider_config_key AS key FROM events WHERE provider_config_key IN ('ancient', 'recent')`)).rows.map((row: { key: string }) => row.key);
        if (!keys.includes('ancient')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(keys).toEqual(['recent']);
    } finally {
      await d.close();
    }
  });
});

describe('the Node client', () => {
  it('nango.connectionEvents() yields events made on another instance; leaving the loop closes it; listEvents() pages them', async () => {
    const nango = new Nango({ host: b.url });
    const seen: string[] = [];
    const following = (async () => {
      for await (const event of nango.connectionEvents({ providerConfigKey: 'node-client' })) {
        seen.push(`${event.type} ${event.data.providerConfigKey}`);
        if (seen.length === 2) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const made = await a.server.graphql('mutation { createProviderConfig(input: { key: "node-client", provider: "custom", clientId: "id", clientSecret: "s", scopes: [], authorizationUrl: "http://127.0.0.1:9/a", tokenUrl: "http://127.0.0.1:9/t" }) { key } }');
    expect(made.errors).toBeUndefined();
    expect((await a.server.graphql('mutation { deleteProviderConfig(key: "node-client") }')).errors).toBeUndefined();
    await following;
    expect(seen).toEqual(['provider_config.created node-client', 'provider_config.deleted node-client']);
    const { events, endCursor } = await nango.listEvents({ providerConfigKey: 'node-client' });
    expect(events.map((event) => event.type)).toEqual(['provider_config.created', 'provider_config.deleted']);
    expect(endCursor).toBe(events[1]!.id);
  });

  it('throws the NangoError of a subscription the server refuses', async () => {
    const nango = new Nango({ host: b.url });
    const failure = await (async () => {
      for await (const _ of nango.connectionEvents({ types: ['connection.exploded'] })) return null;
      return null;
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NangoError);
    expect((failure as NangoError).code).toBe('invalid_input');
  });
});

describe('with a secret key', () => {
  it('refuses a subscription without it (401) and serves one with it', async () => {
    const keyed = await startTestServer({ env: { NANGO_SECRET_KEY: 'sk-subscriptions-0123456789abcdef' } });
    try {
      const without = await subscribe(keyed.url, {});
      expect(without.response.status).toBe(401);
      await without.close();
      const withKey = await subscribe(keyed.url, {}, { authorization: 'Bearer sk-subscriptions-0123456789abcdef' });
      expect(withKey.response.status).toBe(200);
      await withKey.close();
    } finally {
      await keyed.stop();
    }
  });
});
