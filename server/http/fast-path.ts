// The first dispatcher: Node's request listener serves the routes declared
// `fast` (routes.ts) itself, with Node's request and response, when the
// request allows: for the reads backends repeat, the router's web Request and
// Response cost more than the read (see the README's performance section).
// Everything else (other routes, a GET with a body, a body without a length
// or over the limit) goes to the router, which serves the same table through
// the same edge (edge.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { bodyCutOff, MAX_BODY_BYTES, recordRequest, serve, utf8Body, type Incoming } from './edge.js';
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
    if (!match?.route.fast || !bodyFits(req)) {
      router(req, res);
      return;
    }
    const started = performance.now();
    const search = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const incoming = incomingOf(req, path, search);
    serve(match, incoming, services)
      .then((reply) => {
        // Answered before its body was read (a wrong key, ...): the body is still on the socket, so the
        // client is told not to reuse a socket that Node will close after discarding it.
        if (!incoming.bodyRead() && req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') res.setHeader('connection', 'close');
        return write(res, reply);
      })
      .then(() => recordRequest(services, match.route.method, match.route.pattern, path, res.statusCode, started))
      .catch((error: unknown) => {
        // Only a failure to read the request or to write the answer lands here: the socket is gone.
        services.logger.warn({ path, err: error instanceof Error ? error.name : 'unknown' }, 'the request could not be read or answered');
        res.destroy();
      });
  };
}

function incomingOf(req: IncomingMessage, path: string, search: string): Incoming & { bodyRead(): boolean } {
  let body: Promise<string> | undefined;
  const text = () => (body ??= readBody(req));
  return {
    bodyRead: () => body !== undefined,
    method: req.method!,
    path,
    search,
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    headers: () => req.headers,
    text,
    toWebRequest: async () => {
      const headers = new Headers();
      for (let index = 0; index < req.rawHeaders.length; index += 2) headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!);
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      return new Request(`http://localhost${req.url}`, { method: req.method!, headers, ...(hasBody ? { body: await text() } : {}) });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(utf8Body(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
    // A client that stops sending: the server's request timeout closes the socket. Every request
    // closes, so the error is made only for one cut off (an Error's stack trace costs microseconds).
    req.on('close', () => {
      if (!req.complete) reject(bodyCutOff());
    });
  });
}

async function write(res: ServerResponse, reply: Reply): Promise<void> {
  // Status and headers set, not written: end() then adds the Content-Length (writeHead would mean chunks).
  if ('response' in reply) {
    res.statusCode = reply.response.status;
    reply.response.headers.forEach((value, name) => res.setHeader(name, value));
    res.end(await reply.response.text());
    return;
  }
  res.statusCode = reply.status;
  if (reply.headers) for (const name in reply.headers) res.setHeader(name, reply.headers[name]!);
  res.end(reply.body ?? undefined);
}
