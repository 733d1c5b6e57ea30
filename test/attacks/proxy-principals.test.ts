// Attacks that held: calling /proxy without the secret key. The proxy places a
// connection's credentials on the call, so only a backend may make one: no
// key, a wrong key, the public key (it ships in every web page), a connect
// session token (handed to a browser), a dashboard cookie without the CSRF
// header only its page holds — each refused, and the provider sees nothing.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { HARNESS_SECRET_KEY, startProxyHarness, type ProxyHarness } from '../support/proxy-harness.js';

const PUBLIC_KEY = 'pk-proxy-attack-0123456789abcdef';
let harness: ProxyHarness;
let sessionToken: string;

beforeAll(async () => {
  harness = await startProxyHarness({ apiKey: 'key-principals-0123456789-abcdef', env: { NANGO_PUBLIC_KEY: PUBLIC_KEY } });
  const response = await fetch(`${harness.server.url}/connect/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${HARNESS_SECRET_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ provider_config_key: 'apikey', connection_id: 'u1' }),
  });
  sessionToken = ((await response.json()) as { data: { token: string } }).data.token;
  expect(sessionToken).toBeTruthy();
});

afterAll(async () => {
  await harness?.close();
});

it.each([
  ['no key', '', {}],
  ['a wrong key', '', { authorization: `Bearer ${HARNESS_SECRET_KEY}x` }],
  ['the public key as a bearer', '', { authorization: `Bearer ${PUBLIC_KEY}` }],
  ['the public key in the query', `?public_key=${PUBLIC_KEY}`, {}],
  ['a connect session token as a bearer', '', { authorization: 'SESSION' }],
  ['a connect session token in the query', '?connect_session_token=SESSION', {}],
  ['a dashboard cookie without the CSRF header', '', { cookie: 'nango_dashboard=v1.forged' }],
  ['the public key in a Basic header', '', { authorization: `Basic ${Buffer.from(`${PUBLIC_KEY}:`).toString('base64')}` }],
])('refuses %s', async (_name, query, headers: Record<string, string>) => {
  const before = harness.api.received.length;
  const sent = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace('SESSION', `Bearer ${sessionToken}`)]));
  const response = await fetch(`${harness.server.url}/proxy/user${query.replace('SESSION', sessionToken)}`, {
    headers: { 'provider-config-key': 'apikey', 'connection-id': 'u1', ...sent },
  });
  expect(response.status).toBe(401);
  expect(response.headers.get('x-nango-proxy-error')).toMatch(/auth|key|session/);
  expect(harness.api.received.length).toBe(before);
});

it('serves the secret key (the control)', async () => {
  expect((await harness.proxy('/user')).status).toBe(200);
});
