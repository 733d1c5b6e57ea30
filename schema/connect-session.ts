// ConnectSession: the backend's permission for one end user's browser to
// authorize one connection, and the mutation that creates it.
import type { CreatedConnectSession } from '../server/core/connect-sessions.js';
import { builder } from './builder.js';

const ConnectSessionRef = builder.objectRef<CreatedConnectSession>('ConnectSession').implement({
  description: 'A connect session: pass its token to the frontend SDK (`auth(configKey, connectionId, { sessionToken })`), or open its connect URL.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Shown once; only its hash is stored. Consumed by the flow that completes with it.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'Thirty minutes after creation.' }),
    connectUrl: t.exposeString('connectUrl', { description: '/oauth/connect with this session: open it in a popup, or send it to the end user.' }),
  }),
});

const EndUserInput = builder.inputType('EndUserInput', {
  description: 'Who the connection is for, as your product knows them.',
  fields: (t) => ({
    id: t.string({ required: true, description: "Your id for the end user." }),
    email: t.string(),
    displayName: t.string(),
  }),
});

const CreateConnectSessionInput = builder.inputType('CreateConnectSessionInput', {
  fields: (t) => ({
    providerConfigKey: t.string({ required: true }),
    connectionId: t.string({ required: true, description: 'The connection the flow writes: created, or re-authorized when it exists.' }),
    endUser: t.field({ type: EndUserInput }),
    params: t.field({ type: 'StringMap', description: "Connection params fixed for this flow, e.g. {\"subdomain\": \"acme\"}: the browser cannot change them. They follow the template's rules, as the browser's do." }),
  }),
});

builder.mutationField('createConnectSession', (t) =>
  t.field({
    type: ConnectSessionRef,
    description: 'Lets one browser authorize one connection: the only way to start a flow when the connect policy is `session` (the default with a secret key).',
    args: { input: t.arg({ type: CreateConnectSessionInput, required: true }) },
    resolve: (_root, { input }, { core }) =>
      core.connectSessions.create({
        providerConfigKey: input.providerConfigKey,
        connectionId: input.connectionId,
        endUser: input.endUser,
        params: input.params,
      }),
  }),
);
