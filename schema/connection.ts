// Connection: one end user's authorization of one provider config, with its
// queries and mutations. Credentials are not part of the list.
import type { GraphQLResolveInfo, SelectionNode } from 'graphql';
import { present, type Connection, type ConnectionSummary } from '../server/core/connections.js';
import type { ConnectionWithCredentials } from '../server/core/fresh-credentials.js';
import { builder } from './builder.js';

/**
 * What a Connection is resolved from: the whole connection, or, in a list whose
 * query asks for nothing more, what a list entry shows (see Query.connections).
 */
export type ConnectionSource = Connection | ConnectionSummary;

/** The fields of Connection that a summary answers (credentials are read by key and id). */
const SUMMARY_FIELDS = new Set(['__typename', 'connectionId', 'providerConfigKey', 'createdAt', 'credentials']);

/** The whole connection, for the fields a summary lacks. */
export function whole(source: ConnectionSource): Connection {
  if ('provider' in source) return source;
  throw new Error('a connection summary reached a field that only the whole connection has');
}

// The row Query.connection read, credentials included, for Connection.credentials
// to use instead of reading it again.
const rowsRead = new WeakMap<ConnectionSource, ConnectionWithCredentials>();

export function rowRead(connection: ConnectionSource): ConnectionWithCredentials | undefined {
  return rowsRead.get(connection);
}

export const ConnectionRef = builder.objectRef<ConnectionSource>('Connection').implement({
  description: "One end user's stored authorization for a provider config.",
  fields: (t) => ({
    connectionId: t.exposeString('connectionId'),
    providerConfigKey: t.exposeString('providerConfigKey'),
    provider: t.string({ description: 'The provider template of the config.', resolve: (source) => whole(source).provider }),
    connectionConfig: t.field({ type: 'JSON', description: 'Connection params given at connect time (e.g. subdomain).', resolve: (source) => whole(source).connectionConfig }),
    metadata: t.field({ type: 'JSON', resolve: (source) => whole(source).metadata }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.field({ type: 'DateTime', resolve: (source) => whole(source).updatedAt }),
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

const PageInfoRef = builder
  .objectRef<{ endCursor: string | null; hasNextPage: boolean }>('PageInfo')
  .implement({
    fields: (t) => ({
      endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
    }),
  });

const ConnectionPageRef = builder
  .objectRef<{ nodes: ConnectionSource[]; endCursor: string | null; hasNextPage: boolean }>('ConnectionPage')
  .implement({
    fields: (t) => ({
      nodes: t.field({ type: [ConnectionRef], resolve: (page) => page.nodes }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page }),
    }),
  });

builder.queryField('connections', (t) =>
  t.field({
    type: ConnectionPageRef,
    description: 'Connections, newest first, a page at a time (first: 1-100, default 50).',
    args: {
      providerConfigKey: t.arg.string(),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: (_root, args, { core }, info) => {
      const options = { providerConfigKey: args.providerConfigKey ?? undefined, first: args.first ?? undefined, after: args.after ?? undefined };
      return nodesAskOnlySummaryFields(info) ? core.connections.listSummaries(options) : core.connections.list(options);
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
    resolve: async (_root, { providerConfigKey, connectionId }, { core }) => {
      const row = await core.freshCredentials.read(providerConfigKey, connectionId);
      const connection = present(row);
      rowsRead.set(connection, row);
      return connection;
    },
  }),
);

builder.mutationField('deleteConnection', (t) =>
  t.boolean({
    description: 'Deletes a connection and its credentials; fails with unknown_connection when there is none.',
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
