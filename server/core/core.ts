// The domain's front door: one object with every service, built once at
// start-up and handed to the GraphQL and HTTP faces.
import { pingDatabase, type DatabasePool } from '../db/pool.js';
import { VERSION } from '../version.js';
import { ConnectSessionStore } from '../db/connect-session-store.js';
import { ConnectionStore } from '../db/connection-store.js';
import { OAuthSessionStore } from '../db/oauth-session-store.js';
import { ProviderConfigStore } from '../db/provider-config-store.js';
import { EventStore } from '../db/event-store.js';
import { WebhookStore } from '../db/webhook-store.js';
import type { ReadConnections } from '../db/read-connections.js';
import { SecretBox } from '../db/secret-box.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { ConnectSessions } from './connect-sessions.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { Connections } from './connections.js';
import { ConnectionCreation } from './connection-creation.js';
import { RefreshSpool } from '../db/refresh-spool.js';
import { FreshCredentials } from './fresh-credentials.js';
import { RefreshEngine } from './refresh-engine.js';
import { RefreshScheduler } from './refresh-scheduler.js';
import { silentObserver, type CoreObserver } from './observer.js';
import { RefreshActivity } from './refresh-activity.js';
import { RefreshMinuteStore } from '../db/refresh-minute-store.js';
import type { ConnectPolicy } from './principal.js';
import { Events } from './events.js';
import { Webhooks, WebhookSender } from './webhooks.js';
import { OAuthFlow } from './oauth-flow.js';
import { ProviderConfigs } from './provider-configs.js';
import { GrantRevocation } from './revocation.js';
import { upstreamCaller } from '../providers/proxy-call.js';
import { ProviderApps } from './provider-apps.js';
import { ApiProxy, type ProxySettings } from './proxy.js';

/** What the service says about itself (Query.service): the dashboard's overview and config pages show it. */
export interface ServiceInfo {
  version: string;
  serverUrl: string;
  /** The redirect URI to register at every OAuth provider. */
  callbackUrl: string;
  /** How long a round trip to the database takes now, in milliseconds (it throws when the database is away). */
  databaseLatencyMs(): Promise<number>;
}

export interface Core {
  service: ServiceInfo;
  catalog: ProviderCatalog;
  providerConfigs: ProviderConfigs;
  connections: Connections;
  /** Connections made from credentials given (API key, Basic) or obtained at once (client credentials, GitHub App). */
  connectionCreation: ConnectionCreation;
  connectSessions: ConnectSessions;
  oauthFlow: OAuthFlow;
  freshCredentials: FreshCredentials;
  events: Events;
  webhooks: Webhooks;
  /** Sends due webhook deliveries: started after migrations, stopped (attempts under way finished) before the pool ends. */
  webhookSender: WebhookSender;
  /** Refreshes succeeded and failed per minute, summed over every instance (the dashboard's overview). */
  refreshActivity: RefreshActivity;
  /** Calls to a provider's API for a connection, its credentials placed by the service (/proxy/*). */
  proxy: ApiProxy;
  /** Refreshing ahead and the answers waiting for the database: started after migrations, stopped before the pool ends. */
  refreshing: {
    start(): Promise<void>;
    /** Stops refreshing ahead and waits up to `graceMs` for the refreshes under way: how many were still out. */
    stop(graceMs: number): Promise<{ abandoned: number }>;
    scheduler: RefreshScheduler;
    spool: RefreshSpool;
  };
}

export interface CoreDependencies {
  /** How long events are kept. */
  eventsRetentionDays: number;
  /** Webhook attempts an instance makes at once. */
  webhookConcurrency: number;
  /** Where failures of background work (a webhook look with the database away) are reported. */
  onBackgroundError?: (error: unknown) => void;
  /** Where a failed write of the refresh counts is reported (they are kept, and written with the next). */
  onRefreshCountError?: (error: unknown) => void;
  pool: DatabasePool;
  catalog: ProviderCatalog;
  discover: DiscoverEndpoints;
  /** Which provider URLs may be called (settings: secret key, NANGO_ALLOW_PRIVATE_PROVIDER_URLS). */
  urlPolicy: ProviderUrlPolicy;
  /** The redirect_uri registered at the providers. */
  callbackUrl: string;
  /** The server's public URL, for the connect URLs of connect sessions. */
  serverUrl: string;
  connectPolicy: ConnectPolicy;
  maxOpenFlowsPerConfig: number;
  maxOpenFlowsPerClient: number;
  providerTimeoutSeconds: number;
  refresh: RefreshSettings;
  /** Where refresh answers the database could not take wait for it (the data directory). */
  dataDir: string;
  /** Encrypts the secrets at rest; plaintext when absent. */
  box?: SecretBox;
  observer?: CoreObserver;
  /** The connections the token read and the list share (see ReadConnections). */
  reads: ReadConnections;
  /** The proxy's limits and clock (settings.ts). */
  proxy: ProxySettings;
}


