// The REST compatibility face, in the shape Nango 0.x clients read (snake_case,
// ISO-8601 dates). Same core functions as GraphQL, same error codes.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectionSummary } from '../core/connections.js';
import type { Core } from '../core/core.js';
import type { Credentials } from '../core/credentials.js';
import { invalidInput } from '../core/errors.js';
import type { FreshConnection } from '../core/fresh-credentials.js';

// The token read's parameters are checked by hand: it is the request our users
// repeat most, and a zod parse cost it more than the check itself.
function configKeyParam(query: Record<string, string | undefined>): string {
  const key = query.provider_config_key;
  if (!key) throw invalidInput('provider_config_key', 'is required');
  return key;
}

function forceRefreshParam(query: Record<string, string | undefined>): boolean {
  const value = query.force_refresh;
  if (value !== undefined && value !== 'true' && value !== 'false') throw invalidInput('force_refresh', 'must be true or false');
  return value === 'true';
}

const ListQuery = z.object({
  provider_config_key: z.string().min(1).optional(),
  first: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').optional(),
  after: z.string().optional(),
});

/** GET /connection/:id: the Nango 0.x connection object, with fresh credentials. */
export interface NangoConnectionJson {
  id: string;
  created_at: string;
  updated_at: string;
  provider_config_key: string;
  connection_id: string;
  credentials:
    | { type: 'OAUTH2'; access_token: string; refresh_token: string | null; expires_at: string | null; raw: Record<string, unknown> }
    | { type: 'OAUTH1'; oauth_token: string; oauth_token_secret: string; raw: Record<string, unknown> };
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** GET /connection: Nango 0.x's list entries, and the cursor of the next page. */
export interface NangoConnectionListJson {
  connections: Array<{ id: string; connection_id: string; provider: string; created: string }>;
  next_cursor: string | null;
}

/**
 * GET /connection/:id, given its decoded id and query parameters. The router
 * serves it only when the REST read lane (rest-read-lane.ts) leaves a request to it.
 */
export async function readConnection(core: Core, connectionId: string, query: Record<string, string>): Promise<NangoConnectionJson> {
  const key = configKeyParam(query);
  return nangoConnection(await core.freshCredentials.get(key, connectionId, forceRefreshParam(query)));
}

export function mountRestRoutes(app: Hono, core: Core): void {
  app.get('/connection/:connectionId', async (c) => c.json(await readConnection(core, c.req.param('connectionId'), c.req.query())));

  app.get('/connection', async (c) => c.json(await listConnections(core, c.req.query())));

  app.delete('/connection/:connectionId', async (c) => {
    await core.connections.delete(configKeyParam(c.req.query()), c.req.param('connectionId'));
    return c.body(null, 204);
  });
}

/** GET /connection: a page of Nango 0.x list entries. Served like readConnection(). */
export async function listConnections(core: Core, query: Record<string, string>): Promise<NangoConnectionListJson> {
  const { provider_config_key, first, after } = parseQuery(query, ListQuery);
  const page = await core.connections.listSummaries({ providerConfigKey: provider_config_key, first: first ?? 100, after });
  return {
    connections: page.nodes.map(listEntry),
    // Not in Nango 0.x, which sent every connection at once: pass as ?after= for the next page.
    next_cursor: page.hasNextPage ? page.endCursor : null,
  };
}

function parseQuery<T extends z.ZodTypeAny>(query: Record<string, string>, schema: T): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? 'query');
  throw invalidInput(field, issue.message);
}

function nangoConnection({ connection, credentials }: FreshConnection): NangoConnectionJson {
  return {
    id: connection.id.toString(),
    created_at: connection.createdAt.toISOString(),
    updated_at: connection.updatedAt.toISOString(),
    provider_config_key: connection.providerConfigKey,
    connection_id: connection.connectionId,
    credentials: nangoCredentials(credentials),
    connection_config: connection.connectionConfig,
    metadata: connection.metadata,
  };
}

function nangoCredentials(credentials: Credentials): NangoConnectionJson['credentials'] {
  if (credentials.type === 'OAUTH1') {
    return { type: 'OAUTH1', oauth_token: credentials.oauthToken, oauth_token_secret: credentials.oauthTokenSecret, raw: credentials.raw };
  }
  return {
    type: 'OAUTH2',
    access_token: credentials.accessToken,
    refresh_token: credentials.refreshToken,
    expires_at: credentials.expiresAt?.toISOString() ?? null,
    raw: credentials.raw,
  };
}

function listEntry(connection: ConnectionSummary): NangoConnectionListJson['connections'][number] {
  // `provider` is the config key, as Nango 0.x named it.
  return { id: connection.id, connection_id: connection.connectionId, provider: connection.providerConfigKey, created: connection.createdAt };
}
