// POST /graphql from a backend (a JSON body, no Origin), served from Node's
// request listener with Yoga's own GraphQL engine: yoga.getEnveloped() gives
// the parse and validation caches, the limits, the masking and the context
// that Yoga itself would use. What this skips is Yoga's HTTP layer (a web
// Request and Response per call, and their streams), which cost more than a
// whole token read (see the README's performance section). Results with errors
// go through Yoga's own result processor, so their statuses and shapes are
// Yoga's. Anything else (a browser's request, another media type, a body that
// does not parse, a document that does not validate) is handed to Yoga whole,
// before anything has run.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../../schema/builder.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../log.js';
import { checkSecretKey } from './api-keys.js';
import { graphQLErrorMask } from './graphql.js';
import type { Metrics } from './metrics.js';
import { logRequest } from './request-log.js';
import type { Lane } from './rest-read-lane.js';
import { withErrorCodes } from './use-error-codes.js';

const ROUTE = '/graphql';

export interface GraphQLLaneOptions {
  yoga: YogaServerInstance<object, Context>;
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  secretKey?: string;
}

/** The response media type, for the Accept headers backends send; anything else is Yoga's to negotiate. */
function responseMediaType(accept: string | undefined): string | null {
  switch (accept?.replace(/\s/g, '').toLowerCase()) {
    case undefined:
    case '*/*':
    case 'application/json':
      return 'application/json';
    // graphql-request's (the generated client's) and the GraphQL-over-HTTP spec's.
    case 'application/graphql-response+json,application/json':
    case 'application/graphql-response+json':
      return 'application/graphql-response+json';
    default:
      return null;
  }
}

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

function isParams(body: unknown): body is Params {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { query, variables, operationName, ...rest } = body as Record<string, unknown>;
  return (
    typeof query === 'string' &&
    (variables === undefined || variables === null || (typeof variables === 'object' && !Array.isArray(variables))) &&
    (operationName === undefined || operationName === null || typeof operationName === 'string') &&
    Object.keys(rest).length === 0
  );
}

