// Red team, attack that held: with NANGO_TRUST_PROXY_HOPS=0 (the default, no
// proxy in front) the per-client cap counts the socket's address; a client
// writing its own X-Forwarded-For or Forwarded headers is still one client.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startIdpServer } from '../support/idp-server.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import type { TestServer } from '../support/server.js';
import { connectFetch } from '../support/flow-client.js';

const SECRET_KEY = 'sk-redteam-xff-0123456789abcdef';
const PUBLIC_KEY = 'pk-redteam-xff-0123456789abcdef';
const PER_CLIENT = 2;

let server: TestServer;
let issuer: TestIssuer;

beforeAll(async () => {
  ({ server, issuer } = await startIdpServer({ secretKey: SECRET_KEY, env: {
      NANGO_PUBLIC_KEY: PUBLIC_KEY,
      NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      NANGO_CONNECT_POLICY: 'public-key',
      NANGO_MAX_OPEN_FLOWS_PER_CLIENT: String(PER_CLIENT),
    } }));
});
afterAll(async () => {
  await Promise.all([server?.stop(), issuer?.close()]);
});

describe('the per-client cap without a trusted proxy', () => {
  it('ignores the addresses a client claims in X-Forwarded-For, X-Real-IP and Forwarded', async () => {
    const statuses = [];
    for (let index = 0; index < PER_CLIENT + 3; index++) {
      const response = await connectFetch(`${server.url}/oauth/connect/idp?connection_id=xff-${index}&public_key=${PUBLIC_KEY}`, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': `203.0.113.${index + 1}`, 'x-real-ip': `203.0.113.${index + 1}`, forwarded: `for=203.0.113.${index + 1}` },
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(PER_CLIENT).fill(302), ...Array(3).fill(429)]);
  });
});
