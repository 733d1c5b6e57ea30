// Every GraphQL error leaves with a stable extensions.code and a 4xx status
// when the request itself was at fault, and without the request-parsing
// details Yoga attaches (they can echo the body back).
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLProtocolCode } from '../core/errors.js';

const ARMOR_REJECTION = /\b(Token|Aliases|Directives|Query depth|Query Cost) limit of \d+ exceeded/i;

type Extensions = Record<string, unknown> & { http?: { status?: number; spec?: boolean; headers?: Record<string, string> } };

export function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !('errors' in result) || !result.errors?.length) return;
      setResult(withErrorCodes(result));
    },
  };
}

/** The result with a code (and a 4xx status where the request was at fault) on each of its errors. */
export function withErrorCodes<Result extends { errors?: readonly GraphQLError[] }>(result: Result): Result {
  return result.errors?.length ? { ...result, errors: result.errors.map(withCode) } : result;
}

function withCode(error: GraphQLError): GraphQLError {
  const { originalError: _echo, ...rest } = (error.extensions ?? {}) as Extensions;
  const extensions: Extensions = { ...rest };
  const status = extensions.http?.status;
  if (extensions.http) {
    // `spec` keeps Yoga's legacy 200 for application/json clients; a bad request is a 4xx for everyone.
    const { spec: _spec, ...http } = extensions.http;
    extensions.http = http;
  }
  if (ARMOR_REJECTION.test(error.message)) {
    // graphql-armor's limits reject in the parser (tokens) or in validation (depth, aliases, cost).
    extensions.code = 'QUERY_TOO_COMPLEX' satisfies GraphQLProtocolCode;
    extensions.http = { ...extensions.http, status: 400 };
  } else if (!extensions.code) {
    if (error.message.startsWith('Variable "$')) {
      extensions.code = 'BAD_USER_INPUT' satisfies GraphQLProtocolCode;
      extensions.http = { ...extensions.http, status: 400 };
    } else if (status === 403) {
      extensions.code = 'CSRF_PREVENTED' satisfies GraphQLProtocolCode;
    } else if (status && status >= 400 && status < 500) {
      extensions.code = 'BAD_REQUEST' satisfies GraphQLProtocolCode;
    } else if (!error.path) {
      extensions.code = 'BAD_REQUEST' satisfies GraphQLProtocolCode;
      extensions.http = { ...extensions.http, status: 400 };
    }
  }
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}
