// The GraphQL face: Yoga over the Pothos schema, every unexpected error masked,
// and GraphiQL's page for browsers (graphiql.ts).
import { useGraphQlJit } from '@envelop/graphql-jit';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import { createYoga, maskError as yogaMaskError, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../../schema/builder.js';
import { schema } from '../../schema/index.js';
import type { Core } from '../core/core.js';
import type { Principal } from '../core/principal.js';
import type { Logger } from '../log.js';
import { knownError } from './error-faces.js';
import { GraphiQL } from './graphiql.js';
import { PlainOperations } from './graphql-lane.js';
import { useErrorCodes } from './use-error-codes.js';
import { useLimits } from './use-limits.js';

/** What the dispatchers give Yoga with each request: who is calling, as the edge proved it. */
export interface ServerContext {
  principal: Principal;
}

export type Yoga = YogaServerInstance<ServerContext, Context>;

export interface GraphQLService {
  yoga: Yoga;
  /** Backends' plain JSON operations, without Yoga's HTTP layer (graphql-lane.ts). */
  plain: PlainOperations;
  /** The page for browsers, and its files. */
  graphiql: GraphiQL;
}

const EXAMPLE_QUERY = `# Welcome to the token service. Try:
query ProviderConfigs {
  providerConfigs {
    key
    provider
    clientId
    scopes
    createdAt
  }
  providers(search: "git") {
    name
    displayName
    authorizationUrl
  }
}
`;

export function createGraphQLService(core: Core, logger: Logger, options: { secretKeyRequired: boolean }): GraphQLService {
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The edge limits bodies already (server/http/edge.ts); a second limit would stream every body again.
    maxRequestBodySize: false,
    context: ({ principal }) => ({ core, principal }),
    // Rejects simple (form-like) requests that a hostile page could send cross-site;
    // JSON bodies and clients sending this header pass.
    plugins: [useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }), ...useLimits(), useErrorCodes(), useCompiledQueries(logger)],
    // The page is served by the edge (endpoints/graphql.ts), never rendered by Yoga.
    graphiql: false,
    logging: {
      debug: (...args) => logger.debug({ component: 'yoga' }, args.map(String).join(' ')),
      info: (...args) => logger.debug({ component: 'yoga' }, args.map(String).join(' ')),
      warn: (...args) => logger.warn({ component: 'yoga' }, args.map(String).join(' ')),
      error: () => undefined, // unexpected errors are logged once, safely, by graphQLErrorMask below
    },
    maskedErrors: { maskError: graphQLErrorMask(logger) },
  });
  const graphiql = new GraphiQL({
    title: 'Nango token service',
    defaultQuery: EXAMPLE_QUERY,
    // A placeholder, never the key itself: the page is served without one.
    ...(options.secretKeyRequired ? { headers: JSON.stringify({ Authorization: 'Bearer <your NANGO_SECRET_KEY>' }, null, 2) } : {}),
  });
  return { yoga, plain: new PlainOperations(yoga, graphQLErrorMask(logger)), graphiql };
}

/**
 * Operations compiled once to JavaScript by graphql-jit, and run compiled: on a
 * page of 100 connections, execution took half the time of the request. The
 * compiled form lives as long as Yoga's cached parse of the document.
 */
function useCompiledQueries(logger: Logger) {
  return useGraphQlJit({}, {
    // Not console.error, the plugin's default: our logger, and only what the error is.
    onError: (result) => logger.warn({ errors: result.errors?.map((error) => error.message.slice(0, 200)) }, 'graphql-jit could not compile an operation'),
  });
}

/**
 * Errors from the catalogue keep their code and status (a database that does
 * not answer is database_unavailable); anything unexpected is logged once,
 * safely, and masked.
 */
export function graphQLErrorMask(logger: Logger): (error: unknown, message: string) => Error {
  return (error, message) => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    // GraphQL's own errors (syntax, validation, variables) have no original error and stay as they are.
    if (error instanceof GraphQLError && !original) return yogaMaskError(error, message, false);
    const { error: known, unexpected } = knownError(original, logger, '/graphql');
    if (!unexpected) {
      return new GraphQLError(known.message, {
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        path: error instanceof GraphQLError ? error.path : undefined,
        // The status is the domain's (404 unknown_connection, 502 refresh_failed, ...); Yoga answers the highest.
        extensions: { code: known.code, ...known.details, http: { status: known.status } },
      });
    }
    // Never the development mode: it would put the original error in the response.
    return yogaMaskError(error, message, false);
  };
}
