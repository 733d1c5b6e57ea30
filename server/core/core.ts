// The domain's front door: one object with every service, built once at
// start-up and handed to the GraphQL and HTTP faces.
import type { DatabasePool } from '../db/pool.js';
import { ConnectionStore } from '../db/connection-store.js';
import { OAuthSessionStore } from '../db/oauth-session-store.js';
import { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { Connections } from './connections.js';
import { FreshCredentials } from './fresh-credentials.js';
import { OAuthFlow } from './oauth-flow.js';
import { ProviderConfigs } from './provider-configs.js';

export interface Core {
  catalog: ProviderCatalog;
  providerConfigs: ProviderConfigs;
  connections: Connections;
  oauthFlow: OAuthFlow;
  freshCredentials: FreshCredentials;
}

export interface CoreDependencies {
  pool: DatabasePool;
  catalog: ProviderCatalog;
  discover: DiscoverEndpoints;
  /** The redirect_uri registered at the providers. */
  callbackUrl: string;
  providerTimeoutSeconds: number;
  /** After a failed refresh, how long to answer refresh_failed without calling the provider. */
  refreshFailureCooldownSeconds?: number;
}

export function createCore({ pool, catalog, discover, callbackUrl, providerTimeoutSeconds, refreshFailureCooldownSeconds }: CoreDependencies): Core {
  const configs = new ProviderConfigStore(pool);
  const connections = new ConnectionStore(pool);
  return {
    catalog,
    providerConfigs: new ProviderConfigs(configs, catalog, discover),
    connections: new Connections(connections),
    oauthFlow: new OAuthFlow({
      configs,
      connections,
      sessions: new OAuthSessionStore(pool),
      catalog,
      callbackUrl,
      providerTimeoutSeconds,
    }),
    freshCredentials: new FreshCredentials({
      configs,
      connections,
      catalog,
      providerTimeoutSeconds,
      failureCooldownSeconds: refreshFailureCooldownSeconds,
    }),
  };
}
