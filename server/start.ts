// Start-up, in order: the HTTP port (answering 503 meanwhile) → database (embedded
// or DATABASE_URL) → migrations → pool → core → requests served. Returns a handle
// whose close() undoes it all in reverse.
import { bindPort, type BoundPort } from './bind-port.js';
import { createCore } from './core/core.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { prepareEncryption } from './db/encryption.js';
import { migrate } from './db/migrate.js';
import { createDatabasePool } from './db/pool.js';
import { EventListener } from './db/event-listener.js';
import { ReadConnections } from './db/read-connections.js';
import { SecretBox } from './db/secret-box.js';
import { createEdge, type Edge } from './http/app.js';
import { logTampering } from './http/error-faces.js';
import { createMetrics } from './http/metrics.js';
import { errorSummary, type Logger } from './log.js';
import { loadCatalog, type ProviderCatalog } from './providers/catalog.js';
import { createOidcDiscovery } from './providers/oidc-discovery.js';
import { providerUrlPolicy } from './providers/url-policy.js';
import type { Settings } from './settings.js';

export interface RunningServer {
  /** Where this machine reaches the server, e.g. http://localhost:3003. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Longest a shutdown waits for requests under way (a refresh may take the provider timeout). */
const SHUTDOWN_GRACE_MS = 25_000;
/** How often old events are deleted. */
const EVENTS_PRUNE_INTERVAL_MS = 3_600_000;
/** After the requests, how long the refreshes under way may still take (compose's stop_grace_period is 30 s). */
const REFRESH_STOP_GRACE_MS = 4_000;

export interface StartOptions {
  /** Tests give a catalog with local fake providers; the server loads providers.json. */
  catalog?: ProviderCatalog;
  /** The port, already bound (main.ts binds it before loading the server's modules). */
  bound?: BoundPort;
}

export async function startServer(settings: Settings, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  // The port before anything else: one in use fails at once, not after a database started.
  const bound = options.bound ?? (await bindPort(settings.host, settings.port));
  let embedded: EmbeddedDatabase | undefined;
  try {
    const catalog = options.catalog;
    let databaseUrl = settings.databaseUrl;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({ dataDir: settings.dataDir, logger });
      databaseUrl = embedded.url;
      logger.info({ dataDir: settings.dataDir }, 'embedded Postgres started');
    }
    const service = await assembleService(settings, databaseUrl, logger, catalog);
    bound.serve(service.edge.listener);
    const { server, port, url } = bound;
    return {
      url,
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
        await service.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    bound.server.closeAllConnections();
    await new Promise((resolve) => bound.server.close(resolve));
    await embedded?.stop();
    throw error;
  }
}

export interface Service {
  edge: Edge;
  /** Ends the database pool and the read connections. */
  end(): Promise<void>;
}

/**
 * Everything behind the port, on a database: migrations, the pool, encryption,
 * the read connections, metrics, the core and the HTTP edge. startServer()
 * serves it on a port; tests that need no socket call its edge's fetch().
 */
export async function assembleService(settings: Settings, databaseUrl: string, logger: Logger, catalog: ProviderCatalog = loadCatalog()): Promise<Service> {
  await migrate(databaseUrl, logger);
  const pool = await createDatabasePool(databaseUrl);
  // An 'error' event without a listener would bring the process down.
  pool.on('error', (error) => logger.warn({ err: errorSummary(error, { stack: false }) }, 'a database connection was lost; the next query opens another'));
  const box = new SecretBox(settings.encryptionKey ?? null, settings.previousEncryptionKey ?? null);
  const { encryptedValues, resealedValues, refused } = await prepareEncryption(pool, box).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  if (encryptedValues > 0) logger.info({ encryptedValues }, 'encryption key set for the first time: existing secrets encrypted');
  if (resealedValues > 0) logger.info({ resealedValues }, 'secrets sealed for their column only were re-sealed for their row');
  for (const value of refused) logTampering(logger, value);
  if (!box.encrypts) logger.warn('NANGO_ENCRYPTION_KEY is not set: secrets and tokens are stored in plaintext');
  if (!settings.secretKey && !settings.publicKey) {
    logger.warn('neither NANGO_SECRET_KEY nor NANGO_PUBLIC_KEY is set: the API is open to anyone who can reach it (fine for local development only)');
  }
  const reads = new ReadConnections(databaseUrl, (error) => logger.warn({ err: errorSummary(error, { stack: false }) }, 'a database read connection was lost; the next read opens another'));
  const metrics = createMetrics(pool, reads);
  const providerTimeoutSeconds = settings.providerTimeoutMs / 1000;
  const urlPolicy = providerUrlPolicy(settings.secretKey !== undefined, settings.allowPrivateProviderUrls);
  const core = createCore({
    pool,
    catalog,
    discover: createOidcDiscovery(providerTimeoutSeconds, urlPolicy),
    urlPolicy,
    callbackUrl: settings.callbackUrl,
    serverUrl: settings.serverUrl,
    connectPolicy: settings.connectPolicy,
    maxOpenFlowsPerConfig: settings.maxOpenFlowsPerConfig,
    maxOpenFlowsPerClient: settings.maxOpenFlowsPerClient,
    providerTimeoutSeconds,
    refresh: {
      readerWaitMs: settings.providerTimeoutMs,
      answerTimeoutSeconds: settings.refreshAnswerTimeoutMs / 1000,
      leaseSeconds: settings.refreshLeaseSeconds,
      backoffBaseSeconds: settings.refreshCooldownSeconds,
      needsReauthAfterSeconds: settings.needsReauthAfterHours * 3600,
      concurrency: settings.refreshConcurrency,
      schedulerIntervalMs: settings.refreshSchedulerIntervalMs,
    },
    dataDir: settings.dataDir,
    eventsRetentionDays: settings.eventsRetentionDays,
    webhookConcurrency: settings.webhookConcurrency,
    onBackgroundError: (error) => logger.warn({ err: errorSummary(error, { stack: false }) }, 'webhook delivery: the queue could not be read; retried shortly'),
    onRefreshCountError: (error) => logger.warn({ err: errorSummary(error, { stack: false }) }, 'refresh counts could not be written; kept for the next write'),
    box,
    proxy: settings.proxy,
    observer: { ...metrics.observer, refreshFailed: (failure) => logger.warn(failure, 'refresh failed') },
    reads,
  });
  metrics.countConnectionsByHealth(() => core.connections.countByHealth());
  const edge = await createEdge({ core, pool, logger, metrics, settings });
  await core.refreshing.start();
  if (core.refreshing.spool.size > 0) logger.warn({ answers: core.refreshing.spool.size }, 'refresh answers a previous run could not store are being written');
  // Old events go hourly (every instance tries; deleting what another deleted costs nothing).
  const pruneEvents = () => core.events.prune().catch((error: unknown) => logger.warn({ err: errorSummary(error, { stack: false }) }, 'old events could not be deleted; the next hour tries again'));
  const pruning = setInterval(pruneEvents, EVENTS_PRUNE_INTERVAL_MS);
  pruning.unref();
  void pruneEvents();
  if (settings.webhookConcurrency > 0) core.webhookSender.start();
  // Subscriptions hear of every instance's events through Postgres.
  const listener = new EventListener(databaseUrl, pool, (events) => core.events.feed.publish(events), (error) =>
    logger.warn({ err: errorSummary(error, { stack: false }) }, 'the event listener lost its database connection; it opens another'),
  );
  await listener.start();
  metrics.countWebhookQueue(() => core.webhooks.queue());
  return {
    edge,
    end: async () => {
      clearInterval(pruning);
      await core.webhookSender.stop();
      await listener.stop();
      // Refreshes under way finish (their answers are stored or spooled) before the pool goes, within the grace.
      const { abandoned } = await core.refreshing.stop(REFRESH_STOP_GRACE_MS);
      if (abandoned > 0) logger.warn({ abandoned }, 'refreshes still waiting for their provider at shutdown: their claims will expire and be retried');
      // A connection the database dropped (an outage before the stop) fails to end: nothing is lost by that.
      const ended = (what: string) => (error: unknown) => logger.warn({ err: errorSummary(error) }, `${what} did not end cleanly`);
      await Promise.all([pool.end().catch(ended('the database pool')), reads.end().catch(ended('the read connections'))]);
    },
  };
}
