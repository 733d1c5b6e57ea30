// Webhook endpoints and their deliveries. An endpoint's secret is shown only
// by createWebhookEndpoint and rotateWebhookSecret.
import type { Page } from '../server/core/connections.js';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../server/core/webhooks.js';
import { builder } from './builder.js';
import { PageInfoRef } from './connection.js';

const WebhookEndpointRef = builder.objectRef<WebhookEndpoint & { secret?: string }>('WebhookEndpoint').implement({
  description: 'Where events are POSTed, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'whe_…' }),
    url: t.exposeString('url'),
    events: t.exposeStringList('events', { description: 'The event types it receives; empty: every type.' }),
    description: t.exposeString('description', { nullable: true }),
    enabled: t.boolean({ resolve: (endpoint) => endpoint.disabledAt === null }),
    disabledAt: t.field({ type: 'DateTime', nullable: true, resolve: (endpoint) => endpoint.disabledAt }),
    disabledReason: t.exposeString('disabledReason', { nullable: true, description: 'E.g. "the receiver answered 410 Gone".' }),
    createdAt: t.field({ type: 'DateTime', resolve: (endpoint) => endpoint.createdAt }),
    secret: t.string({
      nullable: true,
      description: 'whsec_…, to verify each delivery (any Standard Webhooks library): shown only by createWebhookEndpoint and rotateWebhookSecret, null elsewhere.',
      resolve: (endpoint) => endpoint.secret ?? null,
    }),
  }),
});

const DeliveryStatusRef = builder.enumType('WebhookDeliveryStatus', {
  values: {
    PENDING: { description: 'Not yet delivered: next attempt at nextAttemptAt.' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Given up: retried for a day, the receiver answered 410 Gone, or the endpoint was disabled.' },
  } satisfies Record<DeliveryStatus, { description: string }>,
});

const WebhookAttemptRef = builder.objectRef<WebhookDelivery['attemptList'][number]>('WebhookAttempt').implement({
  fields: (t) => ({
    attemptedAt: t.field({ type: 'DateTime', resolve: (attempt) => attempt.attemptedAt }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: "The receiver's HTTP status; null when no answer came." }),
    latencyMs: t.exposeInt('latencyMs'),
    error: t.exposeString('error', { nullable: true, description: 'Why no answer came (timeout, refused connection).' }),
  }),
});

const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery').implement({
  fields: (t) => ({
    id: t.exposeString('id', { description: 'whd_…' }),
    endpointId: t.exposeString('endpointId'),
    eventId: t.exposeString('eventId', { description: "The event's id: the webhook-id of every attempt." }),
    eventType: t.exposeString('eventType'),
    status: t.field({ type: DeliveryStatusRef, resolve: (delivery) => delivery.status }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (delivery) => (delivery.status === 'PENDING' ? delivery.nextAttemptAt : null) }),
    createdAt: t.field({ type: 'DateTime', resolve: (delivery) => delivery.createdAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (delivery) => delivery.finishedAt }),
    attempts: t.field({ type: [WebhookAttemptRef], resolve: (delivery) => delivery.attemptList }),
  }),
});

const WebhookDeliveryPageRef = builder.objectRef<Page<WebhookDelivery>>('WebhookDeliveryPage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [WebhookDeliveryRef], resolve: (page) => page.nodes }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'https://… (http:// and private hosts only where the URL policy allows them).' }),
    events: t.stringList({ description: 'Event types to receive; omitted or empty: every type.' }),
    description: t.string(),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  fields: (t) => ({
    id: t.string({ required: true }),
    url: t.string(),
    events: t.stringList(),
    description: t.string(),
    enabled: t.boolean({ description: 'false: no new deliveries, pending ones end; true: enabled again (also after a 410).' }),
  }),
});

builder.queryField('webhookEndpoints', (t) => t.field({ type: [WebhookEndpointRef], resolve: (_root, _args, { core }) => core.webhooks.list() }));

builder.queryField('webhookDeliveries', (t) =>
  t.field({
    type: WebhookDeliveryPageRef,
    description: "An endpoint's deliveries, newest first, each with its attempts (first: 1-100, default 50).",
    args: { endpointId: t.arg.string({ required: true }), status: t.arg({ type: DeliveryStatusRef }), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, { core }) =>
      core.webhooks.deliveries({ endpointId: args.endpointId, status: args.status ?? undefined, first: args.first ?? undefined, after: args.after ?? undefined }),
  }),
);

builder.mutationField('createWebhookEndpoint', (t) =>
  t.field({
    type: WebhookEndpointRef,
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, { core }) => core.webhooks.create({ url: input.url, events: input.events ?? [], description: input.description ?? null }),
  }),
);

builder.mutationField('updateWebhookEndpoint', (t) =>
  t.field({
    type: WebhookEndpointRef,
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, { core }) =>
      core.webhooks.update(input.id, {
        ...(input.url != null ? { url: input.url } : {}),
        ...(input.events != null ? { events: input.events } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.enabled != null ? { enabled: input.enabled } : {}),
      }),
  }),
);

builder.mutationField('deleteWebhookEndpoint', (t) =>
  t.boolean({
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, { id }, { core }) => {
      await core.webhooks.delete(id);
      return true;
    },
  }),
);

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: WebhookEndpointRef,
    description: 'A new secret for the endpoint (shown once); deliveries are signed with it from now on.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, { id }, { core }) => core.webhooks.rotateSecret(id),
  }),
);

builder.mutationField('redeliverWebhook', (t) =>
  t.field({
    type: WebhookDeliveryRef,
    description: 'Sends a delivery again now, with the same webhook-id.',
    args: { deliveryId: t.arg.string({ required: true }) },
    resolve: (_root, { deliveryId }, { core }) => core.webhooks.redeliver(deliveryId),
  }),
);
