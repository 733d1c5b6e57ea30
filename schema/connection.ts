// Connection: one end user's authorization of one provider config, with its
// queries and mutations. Credentials are not part of the list.
import { present, type Connection } from '../server/core/connections.js';
import type { ConnectionWithCredentials } from '../server/core/fresh-credentials.js';
import { builder } from './builder.js';

// The row Query.connection read, credentials included, for Connection.credentials
// to use instead of reading it again.
const rowsRead = new WeakMap<Connection, ConnectionWithCredentials>();

export function rowRead(connection: Connection): ConnectionWithCredentials | undefined {
  return rowsRead.get(connection);
}

export const ConnectionRef = builder.objectRef<Connection>('Connection').implement({
  description: "One end user's stored authorization for a provider config.",
  fields: (t) => ({
    connectionId: t.exposeString('connectionId'),
    providerConfigKey: t.exposeString('providerConfigKey'),
    provider: t.exposeString('provider', { description: 'The provider template of the config.' }),
    connectionConfig: t.expose('connectionConfig', { type: 'JSON', description: 'Connection params given at connect time (e.g. subdomain).' }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const PageInfoRef = builder
  .objectRef<{ endCursor: string | null; hasNextPage: boolean }>('PageInfo')
  .implement({
    fields: (t) => ({
      endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
      hasNextPage: t.exposeBoolean('hasNextPage'),
    }),
  });

const ConnectionPageRef = builder
  .objectRef<{ nodes: Connection[]; endCursor: string | null; hasNextPage: boolean }>('ConnectionPage')
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
    resolve: (_root, args, { core }) =>
      core.connections.list({
        providerConfigKey: args.providerConfigKey ?? undefined,
        first: args.first ?? undefined,
        after: args.after ?? undefined,
      }),
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
