// The HTTP edge, assembled: the route table checked and compiled, the fast path
// in front, the router behind it (see routes.ts for the routes, edge.ts for
// what runs around each request).
import type { RequestListener } from 'node:http';
import type { Core } from '../core/core.js';
import type { DatabasePool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { Settings } from '../settings.js';
import { Dashboard } from './dashboard.js';
import { DashboardSessions } from './dashboard-session.js';
import { compileFrontendSdk } from './endpoints/frontend-sdk.js';
import { fastPath } from './fast-path.js';
import { createGraphQLService } from './graphql.js';
import type { Metrics } from './metrics.js';
import { compileRoutes } from './route.js';
import { router } from './router.js';
import { ROUTES } from './routes.js';

export interface AppDependencies {
  core: Core;
  pool: DatabasePool;
  logger: Logger;
  metrics: Metrics;
  settings: Pick<Settings, 'secretKey' | 'publicKey' | 'connectPolicy' | 'trustProxyHops' | 'serverUrl' | 'callbackUrl'>;
}

export interface Edge {
  /** Node's request listener: the fast path, then the router. */
  listener: RequestListener;
  /** The router alone, on web Requests: the same routes without a socket (tests). */
  fetch(request: Request): Promise<Response>;
}

/** The whole HTTP edge; throws (at start-up) when the route table is wrong. */
export async function createEdge({ core, pool, logger, metrics, settings }: AppDependencies): Promise<Edge> {
  const { secretKey, publicKey, connectPolicy } = settings;
  const table = compileRoutes(ROUTES);
  const services = {
    core,
    pool,
    logger,
    metrics,
    graphql: createGraphQLService(core, logger, { secretKeyRequired: Boolean(secretKey) }),
    keys: { secretKey, publicKey, connectPolicy, connectSessions: core.connectSessions, dashboardSessions: secretKey ? new DashboardSessions(secretKey) : undefined },
    frontendSdk: await compileFrontendSdk(),
    dashboard: new Dashboard(),
    trustProxyHops: settings.trustProxyHops,
    flowCookie: { path: new URL(settings.callbackUrl).pathname, secure: settings.serverUrl.startsWith('https:') },
  };
  const routed = router(table, services);
  return { listener: fastPath(table, services, routed.listener), fetch: routed.fetch };
}
