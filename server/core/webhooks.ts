// Webhook endpoints, and the delivery of every event to the endpoints that
// want it: signed per Standard Webhooks (the `standardwebhooks` package), at
// least once with the same webhook-id on every attempt, retried with backoff
// for a day, across restarts and instances (deliveries are rows, claimed with
// SKIP LOCKED). A 2xx ends a delivery, 410 Gone disables its endpoint.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { eventPayload, EVENT_TYPES } from '../db/event-store.js';
import { DELIVERY_STATUSES, type AttemptOutcome, type DeliveryStatus, type DueDelivery, type WebhookDeliveryRecord, type WebhookEndpointRecord, type WebhookStore } from '../db/webhook-store.js';
import { guardedCall, type ProviderCall } from '../providers/guarded-fetch.js';
import { endpointUrlProblem, type ProviderUrlPolicy } from '../providers/url-policy.js';
import type { Page } from './connections.js';
import { AppError, invalidInput } from './errors.js';
import { ClaimLoop } from './claim-loop.js';
import { silentObserver, type CoreObserver } from './observer.js';

export { DELIVERY_STATUSES, type DeliveryStatus, type WebhookDeliveryRecord as WebhookDelivery, type WebhookEndpointRecord as WebhookEndpoint };

/** An endpoint as created or rotated: the only time its secret is shown. */
export type WebhookEndpointWithSecret = WebhookEndpointRecord & { secret: string };

export interface WebhookEndpointInput {
  url: string;
  /** Event types; empty: every type. */
  events: readonly string[];
  description?: string | null;
}

/** The waits before each retry (s): about 1 s, 5 s, 30 s, 2 min, 10 min, 1 h, then hourly. */
const RETRY_DELAYS_SECONDS = [1, 5, 30, 120, 600, 3600];
/** Retries stop this long after the delivery was created. */
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** A receiver that has not answered in this long has failed this attempt. */
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_DESCRIPTION = 500;
const MAX_PAGE = 100;

/** When the next attempt is due after `attempts` failed ones; null once the day is over. */
export function nextAttemptAt(attempts: number, createdAt: Date, now: Date, random: () => number = Math.random): Date | null {
  const seconds = RETRY_DELAYS_SECONDS[Math.min(attempts, RETRY_DELAYS_SECONDS.length) - 1] ?? RETRY_DELAYS_SECONDS[0]!;
  // ±20 %: retries of a burst do not all come back in the same second.
  const at = new Date(now.getTime() + seconds * 1000 * (0.8 + random() * 0.4));
  return at.getTime() - createdAt.getTime() > GIVE_UP_AFTER_MS ? null : at;
}

export class Webhooks {
  constructor(
    private readonly store: WebhookStore,
    private readonly urlPolicy: ProviderUrlPolicy,
  ) {}

  async create(input: WebhookEndpointInput): Promise<WebhookEndpointWithSecret> {
    const values = this.checked(input);
    const secret = newSecret();
    return { ...(await this.store.createEndpoint({ ...values, description: values.description ?? null, secret })), secret };
  }

  list(): Promise<readonly WebhookEndpointRecord[]> {
    return this.store.listEndpoints();
  }

