// A test server whose readers do the refreshing (its scheduler off, or it would
// get there first), a real oidc-provider whose redirect URI is the server's
// callback, and a client on the server's database.
import pg from 'pg';
import { startTestIssuer, type TestIssuer } from './oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './server.js';

export interface ServerWithIssuer {
  server: TestServer;
  issuer: TestIssuer;
  db: pg.Client;
  stop(): Promise<void>;
}

export async function startServerWithIssuer(): Promise<ServerWithIssuer> {
  const port = await freePort();
  const issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`] });
  const server = await startTestServer({ port, env: { NANGO_REFRESH_CONCURRENCY: '0' } });
  const db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  return {
    server,
    issuer,
    db,
    stop: async () => {
      await db.end();
      await Promise.all([server.stop(), issuer.close()]);
    },
  };
}
