// /graphql: operations from backends, and GraphiQL's page for a browser. The
// edge has proved the caller (routes.ts declares who may call); Yoga gets the
// principal in its context.
import { AppError } from '../../core/errors.js';
import type { Reply, RouteRequest, Services } from '../route.js';

async function throughYoga(request: RouteRequest, { graphql }: Services): Promise<Reply> {
  return { response: await graphql.yoga.fetch(await request.toWebRequest(), { principal: request.principal }) };
}

/** POST: a backend's plain JSON operation runs without Yoga's HTTP layer; anything else goes through it. */
export async function graphqlOperation(request: RouteRequest, services: Services): Promise<Reply> {
  return (await services.graphql.plain.answer(request)) ?? throughYoga(request, services);
}

/** GET: GraphiQL for a browser, whoever it is (its own requests then need the key); an operation for a backend. */
export async function graphiqlOrOperation(request: RouteRequest, services: Services): Promise<Reply> {
  // Whatever else it asks for: a request that accepts HTML gets the page and runs nothing.
  if ((request.header('accept') ?? '').includes('text/html')) return { status: 200, ...(await services.graphql.graphiql.page()) };
  if (request.principal.kind !== 'backend') throw new AppError('missing_auth_header');
  return throughYoga(request, services);
}

/** OPTIONS: Yoga's answer to a preflight. */
export const graphqlPreflight = throughYoga;
