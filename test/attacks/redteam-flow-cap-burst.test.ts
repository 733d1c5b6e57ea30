// Red team: the caps on open flows are checked by counting, then inserting,
// outside any lock: requests that arrive together all count the same number
// and all insert. One address, one burst of parallel requests, many more open
// flows than NANGO_MAX_OPEN_FLOWS_PER_CLIENT allows.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startIdpServer } from '../support/idp-server.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import type { TestServer } from '../support/server.js';
import { connectFetch } from '../support/flow-client.js';

const SECRET_KEY = 'sk-redteam-burst-0123456789abcdef';
const PUBLIC_KEY = 'pk-redteam-burst-0123456789abcdef';
const PER_CLIENT = 3;
const BURST = 40;
const ROUNDS = 10;

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  ({ server, issuer } = await startIdpServer({ secretKey: SECRET_KEY, env: {
      NANGO_PUBLIC_KEY: PUBLIC_KEY,
      NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      NANGO_CONNECT_POLICY: 'public-key',
      NANGO_MAX_OPEN_FLOWS_PER_CLIENT: String(PER_CLIENT),
    } }));
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

describe('the per-client cap on open flows', () => {
  it('holds for bursts of parallel requests from one address', async () => {
    const counted = [];
    // Each round starts from no open flow; a race shows in some rounds, not in each.
    for (let round = 0; round < ROUNDS; round++) {
      await db.query('DELETE FROM oauth_sessions');
      const statuses = await Promise.all(
        Array.from({ length: BURST }, async (_, index) => {
          const response = await connectFetch(`${server.url}/oauth/connect/idp?connection_id=burst-${round}-${index}&public_key=${PUBLIC_KEY}`, { redirect: 'manual' });
          await response.arrayBuffer();
          return response.status;
        }),
      );
      const open = (await db.query("SELECT count(*)::int AS n FROM oauth_sessions WHERE provider_config_key = 'idp'")).rows[0].n as number;
      counted.push({ redirected: statuses.filter((status) => status === 302).length, open });
    }
    expect(counted).toEqual(Array.from({ length: ROUNDS }, () => ({ redirected: PER_CLIENT, open: PER_CLIENT })));
  });
});
