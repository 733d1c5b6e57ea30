// Start-up, in order: database (embedded or DATABASE_URL) → migrations → pool →
// core → HTTP. Returns a handle whose close() undoes it all in reverse.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCore } from './core/core.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { prepareEncryption } from './db/encryption.js';
import { migrate } from './db/migrate.js';
import { createDatabasePool } from './db/pool.js';
import { ReadConnections } from './db/read-connections.js';
import { SecretBox } from './db/secret-box.js';
import { createRequestListener } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { errorSummary, type Logger } from './log.js';
import { loadCatalog, type ProviderCatalog } from './providers/catalog.js';
import { createOidcDiscovery } from './providers/oidc-discovery.js';
import type { Settings } from './settings.js';

export interface RunningServer {
  /** Where the server listens, e.g. http://localhost:3003. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Longest a shutdown waits for requests under way (a refresh may take the provider timeout). */
const SHUTDOWN_GRACE_MS = 25_000;

export interface StartOptions {
  /** Tests give a catalog with local fake providers; the server loads providers.json. */
  catalog?: ProviderCatalog;
}

export async function startServer(settings: Settings, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const catalog = options.catalog ?? loadCatalog();
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
    const box = new SecretBox(settings.encryptionKey ?? null, settings.previousEncryptionKey ?? null);
    const { encryptedValues } = await prepareEncryption(pool, box).catch(async (error: unknown) => {
      await pool.end();
      throw error;
    });
    if (encryptedValues > 0) logger.info({ encryptedValues }, 'encryption key set for the first time: existing secrets encrypted');
    if (!box.encrypts) logger.warn('NANGO_ENCRYPTION_KEY is not set: secrets and tokens are stored in plaintext');
    if (!settings.secretKey && !settings.publicKey) {
      logger.warn('neither NANGO_SECRET_KEY nor NANGO_PUBLIC_KEY is set: the API is open to anyone who can reach it (fine for local development only)');
    }
    const reads = new ReadConnections(databaseUrl, (error) => logger.error({ err: errorSummary(error) }, 'database read connection error'));
    const metrics = createMetrics(pool, reads);
    const providerTimeoutSeconds = settings.providerTimeoutMs / 1000;
    const core = createCore({
      pool,
      catalog,
      discover: createOidcDiscovery(providerTimeoutSeconds),
      callbackUrl: settings.callbackUrl,
      providerTimeoutSeconds,
      refreshFailureCooldownSeconds: settings.refreshCooldownSeconds,
      box,
      observer: { ...metrics.observer, refreshFailed: (failure) => logger.warn(failure, 'refresh failed') },
      reads,
    });
    const server = http.createServer(await createRequestListener({ core, pool, logger, metrics, secretKey: settings.secretKey, publicKey: settings.publicKey }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Idle keep-alive connections outlive a load balancer's (60 s is common), so it never
    // reuses one we are closing; a request must still arrive whole within 70 s.
    Object.assign(server, { keepAliveTimeout: 61_000, headersTimeout: 65_000, requestTimeout: 70_000 });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://localhost:${port}`,
      port,
      // Stop accepting, let the requests under way (and their refreshes) finish,
      // then the pool, then the embedded database.
      close: async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive connections go as soon as their request is answered.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const deadline = setTimeout(() => {
          logger.warn('requests still under way after the shutdown grace period: closing their connections');
          server.closeAllConnections();
        }, SHUTDOWN_GRACE_MS);
        await closed;
        clearInterval(sweep);
        clearTimeout(deadline);
        // A connection the database dropped (an outage before the stop) fails to end: nothing is lost by that.
        const ended = (what: string) => (error: unknown) => logger.warn({ err: errorSummary(error) }, `${what} did not end cleanly`);
        await Promise.all([pool.end().catch(ended('the database pool')), reads.end().catch(ended('the read connections'))]);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
