// The domain's front door: one object with every service, built once at
// start-up and handed to the GraphQL and HTTP faces.
import type { DatabasePool } from '../db/pool.js';
import { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { DiscoverEndpoints } from '../providers/oidc-discovery.js';
import { ProviderConfigs } from './provider-configs.js';

export interface Core {
  catalog: ProviderCatalog;
  providerConfigs: ProviderConfigs;
}

export interface CoreDependencies {
  pool: DatabasePool;
  catalog: ProviderCatalog;
  discover: DiscoverEndpoints;
}

export function createCore({ pool, catalog, discover }: CoreDependencies): Core {
  return {
    catalog,
    providerConfigs: new ProviderConfigs(new ProviderConfigStore(pool), catalog, discover),
  };
}
