// The GraphQL face: Yoga over the Pothos schema, with GraphiQL served from the
// bundled assets (works offline) and every unexpected error masked.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, maskError as yogaMaskError, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../../schema/builder.js';
import { schema } from '../../schema/index.js';
import type { Core } from '../core/core.js';
import { AppError } from '../core/errors.js';
import { errorSummary, type Logger } from '../log.js';
import { useErrorCodes } from './use-error-codes.js';
import { useLimits } from './use-limits.js';

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

export function createGraphQLHandler(core: Core, logger: Logger, options: { secretKeyRequired: boolean }): YogaServerInstance<object, Context> {
  return createYoga<object, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The router limits bodies already (server/http/app.ts); a second limit would stream every body again.
    maxRequestBodySize: false,
    context: () => ({ core }),
    renderGraphiQL,
    // Rejects simple (form-like) requests that a hostile page could send cross-site;
    // JSON bodies and clients sending this header pass.
    plugins: [useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }), ...useLimits(), useErrorCodes(), useCompiledQueries(logger)],
    graphiql: {
      title: 'Nango token service',
      defaultQuery: EXAMPLE_QUERY,
      // A placeholder, never the key itself: the page is served without one.
      ...(options.secretKeyRequired ? { headers: JSON.stringify({ Authorization: 'Bearer <your NANGO_SECRET_KEY>' }, null, 2) } : {}),
    },
    logging: {
      debug: (...args) => logger.debug({ component: 'yoga' }, args.map(String).join(' ')),
      info: (...args) => logger.debug({ component: 'yoga' }, args.map(String).join(' ')),
      warn: (...args) => logger.warn({ component: 'yoga' }, args.map(String).join(' ')),
      error: () => undefined, // unexpected errors are logged once, safely, by graphQLErrorMask below
    },
    maskedErrors: { maskError: graphQLErrorMask(logger) },
  });
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

/** Domain errors keep their code and status; anything unexpected is logged once, safely, and masked. */
export function graphQLErrorMask(logger: Logger): (error: unknown, message: string) => Error {
  return (error, message) => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof AppError) {
      return new GraphQLError(original.message, {
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        path: error instanceof GraphQLError ? error.path : undefined,
        // The status is the domain's (404 unknown_connection, 502 refresh_failed, ...); Yoga answers the highest.
        extensions: { code: original.code, ...original.details, http: { status: original.status } },
      });
    }
    if (!(error instanceof GraphQLError) || error.originalError) {
      logger.error({ err: errorSummary(original) }, 'unexpected error in a GraphQL operation');
    }
    // Never the development mode: it would put the original error in the response.
    return yogaMaskError(error, message, false);
  };
}
