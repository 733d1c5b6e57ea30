import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-metrics-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
let server: TestServer;
let issuer: TestIssuer;

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  server = await startTestServer({ port, env: { NANGO_SECRET_KEY: SECRET_KEY } });
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({
      query: 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }',
      variables: { input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret } },
    }),
  });
  expect(response.status).toBe(200);
});
afterAll(async () => {
  await Promise.all([server?.stop(), issuer?.close()]);
});

/** A connect session's URL, as the backend hands it to the page. */
async function connectUrl(connectionId: string): Promise<string> {
  const response = await fetch(`${server.url}/connect/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({ provider_config_key: 'idp', connection_id: connectionId }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: { connect_url: string } }).data.connect_url;
}

async function metrics(): Promise<string> {
  const response = await fetch(`${server.url}/metrics`, { headers: AUTH });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(series));
  return line ? Number(line.slice(series.length).trim()) : 0;
}

describe('GET /metrics', () => {
  it('is guarded by the secret key', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  });

  it('counts requests by route pattern, flows by event, refreshes by outcome and provider, and the pool', async () => {
    await fetch(`${server.url}/health`);
    await fetch(`${server.url}/connection/nobody-at-all?provider_config_key=idp`, { headers: AUTH });
    expect((await walkFlow(await connectUrl('user-1'))).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    await walkFlow(`${server.url}/oauth/callback?state=forged&code=x`);
    const refreshed = await fetch(`${server.url}/connection/user-1?provider_config_key=idp&force_refresh=true`, { headers: AUTH });
    expect(refreshed.status).toBe(200);

    const text = await metrics();
    expect(value(text, 'nango_http_request_duration_seconds_count{method="GET",route="/health",status="200"}')).toBeGreaterThanOrEqual(1);
    // The pattern, not the id: one series for every connection.
    expect(text).toContain('route="/connection/:connectionId",status="404"');
    expect(text).not.toContain('nobody-at-all');
    expect(value(text, 'nango_oauth_flows_total{event="started",provider_config_key="idp"}')).toBe(1);
    expect(value(text, 'nango_oauth_flows_total{event="completed",provider_config_key="idp"}')).toBe(1);
    expect(value(text, 'nango_oauth_flows_total{event="failed",provider_config_key="unknown"}')).toBe(1);
    expect(value(text, 'nango_token_refreshes_total{outcome="success",provider="oidc"}')).toBe(1);
    expect(text).toMatch(/nango_db_pool_connections\{state="idle"\} \d+/);
    // The token reads above opened the read connections.
    expect(value(text, 'nango_db_read_connections{state="open"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts failed refreshes and those refused during the cooldown', async () => {
    const stored = await fetch(`${server.url}/connection/user-1?provider_config_key=idp`, { headers: AUTH });
    const { credentials } = (await stored.json()) as { credentials: { refresh_token: string } };
    await issuer.revoke(credentials.refresh_token);
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${server.url}/connection/user-1?provider_config_key=idp&force_refresh=true`, { headers: AUTH });
      expect(response.status).toBe(502);
    }
    const text = await metrics();
    expect(value(text, 'nango_token_refreshes_total{outcome="failure",provider="oidc"}')).toBe(1);
    expect(value(text, 'nango_token_refreshes_total{outcome="cooldown",provider="oidc"}')).toBe(1);
  });
});

describe('health', () => {
  it('answers liveness without the database, and readiness with it', async () => {
    expect(await (await fetch(`${server.url}/health/live`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
  });
});
