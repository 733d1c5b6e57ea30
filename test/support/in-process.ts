// The server without a port: the whole service (migrations, pool, core, the
// route table and its edge) on a fresh test database, reached through the
// router's fetch. For tests that need no socket; the fast path, flows through a
// browser and the CLI need the real server (server.ts).
import { createLogger, type Logger } from '../../server/log.js';
import { loadSettings } from '../../server/settings.js';
import { assembleService } from '../../server/start.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { graphqlOver, type GraphQLBody } from './server.js';

export interface InProcessServer {
  database: TestDatabase;
  /** A request to `path` (e.g. '/health'), answered without a socket. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs a GraphQL operation and returns the parsed JSON body. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLBody<T>>;
  stop(): Promise<void>;
}

export async function startInProcessServer(options: { env?: Record<string, string>; logger?: Logger } = {}): Promise<InProcessServer> {
  const database = await createTestDatabase();
  // The fake providers and the OIDC issuer live on loopback; a test of the URL policy overrides this.
  const settings = loadSettings({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true', ...options.env });
  const service = await assembleService(settings, database.url, options.logger ?? createLogger('silent'));
  const fetch = (path: string, init?: RequestInit) => service.edge.fetch(new Request(`http://localhost${path}`, init));
  return {
    database,
    fetch,
    graphql: graphqlOver((init) => fetch('/graphql', init)),
    stop: async () => {
      await service.end();
      await database.drop();
    },
  };
}
