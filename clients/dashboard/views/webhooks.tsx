// Webhooks: the endpoints events are POSTed to (create, rotate the secret,
// delete); an endpoint's page lists its deliveries (webhook-deliveries.tsx).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { EVENT_TYPES } from '../event-types.js';
import type { WebhookEndpointFieldsFragment } from '../generated/sdk.js';
import { Link } from '../router.js';
import { asApiError, Failure, formatDate, Heading, Show, useActions, useLoad } from './common.js';
import { ConfirmButton } from './confirm-button.js';
import { SecretNotice } from './secret-notice.js';
import { DeliveriesView } from './webhook-deliveries.js';
import type { ApiError } from '../api.js';

export function WebhooksView({ params }: { params: string[] }) {
  const [id] = params;
  return id ? <DeliveriesView endpointId={id} /> : <EndpointsView />;
}

type Notice = { url: string; secret: string; rotated: boolean };

function EndpointsView() {
  const [loaded, reload] = useLoad(() => api.WebhookEndpoints());
  const [notice, setNotice] = useState<Notice | null>(null);
  const { said, setSaid, failure, busy, act } = useActions(reload);

  return (
    <>
      <Heading>Webhooks</Heading>
      <p>Every event of the types an endpoint asks for is POSTed to it as JSON, signed, and retried for a day until it answers 2xx.</p>
      {notice && <SecretNotice {...notice} onDismiss={() => setNotice(null)} />}
      <NewEndpointForm
        onCreated={(endpoint, secret) => {
          setNotice({ url: endpoint.url, secret, rotated: false });
          reload();
        }}
      />
      <h2>Endpoints</h2>
      <p role="status">{said}</p>
      {failure && <Failure error={failure} />}
      <Show loaded={loaded}>
        {({ webhookEndpoints }) =>
          webhookEndpoints.length === 0 ? (
            <p>No endpoints yet.</p>
          ) : (
            <table class="endpoints">
              <caption class="visually-hidden">Webhook endpoints</caption>
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {webhookEndpoints.map((endpoint) => (
                  <tr key={endpoint.id}>
                    <th scope="row">
                      <Link href={`/dashboard/webhooks/${encodeURIComponent(endpoint.id)}`}>{endpoint.url}</Link>
                      {endpoint.description && <div class="muted">{endpoint.description}</div>}
                    </th>
                    <td>{endpoint.events.length === 0 ? 'Every type' : endpoint.events.join(', ')}</td>
                    <td>{endpoint.enabled ? 'Enabled' : `Disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`}</td>
                    <td>{formatDate(endpoint.createdAt)}</td>
                    <td class="actions">
                      <ConfirmButton
                        label="Rotate secret"
                        question={<>Sign deliveries to {endpoint.url} with a new secret? Receivers with the old one will refuse them until they have the new one.</>}
                        confirmLabel="Rotate"
                        busy={busy === endpoint.id}
                        onConfirm={() =>
                          act(endpoint.id, async () => {
                            const { rotateWebhookSecret } = await api.RotateWebhookSecret({ id: endpoint.id });
                            if (rotateWebhookSecret.secret) setNotice({ url: rotateWebhookSecret.url, secret: rotateWebhookSecret.secret, rotated: true });
                          })
                        }
                      />
                      <ConfirmButton
                        label="Delete"
                        question={<>Delete the endpoint {endpoint.url}? Its pending deliveries end and its delivery history goes with it.</>}
                        confirmLabel="Delete endpoint"
                        busy={busy === endpoint.id}
                        onConfirm={() =>
                          act(endpoint.id, async () => {
                            await api.DeleteWebhookEndpoint({ id: endpoint.id });
                            setSaid(`Deleted ${endpoint.url}.`);
                          })
                        }
                      />
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

function NewEndpointForm({ onCreated }: { onCreated: (endpoint: WebhookEndpointFieldsFragment, secret: string) => void }) {
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="panel"
      aria-labelledby="new-endpoint"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = event.currentTarget as HTMLFormElement;
        const data = new FormData(form);
        setBusy(true);
        setFailure(null);
        try {
          const description = String(data.get('description') ?? '').trim();
          const { createWebhookEndpoint } = await api.CreateWebhookEndpoint({
            input: { url: String(data.get('url') ?? '').trim(), events: data.getAll('events').map(String), ...(description ? { description } : {}) },
          });
          form.reset();
          onCreated(createWebhookEndpoint, createWebhookEndpoint.secret ?? '');
        } catch (error) {
          setFailure(asApiError(error));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="new-endpoint">New endpoint</h2>
      {failure && <Failure error={failure} />}
      <label for="webhook-url">URL</label>
      <input id="webhook-url" name="url" type="url" required placeholder="https://api.example.com/nango" aria-describedby="webhook-url-help" aria-invalid={failure?.field === 'url' ? 'true' : undefined} />
      <p id="webhook-url-help" class="muted">
        https://; a loopback or private address only in development or with NANGO_ALLOW_PRIVATE_PROVIDER_URLS.
      </p>
      <label for="webhook-description">Description (optional)</label>
      <input id="webhook-description" name="description" type="text" />
      <fieldset>
        <legend>Events (none checked: every type)</legend>
        <div class="checks">
          {EVENT_TYPES.map((type) => (
            <label key={type} class="check">
              <input type="checkbox" name="events" value={type} /> {type}
            </label>
          ))}
        </div>
      </fieldset>
      <button type="submit" disabled={busy}>
        Create endpoint
      </button>
    </form>
  );
}
