// Start-up, in order: database (embedded or DATABASE_URL) → migrations → pool →
// core → HTTP. Returns a handle whose close() undoes it all in reverse.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createCore } from './core/core.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { createDatabasePool } from './db/pool.js';
import { createApp } from './http/app.js';
import { errorSummary, type Logger } from './log.js';
import { loadCatalog } from './providers/catalog.js';
import { createOidcDiscovery } from './providers/oidc-discovery.js';
import type { Settings } from './settings.js';

export interface RunningServer {
  /** Where the server listens, e.g. http://localhost:3003. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(settings: Settings, logger: Logger): Promise<RunningServer> {
  const catalog = loadCatalog();
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = settings.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: settings.dataDir, logger });
    databaseUrl = embedded.url;
    logger.info({ dataDir: settings.dataDir }, 'embedded Postgres started');
  }
  try {
    await migrate(databaseUrl, logger);
    const pool = await createDatabasePool(databaseUrl);
    // An 'error' event without a listener would bring the process down.
    pool.on('error', (error) => logger.error({ err: errorSummary(error) }, 'database pool error'));
    const providerTimeoutSeconds = settings.providerTimeoutMs / 1000;
    const core = createCore({
      pool,
      catalog,
      discover: createOidcDiscovery(providerTimeoutSeconds),
      callbackUrl: settings.callbackUrl,
      providerTimeoutSeconds,
      refreshFailureCooldownSeconds: settings.refreshCooldownSeconds,
    });
    const app = await createApp({ core, pool, logger });
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const listening = serve({ fetch: app.fetch, port: settings.port }, () => resolve(listening));
      listening.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://localhost:${port}`,
      port,
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await pool.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