  async update(id: string, input: Partial<WebhookEndpointInput> & { enabled?: boolean }): Promise<WebhookEndpointRecord> {
    const values = this.checked(input);
    const updated = await this.store.updateEndpoint(id, { ...values, ...(input.enabled === undefined ? {} : { enabled: input.enabled }) });
    if (!updated) throw unknownEndpoint(id);
    return updated;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.deleteEndpoint(id))) throw unknownEndpoint(id);
  }

  /** A new secret; deliveries signed from now on use it. */
  async rotateSecret(id: string): Promise<WebhookEndpointWithSecret> {
    const secret = newSecret();
    const rotated = await this.store.rotateSecret(id, secret);
    if (!rotated) throw unknownEndpoint(id);
    return { ...rotated, secret };
  }

  /** An endpoint's deliveries, newest first, each with its attempts. */
  async deliveries(options: { endpointId: string; status?: string; first?: number; after?: string }): Promise<Page<WebhookDeliveryRecord>> {
    const first = options.first ?? 50;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw invalidInput('first', `must be between 1 and ${MAX_PAGE}`);
    if (options.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(options.status)) throw invalidInput('status', `must be one of ${DELIVERY_STATUSES.join(', ')}`);
    if (options.after !== undefined && !/^\d{1,19}$/.test(options.after)) throw invalidInput('after', 'is not a cursor returned by this API');
    if (!(await this.store.getEndpoint(options.endpointId))) throw unknownEndpoint(options.endpointId);
    const rows = await this.store.listDeliveries({ endpointId: options.endpointId, status: options.status as DeliveryStatus | undefined, limit: first + 1, before: options.after });
    const page = rows.slice(0, first);
    return { nodes: page, endCursor: page.at(-1)?.rowId ?? null, hasNextPage: rows.length > first };
  }

  /** Due deliveries and the oldest one's wait (s), for the metrics. */
  queue(): Promise<{ due: number; oldestSeconds: number }> {
    return this.store.queue();
  }

  /** Sends a delivery again, soon, with the same webhook-id. */
  async redeliver(deliveryId: string): Promise<WebhookDeliveryRecord> {
    const delivery = await this.store.redeliver(deliveryId);
    if (!delivery) throw new AppError('unknown_webhook_delivery', `No webhook delivery "${deliveryId.slice(0, 64)}".`, { deliveryId: deliveryId.slice(0, 64) });
    return delivery;
  }

  private checked<T extends Partial<WebhookEndpointInput>>(input: T): T {
    if (input.url !== undefined) {
      const problem = endpointUrlProblem(input.url, this.urlPolicy);
      if (problem) throw new AppError('webhook_url_refused', `The webhook URL ${problem}.`, { url: input.url.slice(0, 200) });
    }
    const unknown = input.events?.find((type) => !(EVENT_TYPES as readonly string[]).includes(type));
    if (unknown !== undefined) throw invalidInput('events', `"${unknown.slice(0, 64)}" is not one of ${EVENT_TYPES.join(', ')}`);
    if (input.description && input.description.length > MAX_DESCRIPTION) throw invalidInput('description', `must be at most ${MAX_DESCRIPTION} characters`);
    return { ...input, ...(input.events ? { events: [...new Set(input.events)] } : {}) };
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function unknownEndpoint(id: string): AppError {
  return new AppError('unknown_webhook_endpoint', `No webhook endpoint "${id.slice(0, 64)}".`, { endpointId: id.slice(0, 64) });
}

export interface WebhookSenderOptions {
  store: WebhookStore;
  urlPolicy: ProviderUrlPolicy;
  /** Attempts this instance makes at once. */
  concurrency: number;
  /** Between looks at the queue when it was empty. */
  intervalMs: number;
  observer?: CoreObserver;
  onError?: (error: unknown) => void;
  now?: () => Date;
}

/**
 * Sends due deliveries: claims up to the free slots (a claim lives longer
 * than an attempt's timeout, so that no other instance sends the same one
 * meanwhile), posts each, records the attempt and what comes next.
 */
export class WebhookSender {
  private readonly call: ProviderCall;
  private readonly loop: ClaimLoop<DueDelivery>;

  constructor(private readonly options: WebhookSenderOptions) {
    this.call = guardedCall(options.urlPolicy);
    this.loop = new ClaimLoop({
      concurrency: options.concurrency,
      intervalMs: options.intervalMs,
      claim: (limit) => options.store.claimDue(limit, Math.ceil((ATTEMPT_TIMEOUT_MS * 3) / 1000)),
      work: (delivery) => this.attempt(delivery),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming and waits for the attempts under way (each ends within its timeout). */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.loop.settle();
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    if (delivery.endpoint.disabled) {
      await this.options.store.abandon(delivery);
      this.observer.webhookAttempted('failed');
      return;
    }
    const body = JSON.stringify(eventPayload(delivery.event));
    const sentAt = this.now();
    const signature = new Webhook(delivery.endpoint.secret).sign(delivery.event.id, sentAt, body);
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const answer = await this.call(delivery.endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'nango-graphql-webhooks',
          'webhook-id': delivery.event.id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      statusCode = answer.status;
    } catch (failure) {
      error = describeFailure(failure);
    }
    const latencyMs = performance.now() - started;
    const outcome = this.outcome(delivery, statusCode, error, latencyMs);
    await this.options.store.recordAttempt(delivery, outcome);
    this.observer.webhookAttempted(outcome.next.status === 'SUCCEEDED' ? 'delivered' : outcome.next.status === 'PENDING' ? 'retrying' : 'failed');
  }

  private outcome(delivery: DueDelivery, statusCode: number | null, error: string | null, latencyMs: number): AttemptOutcome {
    const base = { statusCode, latencyMs, error };
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { ...base, next: { status: 'SUCCEEDED' }, disableEndpoint: null };
    if (statusCode === 410) return { ...base, next: { status: 'FAILED' }, disableEndpoint: 'the receiver answered 410 Gone' };
    const at = nextAttemptAt(delivery.attempts + 1, delivery.createdAt, this.now());
    return { ...base, next: at ? { status: 'PENDING', at } : { status: 'FAILED' }, disableEndpoint: null };
  }

  private get observer(): CoreObserver {
    return this.options.observer ?? silentObserver;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/** Why no answer came, in words a person can act on (never the body or the secret). */
function describeFailure(error: unknown): string {
  const names: string[] = [];
  for (let current = error; current && names.length < 4; current = (current as { cause?: unknown }).cause) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`;
    if (name === 'ProviderUrlRefused') return (current as Error).message;
    if (typeof code === 'string') names.push(code);
  }
  return names.length ? `could not be reached (${names[0]})` : 'could not be reached';
}
