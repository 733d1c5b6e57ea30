// The first dispatcher: Node's request listener serves the routes declared
// `fast` (routes.ts) itself, with Node's request and response, when the
// request allows: for the reads backends repeat, the router's web Request and
// Response cost more than the read (see the README's performance section).
// Everything else (other routes, a GET with a body, a body without a length
// or over the limit) goes to the router, which serves the same table through
// the same edge (edge.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { CallerGone } from '../core/proxy.js';
import { BODY_DEADLINE_MS, bodyCutOff, MAX_BODY_BYTES, recordRequest, serve, utf8Body, type Incoming } from './edge.js';
import { matchRoute, type CompiledRoute, type Reply, type Services } from './route.js';

/** Whether the fast path can take the request's body: none for a GET, a declared length within the limit for a POST. */
function bodyFits(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const length = req.headers['content-length'];
  if (req.method === 'POST') return length !== undefined && /^\d+$/.test(length) && Number(length) <= MAX_BODY_BYTES;
  return length === undefined;
}

export function fastPath(routes: readonly CompiledRoute[], services: Services, router: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const match = matchRoute(routes, req.method ?? '', path);
    if (!match?.route.fast || (match.route.body !== 'stream' && !bodyFits(req))) {
      router(req, res);
      return;
    }
    const started = performance.now();
    const incoming = new NodeIncoming(req, res, path, queryAt === -1 ? '' : url.slice(queryAt + 1));
    serve(match, incoming, services)
      .then((reply) => {
        // Answered before its body was read (a wrong key, ...): the body is still on the socket, so the
        // client is told not to reuse a socket that Node will close after discarding it.
        const unread = incoming.streamed ? !req.complete : incoming.body === undefined && req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
        if (unread) res.setHeader('connection', 'close');
        if ('stream' in reply) return writeStream(req, res, reply).then(() => recordRequest(services, match.route.method, match.route.pattern, path, reply.status, started));
        if ('response' in reply) return writeResponse(res, reply.response).then(() => recordRequest(services, match.route.method, match.route.pattern, path, res.statusCode, started));
        // Status and headers set, not written: end() then adds the Content-Length (writeHead would mean chunks).
        res.statusCode = reply.status;
        if (reply.headers) for (const name in reply.headers) res.setHeader(name, reply.headers[name]!);
        res.end(reply.body ?? undefined);
        recordRequest(services, match.route.method, match.route.pattern, path, reply.status, started);
      })
      .catch((error: unknown) => {
        // Only a failure to write the answer lands here: the socket is gone.
        services.logger.warn({ path, err: error instanceof Error ? error.name : 'unknown' }, 'the answer could not be written');
        res.destroy();
      });
  };
}

/**
 * A streamed answer (the proxy's): status and headers as given, the body piped
 * at the pace the client reads it; a client that goes away, or a body that
 * breaks half way, ends both sides (the client then sees a cut-off body, never
 * a complete-looking one).
 */
function writeStream(req: IncomingMessage, res: ServerResponse, reply: Extract<Reply, { stream: unknown }>): Promise<void> {
  res.statusCode = reply.status;
  for (const [name, value] of reply.headers) res.appendHeader(name, value);
  const { stream } = reply;
  if (!stream || req.method === 'HEAD') {
    reply.abort();
    res.end();
    return Promise.resolve();
  }
  if (stream instanceof Uint8Array) {
    res.end(stream);
    return Promise.resolve();
  }
  // pipe() rather than pipeline(): pipeline makes and aborts an AbortController per call, which cost the
  // proxy 4 % of its CPU (bench/proxy.ts); the two ways it can end early are handled here instead.
  return new Promise<void>((resolve) => {
    stream.on('error', () => {
      reply.abort();
      res.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) reply.abort();
      resolve();
    });
    stream.pipe(res);
  });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (response.body && response.headers.get('content-type')?.startsWith('text/event-stream')) return streamEvents(res, response.body);
  res.end(await response.text());
}

/**
 * A subscription's server-sent events, written as they come, at the pace the
 * client reads them (a full socket stops the reading of the stream, and the
 * subscription's own bound takes over); a client that goes away ends it.
 */
async function streamEvents(res: ServerResponse, body: ReadableStream<Uint8Array>): Promise<void> {
  // Proxies such as nginx pass the events on as they come, not when a buffer fills.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  const reader = body.getReader();
  const gone = () => void reader.cancel().catch(() => undefined);
  res.on('close', gone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
      if (res.destroyed) break;
    }
  } finally {
    res.off('close', gone);
    await reader.cancel().catch(() => undefined);
    res.end();
  }
}

/** Node's request, as the edge reads it. */
class NodeIncoming implements Incoming {
  /** The body, once a handler asked for it. */
  body: Promise<string> | undefined;
  /** Whether a handler took the body as a stream. */
  streamed = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly path: string,
    readonly search: string,
  ) {}

  get method(): string {
    return this.req.method!;
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  headers(): Record<string, string | string[] | undefined> {
    return this.req.headers;
  }

  text(): Promise<string> {
    return (this.body ??= readBody(this.req));
  }

  stream(): Readable {
    this.streamed = true;
    return this.req;
  }

  signal(): CallerGone {
    const gone = new CallerGone();
    const { res } = this;
    if (res.destroyed) gone.abort();
    else res.once('close', () => res.writableEnded || gone.abort());
    return gone;
  }

  async toWebRequest(): Promise<Request> {
    const { req } = this;
    const headers = new Headers();
    for (let index = 0; index < req.rawHeaders.length; index += 2) headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    return new Request(`http://localhost${req.url}`, { method: req.method!, headers, ...(hasBody ? { body: await this.text() } : {}) });
  }

  remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }
}

/** A bounded body, whole; one still coming after `deadlineMs` has its socket closed (bodyCutOff). */
export function readBody(req: IncomingMessage, deadlineMs = BODY_DEADLINE_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // Most bodies have arrived with their headers: only one still coming gets a clock.
    const deadline = req.complete ? undefined : setTimeout(() => req.destroy(), deadlineMs);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      clearTimeout(deadline);
      try {
        resolve(utf8Body(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
    // A client that stops sending: the deadline closes the socket. Every request
    // closes, so the error is made only for one cut off (an Error's stack trace costs microseconds).
    req.on('close', () => {
      clearTimeout(deadline);
      if (!req.complete) reject(bodyCutOff());
    });
  });
}
