// Checking a webhook delivery from the service before trusting it: the
// Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature
// over "id.timestamp.body", HMAC-SHA256 with the endpoint's whsec_ secret), a
// timestamp within five minutes, by the standardwebhooks library the server
// signs with.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { NangoError } from './graphql-client.js';

/** What a delivery's body holds: one event (connection.created, connection.needs_reauth, ...). */
export interface WebhookEvent {
  /** evt_…: the same event redelivered has the same id (deduplicate on it). */
  id: string;
  type: string;
  /** ISO 8601. */
  createdAt: string;
  data: { providerConfigKey: string | null; connectionId: string | null } & Record<string, unknown>;
}

/** The delivery's headers, as Node's IncomingMessage, fetch's Headers, or a plain object give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * The event of a delivery whose signature the endpoint's secret proves; throws NangoError
 * `invalid_webhook_signature` otherwise (a changed body, another secret, a stale or replayed
 * timestamp). Pass the body exactly as received (the raw bytes or text, not re-serialised JSON).
 */
export function verifyWebhook(secret: string, headers: WebhookHeaders, body: string | Buffer): WebhookEvent {
  const flat: Record<string, string> = {};
  if (headers instanceof Headers) headers.forEach((value, name) => (flat[name] = value));
  else for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  try {
    return new Webhook(secret).verify(typeof body === 'string' ? body : body.toString('utf8'), flat) as WebhookEvent;
  } catch (error) {
    const reason = error instanceof WebhookVerificationError || error instanceof Error ? error.message : String(error);
    throw new NangoError('invalid_webhook_signature', `The webhook delivery is not signed by this endpoint's secret: ${reason}.`, {}, 0);
  }
}
