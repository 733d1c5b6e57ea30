// A webhook endpoint's deliveries, newest first, each with its attempts
// (status, latency, or why no answer came), and redeliver. Read again every
// few seconds while any is pending, so a retry shows without a reload.
import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import type { WebhookDeliveryFieldsFragment } from '../generated/sdk.js';
import { Link } from '../router.js';
import { Failure, formatDate, Heading, Show, useActions, useLoad } from './common.js';

const POLL_MS = 3000;

export function DeliveriesView({ endpointId }: { endpointId: string }) {
  const [endpoints] = useLoad(() => api.WebhookEndpoints());
  const [loaded, reload] = useLoad(() => api.WebhookDeliveries({ endpointId, first: 50 }), [endpointId]);
  const { said, setSaid, failure, busy, act } = useActions(reload);
  const pending = loaded.state === 'ready' && loaded.data.webhookDeliveries.nodes.some((delivery) => delivery.status === 'PENDING');
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [loaded]);
  const endpoint = endpoints.state === 'ready' ? endpoints.data.webhookEndpoints.find((candidate) => candidate.id === endpointId) : undefined;

  const redeliver = (delivery: WebhookDeliveryFieldsFragment) =>
    act(delivery.id, async () => {
      const { redeliverWebhook } = await api.RedeliverWebhook({ deliveryId: delivery.id });
      const last = redeliverWebhook.attempts.at(-1);
      setSaid(`Sent ${delivery.eventType} again: ${last ? attemptOutcome(last) : redeliverWebhook.status.toLowerCase()}.`);
    });

  return (
    <>
      <Heading>Webhook deliveries</Heading>
      <p>
        <Link href="/dashboard/webhooks">All endpoints</Link>
      </p>
      {endpoint && (
        <p>
          To <code>{endpoint.url}</code> ({endpoint.enabled ? 'enabled' : `disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`}).
        </p>
      )}
      <p role="status">{said}</p>
      {failure && <Failure error={failure} />}
      <button type="button" class="quiet" onClick={reload}>
        Read again
      </button>
      <Show loaded={loaded}>
        {({ webhookDeliveries }) =>
          webhookDeliveries.nodes.length === 0 ? (
            <p>No deliveries yet: they are made when events of the endpoint's types happen.</p>
          ) : (
            <table class="deliveries">
              <caption class="visually-hidden">Deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {webhookDeliveries.nodes.map((delivery) => (
                  <tr key={delivery.id}>
                    <th scope="row">
                      {delivery.eventType}
                      <div class="muted code">{delivery.eventId}</div>
                      <div class="muted">
                        <time dateTime={delivery.createdAt}>{formatDate(delivery.createdAt)}</time>
                      </div>
                    </th>
                    <td>
                      <span class={`status status-${delivery.status.toLowerCase()}`}>{statusText(delivery)}</span>
                    </td>
                    <td>
                      {delivery.attempts.length === 0 ? (
                        'None yet'
                      ) : (
                        <ol class="attempts">
                          {delivery.attempts.map((attempt) => (
                            <li key={attempt.attemptedAt}>
                              <time dateTime={attempt.attemptedAt}>{formatDate(attempt.attemptedAt)}</time>: {attemptOutcome(attempt)}
                            </li>
                          ))}
                        </ol>
                      )}
                    </td>
                    <td>
                      <button type="button" class="quiet" disabled={busy === delivery.id} onClick={() => redeliver(delivery)} aria-label={`Redeliver ${delivery.eventType} ${delivery.eventId}`}>
                        Redeliver
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </>
  );
}

function statusText(delivery: WebhookDeliveryFieldsFragment): string {
  if (delivery.status === 'SUCCEEDED') return 'Delivered';
  if (delivery.status === 'FAILED') return 'Given up';
  return delivery.nextAttemptAt ? `Pending: next attempt ${formatDate(delivery.nextAttemptAt)}` : 'Pending';
}

function attemptOutcome(attempt: WebhookDeliveryFieldsFragment['attempts'][number]): string {
  const answer = attempt.statusCode !== null ? `HTTP ${attempt.statusCode}` : `no answer (${attempt.error ?? 'unknown'})`;
  return `${answer} in ${attempt.latencyMs} ms`;
}
