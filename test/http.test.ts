import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startInProcessServer, type InProcessServer } from './support/in-process.js';

let server: InProcessServer;

beforeAll(async () => {
  server = await startInProcessServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('the HTTP server', () => {
  it('answers the health check once the database answers', async () => {
    const response = await server.fetch(`/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes with a stable code', async () => {
    const response = await server.fetch(`/no/such/route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /no/such/route.' } });
  });

  it('serves GraphiQL to browsers, bundled (no CDN), with an example query', async () => {
    const response = await server.fetch(`/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Nango token service');
    expect(html).toContain('providerConfigs');
    expect(html).not.toMatch(/https:\/\/unpkg\.com/);
  });

  it('masks unexpected errors: no SQL, stack or path reaches the caller', async () => {
    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    await client.query('ALTER TABLE provider_configs RENAME TO provider_configs_moved');
    try {
      const body = await server.graphql('{ providerConfigs { key } }');
      expect(body.errors).toEqual([
        expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
      ]);
      expect(JSON.stringify(body)).not.toMatch(/provider_configs|SELECT|relation|\.ts|node_modules/);
    } finally {
      await client.query('ALTER TABLE provider_configs_moved RENAME TO provider_configs');
      await client.end();
    }
  });
});
