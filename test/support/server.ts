// A real server on a free port, over a fresh test database.
import { createLogger, type Logger } from '../../server/log.js';
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

export async function startTestServer(options: { logger?: Logger; env?: Record<string, string> } = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const settings = loadSettings({ PORT: '0', DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...options.env });
  const server = await startServer(settings, options.logger ?? createLogger('silent'));
  return {
    ...server,
    database,
    graphql: async (query, variables) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLBody<any>;
    },
    stop: async () => {
      await server.close();
      await database.drop();
    },
  };
}
