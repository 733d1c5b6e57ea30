// Query.service: what the service says about itself (version, the callback URL
// to register at providers, the database's round trip), for the dashboard.
import { builder } from './builder.js';

interface ServiceShape {
  version: string;
  serverUrl: string;
  callbackUrl: string;
  databaseLatencyMs: number;
}

const ServiceRef = builder.objectRef<ServiceShape>('Service').implement({
  description: 'This token service.',
  fields: (t) => ({
    version: t.exposeString('version'),
    serverUrl: t.exposeString('serverUrl', { description: 'NANGO_SERVER_URL: where browsers reach this service.' }),
    callbackUrl: t.exposeString('callbackUrl', { description: 'The redirect URI (callback URL) to register at every OAuth provider.' }),
    databaseLatencyMs: t.exposeFloat('databaseLatencyMs', { description: 'A round trip to the database now, in milliseconds.' }),
  }),
});

builder.queryField('service', (t) =>
  t.field({
    type: ServiceRef,
    resolve: async (_root, _args, { core }) => ({
      version: core.service.version,
      serverUrl: core.service.serverUrl,
      callbackUrl: core.service.callbackUrl,
      databaseLatencyMs: await core.service.databaseLatencyMs(),
    }),
  }),
);
