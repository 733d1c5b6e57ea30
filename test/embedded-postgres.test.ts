import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';

// Starts its own embedded cluster (not the test run's shared one): this is
// what `npm start` does with no DATABASE_URL.
let dataDir: string;
const logger = createLogger('silent');

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'nango-embedded-'));
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function start(): Promise<RunningServer> {
  return startServer(loadSettings({ PORT: '0', NANGO_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), logger);
}

async function graphql(server: RunningServer, query: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return response.json() as Promise<{ data?: any; errors?: unknown[] }>;
}

describe('the embedded database', () => {
  it('keeps provider configs across a restart, and refuses a second server on the same data dir', async () => {
    const first = await start();
    try {
      const created = await graphql(
        first,
        'mutation { createProviderConfig(input: { key: "persisted", provider: "github", clientId: "id", clientSecret: "s", scopes: ["repo"] }) { key } }',
      );
      expect(created.errors).toBeUndefined();
      expect(await (await fetch(`${first.url}/health`)).json()).toEqual({ status: 'ok' });

      await expect(start()).rejects.toThrow(/already in use by another process \(postgres pid \d+\)/);
      // The refused start must not have disturbed the running one.
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
    } finally {
      await first.close();
    }

    const second = await start();
    try {
      const listed = await graphql(second, '{ providerConfigs { key provider scopes } }');
      expect(listed.data.providerConfigs).toEqual([{ key: 'persisted', provider: 'github', scopes: ['repo'] }]);
    } finally {
      await second.close();
    }
  }, 90_000);
});
