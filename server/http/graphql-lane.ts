// A backend's plain GraphQL request (POST, a JSON body, no Origin) run on
// Yoga's own GraphQL engine: yoga.getEnveloped() gives the parse and
// validation caches, the limits, the masking and the context that Yoga itself
// would use. What this skips is Yoga's HTTP layer (a web Request and Response
// per call, and their streams), which cost more than a whole token read (see
// the README's performance section). Results with errors go through Yoga's own
// result processor, so their statuses and shapes are Yoga's. Anything else (a
// browser's request, another media type, a body that does not parse, a
// document that does not validate) is left to Yoga whole, before anything has run.
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import { processRegularResult } from 'graphql-yoga';
import type { Principal } from '../core/principal.js';
import type { Yoga } from './graphql.js';
import type { Reply, RouteRequest } from './route.js';
import { withErrorCodes } from './use-error-codes.js';

const URL_OF_ROUTE = 'http://localhost/graphql';

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

/** A backend repeats a handful of operations; a query text can be 100 KiB, so the memory stays bounded. */
const VALIDATED_DOCUMENTS = 200;

export class PlainOperations {
  private readonly validated = new ValidatedDocuments(VALIDATED_DOCUMENTS);

  constructor(
    private readonly yoga: Yoga,
    private readonly maskError: (error: unknown, message: string) => Error,
  ) {}

  /** The answer, or null when the request is not a plain one and Yoga should answer it (nothing has run). */
  async answer(request: RouteRequest): Promise<Reply | null> {
    const type = request.header('content-type')?.replace(/\s/g, '').toLowerCase();
    if (request.header('origin') !== undefined || (type !== 'application/json' && type !== 'application/json;charset=utf-8')) return null;
    const mediaType = responseMediaType(request.header('accept'));
    if (!mediaType) return null;
    const result = await this.execute(await request.text(), request);
    if (result === null) return null;
    if (!result.errors?.length && !result.extensions) {
      // graphql-jit's serializer for the compiled operation, when there is one, as Yoga uses it.
      const body = ((result as { stringify?: (value: unknown) => string }).stringify ?? JSON.stringify)(result);
      return { status: 200, headers: { 'content-type': `${mediaType}; charset=utf-8` }, body };
    }
    const processed = withErrorCodes(result as ExecutionResult & { errors?: readonly GraphQLError[] });
    return { response: await processRegularResult(processed, this.yoga.fetchAPI, mediaType) };
  }

  /** The document, or null when it does not parse or validate (Yoga then answers, in its own way). */
  private parseAndValidate(enveloped: ReturnType<Yoga['getEnveloped']>, query: string): DocumentNode | null {
    try {
      const document = enveloped.parse(query);
      // The limits throw from parse and validation rather than report.
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
      this.validated.remember(query, document);
      return document;
    } catch {
      return null;
    }
  }

  /** Runs the operation, or answers null before running anything when Yoga should answer instead. */
  private async execute(body: string, request: RouteRequest): Promise<ExecutionResult | null> {
    let params: unknown;
    try {
      params = JSON.parse(body);
    } catch {
      return null;
    }
    if (!isParams(params)) return null;
    // Yoga's plugins read the request's method and headers from the context (a GET may not mutate;
    // a parse error is marked as the client's). Node's parsed headers go as they are: Yoga's Headers
    // reads a plain object only when asked.
    const webRequest = new this.yoga.fetchAPI.Request(URL_OF_ROUTE, { method: 'POST', headers: request.headers() as Record<string, string> });
    const principal: Principal = request.principal;
    const enveloped = this.yoga.getEnveloped({ request: webRequest, params, principal });
    const document = this.validated.get(params.query) ?? this.parseAndValidate(enveloped, params.query);
    if (!document) return null;
    const operationName = params.operationName ?? undefined;
    const operation = getOperationAST(document, operationName)?.operation;
    if (operation !== 'query' && operation !== 'mutation') return null;
    try {
      const contextValue = await enveloped.contextFactory();
      const result = await enveloped.execute({ schema: enveloped.schema, document, contextValue, variableValues: params.variables ?? undefined, operationName });
      // Only @defer/@stream return a stream of results, and this schema has neither.
      if (Symbol.asyncIterator in result) throw new Error('an operation answered with a stream');
      return result;
    } catch (error) {
      return { errors: [this.maskError(error, 'Unexpected error.') as GraphQLError] };
    }
  }
}

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
