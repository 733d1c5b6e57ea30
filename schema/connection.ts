// Connection: one end user's authorization of one provider config, with its
// queries and mutations. Credentials are not part of the list.
import type { GraphQLResolveInfo, SelectionNode } from 'graphql';
import type { Connection, ConnectionHealthStatus, ConnectionSummary, Deletion, Page } from '../server/core/connections.js';
import type { RevocationFailure } from '../server/core/revocation.js';

import type { ConnectionWithCredentials } from '../server/core/fresh-credentials.js';
import { builder, type Context } from './builder.js';

/**
 * What a Connection is resolved from: the whole connection (with the row read
 * for it, credentials included, when Query.connection read one: its
 * credentials field then reads nothing more), or, in a list whose query asks
 * for nothing more, what a list entry shows (see Query.connections). Each
 * field resolver handles both shapes; the compiler holds it to that.
 */
export type ConnectionSource =
  | { shape: 'whole'; connection: Connection; row?: ConnectionWithCredentials }
  | { shape: 'summary'; summary: ConnectionSummary };

/** The fields of Connection that a summary answers (credentials are read by key and id). */
const SUMMARY_FIELDS = new Set(['__typename', 'connectionId', 'providerConfigKey', 'createdAt', 'credentials']);

function identityOf(source: ConnectionSource): { providerConfigKey: string; connectionId: string } {
  return source.shape === 'whole' ? source.connection : source.summary;
}

/**
 * A resolver for a field only the whole connection has. A summary reaches it
 * only if the list's look-ahead let through a field it does not answer; the
 * connection is then read whole (once per such field). The whole shape stays
 * synchronous: a page resolves these for a hundred connections.
 */
export function fromWhole<T>(pick: (connection: Connection) => T): (source: ConnectionSource, args: object, context: Context) => T | Promise<T> {
  return (source, _args, { core }) =>
    source.shape === 'whole' ? pick(source.connection) : core.freshCredentials.read(source.summary.providerConfigKey, source.summary.connectionId).then(pick);
}

export const ConnectionHealthStatusRef = builder.enumType('ConnectionHealthStatus', {
  description: 'Whether the connection keeps its tokens fresh by itself, or needs its end user.',
  values: {
    HEALTHY: { description: 'Refreshes succeed (or are not needed).' },
    REFRESH_FAILING: { description: 'Refreshes fail for a reason that may pass (e.g. the provider is down): retried with a backoff, at nextAttemptAt.' },
    NEEDS_REAUTH: { description: 'Only the end user can fix it (the grant was revoked or lost, or refreshes failed too long): have them connect again.' },
  } satisfies Record<ConnectionHealthStatus, { description: string }>,
});

const ConnectionHealthRef = builder
  .objectRef<Pick<Connection, 'health' | 'healthSince' | 'healthCode' | 'healthDescription' | 'nextRefreshAttemptAt'>>('ConnectionHealth')
  .implement({
    fields: (t) => ({
      status: t.field({ type: ConnectionHealthStatusRef, resolve: (connection) => connection.health }),
      since: t.field({ type: 'DateTime', description: 'When the connection entered this status.', resolve: (connection) => connection.healthSince }),
      code: t.string({
        nullable: true,
        description: "Why it is not healthy: the provider's error code (e.g. invalid_grant), or refresh_token_lost, or refresh_failing (failed too long).",
        resolve: (connection) => connection.healthCode,
      }),
      description: t.string({ nullable: true, resolve: (connection) => connection.healthDescription }),
      nextAttemptAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'While REFRESH_FAILING: the earliest time the provider is asked again.',
        resolve: (connection) => connection.nextRefreshAttemptAt,
      }),
    }),
  });

const EndUserRef = builder.objectRef<{ id: string; email: string | null; displayName: string | null }>('EndUser').implement({
  description: 'Who a connection is for, as the connect session that wrote it named them (your product\'s own id).',
  fields: (t) => ({
    id: t.exposeString('id'),
    email: t.exposeString('email', { nullable: true }),
    displayName: t.exposeString('displayName', { nullable: true }),
  }),
});

