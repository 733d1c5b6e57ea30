import net from 'node:net';
// A real server on a free port, over a fresh test database.
import { createLogger, type Logger } from '../../server/log.js';
import type { ProviderCatalog } from '../../server/providers/catalog.js';
import { loadSettings } from '../../server/settings.js';
import { startServer, type RunningServer } from '../../server/start.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestServer extends RunningServer {
  database: TestDatabase;
  /** POSTs a GraphQL operation and returns the parsed JSON body. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLBody<T>>;
  stop(): Promise<void>;
}

export interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

export interface TestServerOptions {
  logger?: Logger;
  env?: Record<string, string>;
  /** Listen on this port (e.g. from freePort(), when the callback URL must be known first). */
  port?: number;
  catalog?: ProviderCatalog;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const port = options.port ?? (await freePort());
  // The fake providers and the OIDC issuer live on loopback; a test of the URL policy overrides this.
  const settings = loadSettings({ PORT: String(port), DATABASE_URL: database.url, LOG_LEVEL: 'silent', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true', ...options.env });
  const server = await startServer(settings, options.logger ?? createLogger('silent'), { catalog: options.catalog });
  return {
    ...server,
    database,
    graphql: graphqlOver((init) => fetch(`${server.url}/graphql`, init)),
    stop: async () => {
      await server.close();
      await database.drop();
    },
  };
}

/** A port that was free a moment ago: for servers whose URL must be known before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A graphql() helper over any way of sending a request to /graphql (a socket, or the in-process fetch). */
export function graphqlOver(send: (init: RequestInit) => Promise<Response>) {
  return async <T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLBody<T>> => {
    const response = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLBody<T>;
  };
}

/** GraphQL as a backend calls it, with the secret key: the data, or an Error naming the errors. */
export function keyedGraphql(server: Pick<TestServer, 'url'>, secretKey: string) {
  return async <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (body.errors) throw new Error(`GraphQL: ${body.errors.map((error) => error.message).join('; ')}`);
    return body.data!;
  };
}
