// The REST compatibility face, in the shape Nango 0.x clients read (snake_case,
// ISO-8601 dates). Same core functions as GraphQL, same error codes.
import type { Context, Hono } from 'hono';
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

/**
 * GET /connection/:id, given its decoded id and query parameters. The router
 * serves it only when the token-read lane (token-read-lane.ts) leaves a request to it.
 */
export async function readConnection(core: Core, connectionId: string, query: Record<string, string>): Promise<NangoConnectionJson> {
  const key = configKeyParam(query);
  return nangoConnection(await core.freshCredentials.get(key, connectionId, forceRefreshParam(query)));
}

export function mountRestRoutes(app: Hono, core: Core): void {
  app.get('/connection/:connectionId', async (c) => c.json(await readConnection(core, c.req.param('connectionId'), c.req.query())));

  app.get('/connection', async (c) => {
    const query = parseQuery(c, ListQuery);
    const page = await core.connections.listSummaries({ providerConfigKey: query.provider_config_key, first: query.first ?? 100, after: query.after });
    return c.json({
      connections: page.nodes.map(listEntry),
      // Not in Nango 0.x, which sent every connection at once: pass as ?after= for the next page.
      next_cursor: page.hasNextPage ? page.endCursor : null,
    });
  });

  app.delete('/connection/:connectionId', async (c) => {
    await core.connections.delete(configKeyParam(c.req.query()), c.req.param('connectionId'));
    return c.body(null, 204);
  });
}

function parseQuery<T extends z.ZodTypeAny>(c: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
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

function listEntry(connection: ConnectionSummary) {
  // `provider` is the config key, as Nango 0.x named it.
  return { id: connection.id, connection_id: connection.connectionId, provider: connection.providerConfigKey, created: connection.createdAt };
}