export function graphqlLane({ yoga, logger, metrics, maxBodyBytes, secretKey }: GraphQLLaneOptions): Lane {
  const maskError = graphQLErrorMask(logger);
  const validated = new ValidatedDocuments(VALIDATED_DOCUMENTS);

  async function answer(req: IncomingMessage, res: ServerResponse, mediaType: string, started: number): Promise<void> {
    const body = await readBody(req);
    // Yoga's plugins read the request's method and headers from the context (a GET may not mutate;
    // a parse error is marked as the client's). Node's parsed headers go as they are: Yoga's Headers
    // reads a plain object only when asked.
    const request = new yoga.fetchAPI.Request(`http://localhost${ROUTE}`, { method: 'POST', headers: req.headers as Record<string, string> });
    const result = await execute(body, request);
    if (result === 'for-yoga') {
      await send(res, await yoga.fetch(new yoga.fetchAPI.Request(`http://localhost${ROUTE}`, { method: 'POST', headers: headersOf(req), body })));
    } else if (!result.errors?.length && !result.extensions) {
      // Headers set, not written: end() can then add the Content-Length, as Yoga does.
      res.setHeader('content-type', `${mediaType}; charset=utf-8`);
      // graphql-jit's serializer for the compiled operation, when there is one, as Yoga uses it.
      res.end(((result as { stringify?: (value: unknown) => string }).stringify ?? JSON.stringify)(result));
    } else {
      await send(res, await processRegularResult(withErrorCodes(result as ExecutionResult & { errors?: readonly GraphQLError[] }), yoga.fetchAPI, mediaType));
    }
    metrics.recordRequest('POST', ROUTE, res.statusCode, started);
    logRequest(logger, 'POST', ROUTE, res.statusCode, started);
  }

  /** The document, or null when it does not parse or validate (Yoga then answers, in its own way). */
  function parseAndValidate(enveloped: ReturnType<typeof yoga.getEnveloped>, query: string): DocumentNode | null {
    try {
      const document = enveloped.parse(query);
      // The limits throw from parse and validation rather than report.
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
      validated.remember(query, document);
      return document;
    } catch {
      return null;
    }
  }

  /** Runs the operation, or answers 'for-yoga' before running anything when Yoga should answer instead. */
  async function execute(body: string, request: Request): Promise<ExecutionResult | 'for-yoga'> {
    let params: unknown;
    try {
      params = JSON.parse(body);
    } catch {
      return 'for-yoga';
    }
    if (!isParams(params)) return 'for-yoga';
    const enveloped = yoga.getEnveloped({ request, params });
    const document = validated.get(params.query) ?? parseAndValidate(enveloped, params.query);
    if (!document) return 'for-yoga';
    const operationName = params.operationName ?? undefined;
    const operation = getOperationAST(document, operationName)?.operation;
    if (operation !== 'query' && operation !== 'mutation') return 'for-yoga';
    try {
      const contextValue = await enveloped.contextFactory();
      const result = await enveloped.execute({ schema: enveloped.schema, document, contextValue, variableValues: params.variables ?? undefined, operationName });
      // Only @defer/@stream return a stream of results, and this schema has neither.
      if (Symbol.asyncIterator in result) throw new Error('an operation answered with a stream');
      return result;
    } catch (error) {
      return { errors: [maskError(error, 'Unexpected error.') as GraphQLError] };
    }
  }

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== ROUTE || req.headers.origin !== undefined) return false;
    const type = req.headers['content-type']?.replace(/\s/g, '').toLowerCase();
    if (type !== 'application/json' && type !== 'application/json;charset=utf-8') return false;
    const length = req.headers['content-length'];
    if (length === undefined || !/^\d+$/.test(length) || Number(length) > maxBodyBytes) return false;
    const mediaType = responseMediaType(req.headers.accept);
    if (!mediaType) return false;
    // A missing or wrong key is the router's to refuse, in its shape.
    if (secretKey && !carriesKey(req.headers.authorization, secretKey)) return false;
    const started = performance.now();
    answer(req, res, mediaType, started).catch((error: unknown) => {
      logger.warn({ path: ROUTE, err: error instanceof Error ? error.name : 'unknown' }, 'graphql: the request could not be read or answered');
      res.destroy();
    });
    return true;
  };
}

/** A backend repeats a handful of operations; a query text can be 100 KiB, so the memory stays bounded. */
const VALIDATED_DOCUMENTS = 200;

/**
 * The documents that parsed and validated, by query text. Parsing and validating
 * a POSTed query depends on its text alone (the schema and the limits are fixed
 * when the server starts), and Yoga's parse and validation hooks would answer a
 * repeated query from their own caches; remembering the outcome here lets a
 * repeated operation go straight to execution. It is the same document object
 * Yoga parsed, so graphql-jit's compiled form (keyed by it) is found too.
 * Bounded: when full, the oldest entry goes.
 */
export class ValidatedDocuments {
  private readonly documents = new Map<string, DocumentNode>();

  constructor(private readonly capacity: number) {}

  get(query: string): DocumentNode | undefined {
    return this.documents.get(query);
  }

  remember(query: string, document: DocumentNode): void {
    if (this.documents.size >= this.capacity) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(query, document);
  }

  get size(): number {
    return this.documents.size;
  }
}

function carriesKey(authorization: string | undefined, secretKey: string): boolean {
  try {
    checkSecretKey(authorization, secretKey);
    return true;
  } catch (error) {
    if (error instanceof AppError) return false;
    throw error;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    // A client that stops sending: the server's request timeout closes the socket. Every request
    // closes, so the error is made only for one cut off (an Error's stack trace costs microseconds).
    req.on('close', () => {
      if (!req.complete) reject(new Error('the request body was cut off'));
    });
  });
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let index = 0; index < req.rawHeaders.length; index += 2) headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!);
  return headers;
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.end(await response.text());
}
