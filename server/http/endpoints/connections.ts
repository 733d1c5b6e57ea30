// The REST connection routes in the shape Nango 0.x clients read (snake_case,
// ISO-8601 dates): the token read, the pages of the list, and deletion. The
// same core functions as GraphQL, the same error codes.
import { z } from 'zod';
import { HEALTH_STATUSES, type Connection, type ConnectionHealthStatus, type ConnectionSummary } from '../../core/connections.js';
import { parseCredentials, type Credentials } from '../../core/credentials.js';
import { invalidInput } from '../../core/errors.js';
import type { FreshConnection } from '../../core/fresh-credentials.js';
import { json, parseJsonBody, type Reply, type RouteRequest, type Services } from '../route.js';

// The token read's parameters are checked by hand: it is the request our users
// repeat most, and a zod parse cost it more than the check itself.
function configKeyParam(query: Record<string, string | undefined>): string {
  const key = query.provider_config_key;
  if (!key) throw invalidInput('provider_config_key', 'is required');
  return key;
}

function forceRefreshParam(query: Record<string, string | undefined>): boolean {
  return flagParam(query, 'force_refresh');
}

function flagParam(query: Record<string, string | undefined>, name: string): boolean {
  const value = query[name];
  if (value !== undefined && value !== 'true' && value !== 'false') throw invalidInput(name, 'must be true or false');
  return value === 'true';
}

const ListQuery = z.object({
  provider_config_key: z.string().min(1).optional(),
  // needs_reauth, refresh_failing or healthy, in any case.
  health: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(HEALTH_STATUSES, { errorMap: () => ({ message: `must be one of ${HEALTH_STATUSES.map((status) => status.toLowerCase()).join(', ')}` }) }))
    .optional(),
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
    | { type: 'OAUTH1'; oauth_token: string; oauth_token_secret: string; raw: Record<string, unknown> }
    | { type: 'API_KEY'; apiKey: string }
    | { type: 'BASIC'; username: string; password: string }
    | { type: 'OAUTH2_CC'; token: string; expires_at: string | null; raw: Record<string, unknown> }
    | { type: 'APP'; access_token: string; expires_at: string | null; raw: Record<string, unknown> };
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Not in Nango 0.x: whether the credentials can still be refreshed (GraphQL's Connection.health). */
  health: {
    status: ConnectionHealthStatus;
    since: string;
    code: string | null;
    description: string | null;
    next_attempt_at: string | null;
  };
}

/** DELETE /connection/:id?revoke=true: what happened at the provider (without revoke: 204, no body, as in Nango 0.x). */
export interface DeletionJson {
  deleted: true;
  revoked: boolean;
  /** Set when the revocation failed and force=true deleted the connection anyway. */
  revocation_error: { code: string; message: string } | null;
}

/** GET /connection: Nango 0.x's list entries, and the cursor of the next page. */
export interface NangoConnectionListJson {
  connections: Array<{ id: string; connection_id: string; provider: string; created: string }>;
  next_cursor: string | null;
}

export async function readConnection({ params, query }: RouteRequest, { core }: Services): Promise<Reply> {
  const fresh = await core.freshCredentials.get(configKeyParam(query), params.connectionId!, forceRefreshParam(query));
  return json(nangoConnection(fresh));
}

export async function listConnections({ query }: RouteRequest, { core }: Services): Promise<Reply> {
  const { provider_config_key, health, first, after } = parseQuery(query, ListQuery);
  const page = await core.connections.listSummaries({ providerConfigKey: provider_config_key, health, first: first ?? 100, after });
  const list: NangoConnectionListJson = {
    connections: page.nodes.map(listEntry),
    // Not in Nango 0.x, which sent every connection at once: pass as ?after= for the next page.
    next_cursor: page.hasNextPage ? page.endCursor : null,
  };
  return json(list);
}

const CreateBody = z
  .object({
    provider_config_key: z.string({ required_error: 'is required' }),
    connection_id: z.string({ required_error: 'is required' }),
    api_key: z.string().nullish(),
    username: z.string().nullish(),
    password: z.string().nullish(),
    installation_id: z.string().nullish(),
    params: z.record(z.string(), z.string()).nullish(),
  })
  .strict();

/** POST /connection: Mutation.createConnection in REST; answers 201 with the connection as GET reads it. */
export async function createConnection(request: RouteRequest, { core }: Services): Promise<Reply> {
  const body = parseJsonBody(await request.text(), CreateBody);
  const stored = await core.connectionCreation.create({
    providerConfigKey: body.provider_config_key,
    connectionId: body.connection_id,
    apiKey: body.api_key,
    username: body.username,
    password: body.password,
    installationId: body.installation_id,
    params: body.params,
  });
  return json(nangoConnection({ connection: stored, credentials: parseCredentials(stored.credentials) }), 201, { 'cache-control': 'no-store' });
}

export async function deleteConnection({ params, query }: RouteRequest, { core }: Services): Promise<Reply> {
  const revoke = flagParam(query, 'revoke');
  const force = flagParam(query, 'force');
  if (force && !revoke) throw invalidInput('force', 'applies only with revoke=true');
  const deletion = await core.connections.delete(configKeyParam(query), params.connectionId!, { revoke, force });
  if (!revoke) return { status: 204, body: null };
  const failure = deletion.revocationError;
  const body: DeletionJson = {
    deleted: deletion.deleted,
    revoked: deletion.revoked,
    revocation_error: failure ? { code: failure.code, message: failure.description } : null,
  };
  return json(body);
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
    id: connection.id,
    created_at: connection.createdAt.toISOString(),
    updated_at: connection.updatedAt.toISOString(),
    provider_config_key: connection.providerConfigKey,
    connection_id: connection.connectionId,
    credentials: nangoCredentials(credentials),
    connection_config: connection.connectionConfig,
    metadata: connection.metadata,
    health: nangoHealth(connection),
  };
}

function nangoHealth(connection: Connection): NangoConnectionJson['health'] {
  return {
    status: connection.health,
    since: connection.healthSince.toISOString(),
    code: connection.healthCode,
    description: connection.healthDescription,
    next_attempt_at: connection.nextRefreshAttemptAt?.toISOString() ?? null,
  };
}

function nangoCredentials(credentials: Credentials): NangoConnectionJson['credentials'] {
  switch (credentials.type) {
    case 'OAUTH2':
      return { type: 'OAUTH2', access_token: credentials.accessToken, refresh_token: credentials.refreshToken, expires_at: credentials.expiresAt?.toISOString() ?? null, raw: credentials.raw };
    case 'OAUTH1':
      return { type: 'OAUTH1', oauth_token: credentials.oauthToken, oauth_token_secret: credentials.oauthTokenSecret, raw: credentials.raw };
    case 'API_KEY':
      return { type: 'API_KEY', apiKey: credentials.apiKey };
    case 'BASIC':
      return { type: 'BASIC', username: credentials.username, password: credentials.password };
    case 'OAUTH2_CC':
      return { type: 'OAUTH2_CC', token: credentials.token, expires_at: credentials.expiresAt?.toISOString() ?? null, raw: credentials.raw };
    case 'APP':
      return { type: 'APP', access_token: credentials.accessToken, expires_at: credentials.expiresAt?.toISOString() ?? null, raw: credentials.raw };
  }
}

function listEntry(connection: ConnectionSummary): NangoConnectionListJson['connections'][number] {
  // `provider` is the config key, as Nango 0.x named it.
  return { id: connection.id, connection_id: connection.connectionId, provider: connection.providerConfigKey, created: connection.createdAt };
}
