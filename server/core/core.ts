// The domain's front door: one object with every service, built once at
// start-up and handed to the GraphQL and HTTP faces.
import type { DatabasePool } from '../db/pool.js';
import { ConnectSessionStore } from '../db/connect-session-store.js';
import { ConnectionStore } from '../db/connection-store.js';
import { OAuthSessionStore } from '../db/oauth-session-store.js';
import { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ReadConnections } from '../db/read-connections.js';
import { SecretBox } from '../db/secret-box.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { ConnectSessions } from './connect-sessions.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { Connections } from './connections.js';
import { FreshCredentials } from './fresh-credentials.js';
import type { CoreObserver } from './observer.js';
import type { ConnectPolicy } from './principal.js';
import { OAuthFlow } from './oauth-flow.js';
import { ProviderConfigs } from './provider-configs.js';
import { GrantRevocation } from './revocation.js';

export interface Core {
  catalog: ProviderCatalog;
  providerConfigs: ProviderConfigs;
  connections: Connections;
  connectSessions: ConnectSessions;
  oauthFlow: OAuthFlow;
  freshCredentials: FreshCredentials;
}

export interface CoreDependencies {
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
  /** After a failed refresh, how long to answer refresh_failed without calling the provider. */
  refreshFailureCooldownSeconds?: number;
  /** Encrypts the secrets at rest; plaintext when absent. */
  box?: SecretBox;
  observer?: CoreObserver;
  /** The connections the token read and the list share (see ReadConnections). */
  reads: ReadConnections;
}

export function createCore(dependencies: CoreDependencies): Core {
  const { pool, catalog, discover, urlPolicy, callbackUrl, providerTimeoutSeconds, refreshFailureCooldownSeconds } = dependencies;
  const box = dependencies.box ?? SecretBox.plaintext();
  const configs = new ProviderConfigStore(pool, box);
  const connections = new ConnectionStore(pool, box, dependencies.reads);
  const connectSessions = new ConnectSessionStore(pool);
  return {
    catalog,
    providerConfigs: new ProviderConfigs(configs, catalog, discover, urlPolicy),
    connections: new Connections(connections, new GrantRevocation({ configs, catalog, providerTimeoutSeconds, urlPolicy })),
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
      observer: dependencies.observer,
    }),
    freshCredentials: new FreshCredentials({
      configs,
      connections,
      catalog,
      providerTimeoutSeconds,
      urlPolicy,
      failureCooldownSeconds: refreshFailureCooldownSeconds,
      observer: dependencies.observer,
    }),
  };
}