/** How refreshes run (settings.ts). */
export interface RefreshSettings {
  /** How long a reader waits for a refresh before it gets the still-valid token or refresh_pending. */
  readerWaitMs: number;
  /** How long a provider may take to answer a refresh before its outcome counts as unknown. */
  answerTimeoutSeconds: number;
  leaseSeconds: number;
  /** The first backoff after a failed refresh (doubling up to an hour). */
  backoffBaseSeconds: number;
  needsReauthAfterSeconds: number;
  /** Refreshes the scheduler runs at once in this instance; 0 turns refreshing ahead off. */
  concurrency: number;
  schedulerIntervalMs: number;
}

/** Between looks at the webhook queue when it was empty: a new event's first attempt goes within about this. */
const WEBHOOK_LOOK_INTERVAL_MS = 500;

export function createCore(dependencies: CoreDependencies): Core {
  const { pool, catalog, discover, urlPolicy, callbackUrl, providerTimeoutSeconds, refresh } = dependencies;
  const box = dependencies.box ?? SecretBox.plaintext();
  const configs = new ProviderConfigStore(pool, box);
  const connections = new ConnectionStore(pool, box, dependencies.reads);
  const connectSessions = new ConnectSessionStore(pool);
  const webhookStore = new WebhookStore(pool, box);
  const refreshActivity = new RefreshActivity(new RefreshMinuteStore(pool), dependencies.onRefreshCountError);
  const observer = refreshActivity.observing(dependencies.observer ?? silentObserver);
  const spool = RefreshSpool.inDirectory(dependencies.dataDir, box, async (answer) => ((await connections.writeRefreshed(
    { id: answer.rowId, providerConfigKey: answer.providerConfigKey, connectionId: answer.connectionId },
    answer.claimedVersion,
    answer,
  )) ? 'written' : 'superseded'));
  const engine = new RefreshEngine({
    configs,
    connections,
    catalog,
    urlPolicy,
    spool,
    answerTimeoutSeconds: refresh.answerTimeoutSeconds,
    leaseSeconds: refresh.leaseSeconds,
    backoffBaseSeconds: refresh.backoffBaseSeconds,
    backoffMaxSeconds: 3600,
    needsReauthAfterSeconds: refresh.needsReauthAfterSeconds,
    observer,
  });
  const scheduler = new RefreshScheduler({
    connections,
    engine,
    concurrency: refresh.concurrency,
    leaseSeconds: refresh.leaseSeconds,
    intervalMs: refresh.schedulerIntervalMs,
  });
  const freshCredentials = new FreshCredentials({ connections, engine, spool, readerWaitMs: refresh.readerWaitMs, observer });
  const { proxy } = dependencies;
  return {
    service: {
      version: VERSION,
      serverUrl: dependencies.serverUrl,
      callbackUrl,
      databaseLatencyMs: async () => {
        const started = performance.now();
        await pingDatabase(pool);
        return Math.round((performance.now() - started) * 100) / 100;
      },
    },
    refreshing: {
      start: async () => {
        await spool.replay();
        refreshActivity.start();
        if (refresh.concurrency > 0) scheduler.start();
      },
      stop: async (graceMs: number) => {
        await scheduler.stop();
        // A provider slower than the grace keeps its answer: the claim expires, and the next refresh knows it took over.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([engine.settle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        const abandoned = engine.inFlight;
        await spool.stop();
        await refreshActivity.stop();
        return { abandoned };
      },
      scheduler,
      spool,
    },
    refreshActivity,
    catalog,
    providerConfigs: new ProviderConfigs(configs, catalog, discover, urlPolicy),
    connections: new Connections(connections, new GrantRevocation({ configs, catalog, providerTimeoutSeconds, urlPolicy })),
    connectionCreation: new ConnectionCreation({
      configs,
      connections,
      connectSessions,
      catalog,
      providerTimeoutSeconds,
      urlPolicy,
      refreshDueAt: (credentials, provider) => engine.dueAt(credentials, provider),
    }),
    connectSessions: new ConnectSessions(connectSessions, { serverUrl: dependencies.serverUrl }),
    oauthFlow: new OAuthFlow({
      configs,
      connections,
      connectSessions,
      connectPolicy: dependencies.connectPolicy,
      maxOpenFlowsPerConfig: dependencies.maxOpenFlowsPerConfig,
      maxOpenFlowsPerClient: dependencies.maxOpenFlowsPerClient,
      sessions: new OAuthSessionStore(pool, box),
      catalog,
      callbackUrl,
      providerTimeoutSeconds,
      urlPolicy,
      refreshDueAt: (credentials, provider) => engine.dueAt(credentials, provider),
      observer,
    }),
    freshCredentials,
    proxy: new ApiProxy({
      connections,
      apps: new ProviderApps(configs, catalog),
      fresh: freshCredentials,
      upstream: upstreamCaller(urlPolicy, { headersTimeoutMs: proxy.timeoutMs, idleTimeoutMs: proxy.timeoutMs }).call,
      policy: urlPolicy,
      settings: proxy,
      observer,
    }),
    events: new Events(new EventStore(pool), dependencies.eventsRetentionDays),
    webhooks: new Webhooks(webhookStore, urlPolicy),
    webhookSender: new WebhookSender({
      store: webhookStore,
      urlPolicy,
      concurrency: dependencies.webhookConcurrency,
      intervalMs: WEBHOOK_LOOK_INTERVAL_MS,
      observer,
      onError: dependencies.onBackgroundError,
    }),
  };
}