export const ConnectionRef = builder.objectRef<ConnectionSource>('Connection').implement({
  description: "One end user's stored authorization for a provider config.",
  fields: (t) => ({
    connectionId: t.string({ resolve: (source) => identityOf(source).connectionId }),
    providerConfigKey: t.string({ resolve: (source) => identityOf(source).providerConfigKey }),
    provider: t.string({ description: 'The provider template of the config.', resolve: fromWhole((connection) => connection.provider) }),
    connectionConfig: t.field({
      type: 'JSON',
      description: 'Connection params given at connect time (e.g. subdomain).',
      resolve: fromWhole((connection) => connection.connectionConfig),
    }),
    metadata: t.field({ type: 'JSON', resolve: fromWhole((connection) => connection.metadata) }),
    createdAt: t.field({ type: 'DateTime', resolve: (source) => (source.shape === 'whole' ? source.connection.createdAt : source.summary.createdAt) }),
    updatedAt: t.field({ type: 'DateTime', resolve: fromWhole((connection) => connection.updatedAt) }),
    endUser: t.field({
      type: EndUserRef,
      nullable: true,
      description: 'The end user the connect session named (the latest flow that named one); null when none did.',
      // The list's rows carry the end user; the token read's row does not (see ConnectionRecord), so it is read for it.
      resolve: async (source, _args, { core }) => {
        const { providerConfigKey, connectionId } = identityOf(source);
        const known = source.shape === 'whole' && source.connection.endUserId !== undefined ? source.connection : await core.connections.endUser(providerConfigKey, connectionId);
        if (!known?.endUserId) return null;
        return { id: known.endUserId, email: known.endUserEmail ?? null, displayName: known.endUserDisplayName ?? null };
      },
    }),
    health: t.field({
      type: ConnectionHealthRef,
      description: 'Whether its tokens can still be refreshed, as of the last refresh (a list filters on it: connections(health: NEEDS_REAUTH)).',
      resolve: fromWhole((connection) => connection),
    }),
  }),
});

/**
 * Whether the operation asks, under `nodes`, only for fields a summary has. A
 * page of summaries reads four columns where a page of connections reads
 * eleven and parses their dates: most of a list's cost on this server. Fields,
 * inline fragments and named fragments are followed (the document has been
 * validated, so every fragment exists and none is cyclic); aliases count by
 * the field they name.
 */
function nodesAskOnlySummaryFields(info: GraphQLResolveInfo): boolean {
  const fieldsOf = (selections: readonly SelectionNode[], seen: Set<string>): Array<{ name: string; selections: readonly SelectionNode[] }> =>
    selections.flatMap((selection) => {
      if (selection.kind === 'Field') return [{ name: selection.name.value, selections: selection.selectionSet?.selections ?? [] }];
      if (selection.kind === 'InlineFragment') return fieldsOf(selection.selectionSet.selections, seen);
      const fragment = info.fragments[selection.name.value];
      if (!fragment || seen.has(selection.name.value)) return [];
      return fieldsOf(fragment.selectionSet.selections, new Set(seen).add(selection.name.value));
    });
  const pageFields = fieldsOf(info.fieldNodes.flatMap((node) => node.selectionSet?.selections ?? []), new Set());
  return pageFields
    .filter((field) => field.name === 'nodes')
    .every((nodes) => fieldsOf(nodes.selections, new Set()).every((field) => SUMMARY_FIELDS.has(field.name)));
}

export const PageInfoRef = builder
  .objectRef<{ endCursor: string | null; hasNextPage: boolean }>('PageInfo')
  .implement({
    fields: (t) => ({
      endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
    }),
  });

const ConnectionPageRef = builder
  .objectRef<Page<ConnectionSource>>('ConnectionPage')
  .implement({
    fields: (t) => ({
      nodes: t.field({ type: [ConnectionRef], resolve: (page) => page.nodes }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page }),
    }),
  });

