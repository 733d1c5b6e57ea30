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

/**
 * graphql-js names a variable that failed coercion with its whole value
 * ('Variable "$input" got invalid value { clientSecret: "…" }; …'): the value
 * may be a secret, so it is cut out, keeping the variable, the path and why.
 * The value is printed by graphql-js's inspect(): strings JSON-quoted, objects
 * and lists bracketed, so its end is found by reading it, not by guessing.
 */
export function withoutEchoedValue(message: string): string {
  const head = /^Variable "\$[A-Za-z_][A-Za-z0-9_]*" got invalid value /.exec(message);
  if (!head) return message;
  let depth = 0;
  let inString = false;
  for (let at = head[0].length; at < message.length; at++) {
    const character = message[at];
    if (inString) {
      if (character === '\\') at++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{' || character === '[') depth++;
    else if (character === '}' || character === ']') depth--;
    else if (depth <= 0 && (message.startsWith('; ', at) || message.startsWith(' at "', at))) {
      return `${head[0].slice(0, -' got invalid value '.length)} got an invalid value${message.slice(at)}`;
    }
  }
  return `${head[0].slice(0, -' got invalid value '.length)} got an invalid value.`;
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
  const message = extensions.code === 'BAD_USER_INPUT' ? withoutEchoedValue(error.message) : error.message;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}
