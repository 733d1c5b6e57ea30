// The router: GraphQL at /graphql, the OAuth routes, the browser SDK, the
// health check, and one JSON error shape
// ({ error: { code, message } }) for everything that is not GraphQL. In front
// of it, two lanes take the reads backends repeat: the REST token read and
// list, and GraphQL operations (rest-read-lane.ts, graphql-lane.ts).
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { YogaServerInstance } from 'graphql-yoga';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Context as GraphQLContext } from '../../schema/builder.js';
import type { Core } from '../core/core.js';
import { pingDatabase, type DatabasePool } from '../db/pool.js';
import { errorSummary, type Logger } from '../log.js';
import { requireSecretKey, requireSecretKeyForGraphQL } from './api-keys.js';
import { closeUnreadBodies } from './close-unread-bodies.js';
import { mountFrontendSdk } from './frontend-sdk.js';
import type { Metrics } from './metrics.js';
import { createGraphQLHandler } from './graphql.js';
import { graphqlLane } from './graphql-lane.js';
import { mountOAuthRoutes } from './oauth-routes.js';
import { mountRestRoutes } from './rest-routes.js';
import { requestLog } from './request-log.js';
import { restError } from './rest-error.js';
import { restReadLane } from './rest-read-lane.js';

/** Generous for any GraphQL operation or provider config; small enough that no body is a burden. */
export const MAX_BODY_BYTES = 100 * 1024;

function tooLarge(c: Context): Response {
  const message = `The request body is over the limit of ${MAX_BODY_BYTES / 1024} KiB.`;
  return c.req.path === '/graphql'
    ? c.json({ errors: [{ message, extensions: { code: 'payload_too_large' } }] }, 413)
    : c.json({ error: { code: 'payload_too_large', message } }, 413);
}

/**
 * A declared Content-Length is checked as it is (Node's parser holds the body to
 * it); only chunked bodies are counted as they stream, which costs a web stream.
 */
function limitBodies(): MiddlewareHandler {
  const streamed = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && /^\d+$/.test(length)) {
      if (Number(length) > MAX_BODY_BYTES) return tooLarge(c);
      return next();
    }
    if (c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    return next();
  };
}

export interface AppDependencies {
  core: Core;
  pool: DatabasePool;
  logger: Logger;
  metrics: Metrics;
  secretKey?: string;
  publicKey?: string;
}

/** Node's request listener: the lanes first, the router for whatever they leave. */
export async function createRequestListener(dependencies: AppDependencies): Promise<RequestListener> {
  const { core, logger, metrics, secretKey } = dependencies;
  const yoga = createGraphQLHandler(core, logger, { secretKeyRequired: Boolean(secretKey) });
  const routed = getRequestListener((await createApp(dependencies, yoga)).fetch);
  const lanes = [restReadLane(dependencies), graphqlLane({ yoga, logger, metrics, secretKey, maxBodyBytes: MAX_BODY_BYTES })];
  return (req, res) => {
    for (const lane of lanes) if (lane(req, res)) return;
    void routed(req, res);
  };
}

async function createApp({ core, pool, logger, metrics, secretKey, publicKey }: AppDependencies, yoga: YogaServerInstance<object, GraphQLContext>): Promise<Hono> {
  const app = new Hono();

  app.use(requestLog(logger));
  app.use(metrics.observeRequests());
  app.use(closeUnreadBodies());
  app.use(limitBodies());


  // Liveness: the process answers. Readiness (/health): the database answers too.
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health', async (c) => {
    try {
      await pingDatabase(pool);
      return c.json({ status: 'ok' });
    } catch (error) {
      logger.warn({ err: errorSummary(error) }, 'health check: the database does not answer');
      return c.json({ status: 'unavailable', error: { code: 'database_unavailable', message: 'The database does not answer.' } }, 503);
    }
  });

  app.use('/metrics', requireSecretKey(secretKey));
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));

  app.use('/graphql', requireSecretKeyForGraphQL(secretKey));
  app.on(['GET', 'POST', 'OPTIONS'], '/graphql', (c) => yoga.fetch(c.req.raw));
  mountOAuthRoutes(app, core, logger, publicKey);
  app.use('/connection', requireSecretKey(secretKey));
  app.use('/connection/*', requireSecretKey(secretKey));
  mountRestRoutes(app, core);
  await mountFrontendSdk(app);

  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } }, 404),
  );

  app.onError((error, c) => {
    const { status, body } = restError(error, logger, c.req.path);
    return c.json(body, status as ContentfulStatusCode);
  });

  return app;
}
