// The HTTP server's socket: bound first thing at start-up, so that a port in use or a
// wrong HOST fails in an instant instead of after a database has been started.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class ListenError extends Error {
  override name = 'ListenError';
}

export interface BoundPort {
  server: http.Server;
  port: number;
  /** A URL this machine reaches the server at, e.g. http://localhost:3003. */
  url: string;
  /** Hands the requests to the server proper; until then they are answered 503. */
  serve(listener: http.RequestListener): void;
}

// The port is open before the database is: a load balancer or an impatient user gets a
// clear "not yet" rather than a request that hangs until start-up ends.
const answerStarting: http.RequestListener = (_request, response) => {
  response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1', connection: 'close' });
  response.end('starting\n');
};

export async function bindPort(host: string, port: number): Promise<BoundPort> {
  const server = http.createServer(answerStarting);
  // Idle keep-alive connections outlive a load balancer's (60 s is common), so it never
  // reuses one we are closing. Headers must arrive within 65 s; no whole-request clock, which
  // would cut a proxied upload that keeps coming: bounded bodies have their own (edge.ts
  // BODY_DEADLINE_MS), a proxied one a pause limit (NANGO_PROXY_TIMEOUT_MS).
  Object.assign(server, { keepAliveTimeout: 61_000, headersTimeout: 65_000, requestTimeout: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw new ListenError(explainListenFailure(error, host, port), { cause: error });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    url: `http://${reachableHost(host)}:${bound}`,
    serve: (listener) => {
      server.off('request', answerStarting);
      server.on('request', listener);
    },
  };
}

function explainListenFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (another nango server?): stop it, or set PORT to another port`;
    case 'EACCES':
      return `not allowed to listen on port ${port} on ${host}: ports below 1024 need privileges, set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST ${host} is not an address of this machine: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
    default:
      return `could not listen on ${host}:${port}: ${error.message}`;
  }
}

/**
 * localhost for loopback and every interface (0.0.0.0 and :: include loopback): the name
 * the default server URL and the quick start use, whichever of 127.0.0.1 and ::1 it
 * resolves to first. Any other address as it is; an IPv6 literal needs brackets in a URL.
 */
function reachableHost(host: string): string {
  if (['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
