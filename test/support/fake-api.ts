// A provider's REST API on a loopback port, for the proxy's tests: it records
// every request it receives (method, URL, headers, body) and answers with the
// handler a test set for the path, or echoes the request as JSON.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** The request target as it arrived (path and query). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type FakeHandler = (request: ReceivedRequest, res: http.ServerResponse) => void | Promise<void>;

export interface FakeApi {
  url: string;
  /** Every request received, in order. */
  received: ReceivedRequest[];
  /** Handlers by path (without the query); unmatched paths are echoed. */
  handlers: Map<string, FakeHandler>;
  /** Handlers that stream: they get the request unread (its body is theirs to read). */
  streamingHandlers: Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;
  close(): Promise<void>;
}

export async function startFakeApi(): Promise<FakeApi> {
  const received: ReceivedRequest[] = [];
  const handlers = new Map<string, FakeHandler>();
  const streamingHandlers = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const streaming = streamingHandlers.get(path);
    if (streaming) {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0) });
      streaming(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      const handler = handlers.get(path);
      if (handler) {
        Promise.resolve(handler(request, res)).catch(() => res.destroy());
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body: request.body.toString('utf8') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    handlers,
    streamingHandlers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
