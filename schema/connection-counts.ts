// Query.connectionCounts: how many connections are in each health, for the
// dashboard's overview (the same count as the nango_connections gauge).
import { HEALTH_STATUSES, type ConnectionHealthStatus } from '../server/core/connections.js';
import { builder } from './builder.js';
import { ConnectionHealthStatusRef } from './connection.js';

const ConnectionCountRef = builder.objectRef<{ health: ConnectionHealthStatus; count: number }>('ConnectionCount').implement({
  fields: (t) => ({
    health: t.field({ type: ConnectionHealthStatusRef, resolve: (entry) => entry.health }),
    count: t.exposeInt('count'),
  }),
});

builder.queryField('connectionCounts', (t) =>
  t.field({
    type: [ConnectionCountRef],
    description:
      'Connections in each health, every status listed. Counted exactly up to 10,000 connections; above that, HEALTHY is the table statistics\u2019 estimate less the unhealthy (which are always counted exactly).',
    resolve: async (_root, _args, { core }) => {
      const counts = await core.connections.countByHealth();
      return HEALTH_STATUSES.map((health) => ({ health, count: counts[health] }));
    },
  }),
);
