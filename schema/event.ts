// Event: what happened to a connection or a provider config, as the server
// wrote it with the change. Never a token or a secret.
import type { Page } from '../server/core/connections.js';
import { EVENT_TYPES, TOO_SLOW, tooSlowError, type Event } from '../server/core/events.js';
import { builder } from './builder.js';
import { ConnectionHealthStatusRef, PageInfoRef } from './connection.js';

const EventEndUserRef = builder.objectRef<NonNullable<Event['details']['endUser']>>('EventEndUser').implement({
  description: 'The end user the connect session named.',
  fields: (t) => ({
    id: t.exposeString('id'),
    email: t.exposeString('email', { nullable: true }),
    displayName: t.exposeString('displayName', { nullable: true }),
  }),
});

const EventErrorRef = builder.objectRef<NonNullable<Event['details']['error']>>('EventError').implement({
  description: 'Why the refresh failed: the provider error code (e.g. invalid_grant) or ours (provider_unreachable, refresh_token_lost, ...).',
  fields: (t) => ({
    code: t.exposeString('code'),
    description: t.exposeString('description', { nullable: true }),
  }),
});

const EventDataRef = builder.objectRef<Event>('EventData').implement({
  fields: (t) => ({
    providerConfigKey: t.exposeString('providerConfigKey'),
    connectionId: t.exposeString('connectionId', { nullable: true, description: 'Null for provider_config.* events.' }),
    endUser: t.field({ type: EventEndUserRef, nullable: true, resolve: (event) => event.details.endUser ?? null }),
    health: t.field({ type: ConnectionHealthStatusRef, nullable: true, resolve: (event) => event.details.health ?? null }),
    error: t.field({ type: EventErrorRef, nullable: true, resolve: (event) => event.details.error ?? null }),
  }),
});

export const EventRef = builder.objectRef<Event>('Event').implement({
  description: `A change to a connection or provider config, written in the same transaction as the change. Types: ${EVENT_TYPES.join(', ')}.`,
  fields: (t) => ({
    id: t.exposeString('id', { description: 'evt_…: the same in every webhook delivery of this event (webhook-id).' }),
    type: t.exposeString('type'),
    createdAt: t.field({ type: 'DateTime', resolve: (event) => event.createdAt }),
    data: t.field({ type: EventDataRef, resolve: (event) => event }),
  }),
});

const EventPageRef = builder.objectRef<Page<Event>>('EventPage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [EventRef], resolve: (page) => page.nodes }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page }),
  }),
});

builder.queryField('events', (t) =>
  t.field({
    type: EventPageRef,
    description:
      'Events oldest first: after an event id, the ones that followed it (pass pageInfo.endCursor again to follow new ones); without `after`, the latest `first` (1-100, default 50). Kept NANGO_EVENTS_RETENTION_DAYS (30).',
    args: {
      after: t.arg.string(),
      types: t.arg.stringList({ description: `Only these types (${EVENT_TYPES.join(', ')}).` }),
      providerConfigKey: t.arg.string(),
      connectionId: t.arg.string(),
      first: t.arg.int(),
    },
    resolve: (_root, args, { core }) =>
      core.events.list({
        after: args.after ?? undefined,
        types: args.types ?? undefined,
        providerConfigKey: args.providerConfigKey ?? undefined,
        connectionId: args.connectionId ?? undefined,
        first: args.first ?? undefined,
      }),
  }),
);

builder.subscriptionField('connectionEvents', (t) =>
  t.field({
    type: EventRef,
    description:
      'Events as they are committed on any instance, over server-sent events (Accept: text/event-stream), filtered like Query.events. A subscriber more than 10,000 events behind is ended with subscriber_too_slow: subscribe again and read what was missed with Query.events(after: the last id received).',
    args: {
      providerConfigKey: t.arg.string(),
      connectionId: t.arg.string(),
      types: t.arg.stringList({ description: `Only these types (${EVENT_TYPES.join(', ')}).` }),
    },
    subscribe: (_root, args, { core }) =>
      core.events.feed.subscribe({ providerConfigKey: args.providerConfigKey ?? undefined, connectionId: args.connectionId ?? undefined, types: args.types ?? undefined }),
    resolve: (event) => {
      if (event === TOO_SLOW) throw tooSlowError();
      return event;
    },
  }),
);