builder.queryField('connections', (t) =>
  t.field({
    type: ConnectionPageRef,
    description:
      'Connections, newest first, a page at a time (first: 1-100, default 50); `health: NEEDS_REAUTH` lists those whose end user must connect again; `search` finds them by connection id or end user.',
    args: {
      providerConfigKey: t.arg.string(),
      health: t.arg({ type: ConnectionHealthStatusRef, description: 'Only the connections in this health.' }),
      search: t.arg.string({
        description:
          "Only the connections whose connection id, or end user's id, email or display name, starts with this (case-insensitive; % and _ match themselves). Blank: no filter; at most 255 characters, no control characters (invalid_input).",
      }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (_root, args, { core }, info): Promise<Page<ConnectionSource>> => {
      const options = {
        providerConfigKey: args.providerConfigKey ?? undefined,
        health: args.health ?? undefined,
        search: args.search ?? undefined,
        first: args.first ?? undefined,
        after: args.after ?? undefined,
      };
      if (nodesAskOnlySummaryFields(info)) {
        const page = await core.connections.listSummaries(options);
        return { ...page, nodes: page.nodes.map((summary) => ({ shape: 'summary', summary })) };
      }
      const page = await core.connections.list(options);
      return { ...page, nodes: page.nodes.map((connection) => ({ shape: 'whole', connection })) };
    },
  }),
);

builder.queryField('connection', (t) =>
  t.field({
    type: ConnectionRef,
    description: 'One connection; fails with unknown_connection when there is none.',
    args: {
      providerConfigKey: t.arg.string({ required: true }),
      connectionId: t.arg.string({ required: true }),
    },
    resolve: async (_root, { providerConfigKey, connectionId }, { core }): Promise<ConnectionSource> => {
      const row = await core.freshCredentials.read(providerConfigKey, connectionId);
      return { shape: 'whole', connection: row, row };
    },
  }),
);

builder.mutationField('deleteConnection', (t) =>
  t.boolean({
    description: 'Deletes a connection and its credentials; fails with unknown_connection when there is none. To revoke the grant at the provider first, use revokeAndDeleteConnection.',
    args: {
      providerConfigKey: t.arg.string({ required: true }),
      connectionId: t.arg.string({ required: true }),
    },
    resolve: async (_root, { providerConfigKey, connectionId }, { core }) => {
      await core.connections.delete(providerConfigKey, connectionId);
      return true;
    },
  }),
);

const RevocationErrorRef = builder.objectRef<RevocationFailure>('RevocationError').implement({
  description: 'Why the grant was not revoked at the provider. Never holds a token.',
  fields: (t) => ({
    code: t.exposeString('code', {
      description: 'revocation_unsupported (no revocation endpoint, or OAuth 1.0a), provider_timeout, provider_unreachable, bad_response, or the error code the provider answered (e.g. invalid_client).',
    }),
    description: t.exposeString('description'),
  }),
});

const DeleteConnectionResultRef = builder.objectRef<Deletion>('DeleteConnectionResult').implement({
  description: 'What revokeAndDeleteConnection did: deleted is always true (a failure that keeps the connection is an error).',
  fields: (t) => ({
    deleted: t.exposeBoolean('deleted'),
    revoked: t.exposeBoolean('revoked', { description: 'Whether the provider accepted the revocation of the grant.' }),
    revocationError: t.field({ type: RevocationErrorRef, nullable: true, description: 'Set when force deleted the connection although the revocation failed.', resolve: (deletion) => deletion.revocationError }),
  }),
});

builder.mutationField('revokeAndDeleteConnection', (t) =>
  t.field({
    type: DeleteConnectionResultRef,
    description:
      "Revokes the connection's grant at the provider (RFC 7009: its refresh token, else its access token), then deletes the connection. " +
      'When the revocation fails the connection is kept and the call fails with revocation_failed (or revocation_unsupported when the provider has no revocation endpoint); ' +
      'with force: true it is deleted anyway and the failure is in revocationError.',
    args: {
      providerConfigKey: t.arg.string({ required: true }),
      connectionId: t.arg.string({ required: true }),
      force: t.arg.boolean({ required: false, defaultValue: false }),
    },
    resolve: (_root, { providerConfigKey, connectionId, force }, { core }) =>
      core.connections.delete(providerConfigKey, connectionId, { revoke: true, force: force ?? false }),
  }),
);

const CreateConnectionInput = builder.inputType('CreateConnectionInput', {
  description: "A connection from credentials the backend holds: the fields the template's auth mode needs, and no others.",
  fields: (t) => ({
    providerConfigKey: t.string({ required: true }),
    connectionId: t.string({ required: true }),
    apiKey: t.string({ description: 'API_KEY templates: the key. Checked by the template\'s check request, when it has one, before it is stored.' }),
    username: t.string({ description: 'BASIC templates.' }),
    password: t.string({ description: 'BASIC templates (may be left out where the template says the API ignores it).' }),
    installationId: t.string({ description: "APP templates: the GitHub App installation's id." }),
    params: t.field({ type: 'StringMap', description: "Connection params the template's URLs need, e.g. { subdomain: \"acme\" }." }),
  }),
});

builder.mutationField('createConnection', (t) =>
  t.field({
    type: ConnectionRef,
    description:
      'Stores a connection without an end user\'s authorization: an API key or username and password (proven by the template\'s check request first: credentials_rejected when the API answers 401 or 403), ' +
      "or, for client credentials and GitHub App templates, a token the service obtains at once (token_error when the provider refuses). An existing connection with this id gets the new credentials. " +
      'OAUTH2 and OAUTH1 connections come from the end user: create a connect session instead.',
    args: { input: t.arg({ type: CreateConnectionInput, required: true }) },
    resolve: async (_root, { input }, { core }) => {
      const stored = await core.connectionCreation.create(input);
      return { shape: 'whole' as const, connection: stored, row: stored };
    },
  }),
);
