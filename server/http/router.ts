// The second dispatcher: what the fast path leaves (fast-path.ts) is served
// through Hono's Node adapter, as web Requests and Responses, from the same
// table and through the same edge (edge.ts). Routes are found by the table's
// own matcher, so both dispatchers agree on which route a path is. Bodies are
// read within the limit as they arrive, chunked ones included.
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { CallerGone, NULL_BODY_STATUSES } from '../core/proxy.js';
import { AppError } from '../core/errors.js';
import { BODY_DEADLINE_MS, bodyCutOff, MAX_BODY_BYTES, payloadTooLarge, recordRequest, serve, unmatched, utf8Body, type Incoming } from './edge.js';
import { matchRoute, type CompiledRoute, type Reply, type Services } from './route.js';

export function router(routes: readonly CompiledRoute[], services: Services): { listener: RequestListener; fetch(request: Request): Promise<Response> } {
  const app = new Hono();
  app.all('*', async (c) => {
    const started = performance.now();
    const path = c.req.path;
    const url = c.req.url;
    const queryAt = url.indexOf('?');
    const search = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const match = matchRoute(routes, c.req.method, path);
    if (!match) {
      const response = toResponse(unmatched(c.req.method, path, search, services));
      recordRequest(services, c.req.method, 'unmatched', path, response.status, started);
      return response;
    }
    const { route } = match;
    const incoming = incomingOf(c, path, search);
    const response = toResponse(await serve(match, incoming, services));
    // A request answered before its body was read to the end (401, 413, ...) leaves the rest on the
    // socket; telling the client to close keeps it from reusing a socket that may be closing.
    if (c.req.raw.body && !incoming.bodyEnded()) response.headers.set('connection', 'close');
    recordRequest(services, route.method, route.pattern, path, response.status, started);
    return response;
  });
  return { listener: getRequestListener(app.fetch), fetch: async (request) => app.fetch(request) };
}

/** The body, counted as it arrives (a chunked one declares no length): payload_too_large past the limit. */
export async function readLimited(raw: Request, ended: () => void, socket: Pick<Socket, 'destroy'> | undefined, deadlineMs = BODY_DEADLINE_MS): Promise<Buffer> {
  if (!raw.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  // A body still coming after the deadline: its socket is closed, which ends the reading below.
  const deadline = socket && setTimeout(() => socket.destroy(), deadlineMs);
  try {
    for await (const chunk of raw.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) throw payloadTooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    // Cut off by its client or by the deadline: the caller's doing, not a fault of ours.
    throw error instanceof AppError ? error : bodyCutOff();
  } finally {
    clearTimeout(deadline);
  }
  ended();
  return Buffer.concat(chunks);
}

function incomingOf(c: Context, path: string, search: string): Incoming & { bodyEnded(): boolean } {
  const raw = c.req.raw;
  const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket;
  const peer = socket?.remoteAddress;
  let bytes: Promise<Buffer> | undefined;
  let ended = false;
  const read = () =>
    (bytes ??= readLimited(
      raw,
      () => {
        ended = true;
      },
      socket,
    ));
  let text: Promise<string> | undefined;
  return {
    bodyEnded: () => ended,
    method: c.req.method,
    path,
    search,
    header: (name) => raw.headers.get(name) ?? undefined,
    headers: () => Object.fromEntries(raw.headers),
    text: () => (text ??= read().then(utf8Body)),
    signal: () => {
      const gone = new CallerGone();
      if (raw.signal.aborted) gone.abort();
      else raw.signal.addEventListener('abort', () => gone.abort(), { once: true });
      return gone;
    },
    stream: () => {
      ended = true;
      return raw.body ? Readable.fromWeb(raw.body as NodeWebReadableStream) : Readable.from([]);
    },
    // Read as the request arrives: a client that resets its socket meanwhile must not come out addressless.
    // (Hono's Node adapter passes Node's request as env.incoming; in-process requests have none.)
    remoteAddress: () => peer,
    // Read here, within the limit, rather than by the library it is handed to.
    toWebRequest: async () => (raw.body ? new Request(raw.url, { method: raw.method, headers: raw.headers, body: (await read()) as Uint8Array<ArrayBuffer> }) : raw),
  };
}

function toResponse(reply: Reply): Response {
  if ('response' in reply) return reply.response;
  if ('stream' in reply) {
    const headers = new Headers();
    for (const [name, value] of reply.headers) headers.append(name, value);
    const { stream } = reply;
    const body = !stream || NULL_BODY_STATUSES.has(reply.status) ? null : stream instanceof Uint8Array ? (stream as Uint8Array<ArrayBuffer>) : (Readable.toWeb(stream) as ReadableStream<Uint8Array>);
    if (!body) reply.abort();
    return new Response(body, { status: reply.status, headers });
  }
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}
