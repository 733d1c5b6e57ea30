// One connection's page: its health, last refreshes, end user, metadata,
// params and events, kept current by its events; refresh now (the page learns
// when the new credentials expire, never a token), and delete, revoking the
// grant at the provider first when asked.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { ConnectionHealthStatus } from '../generated/sdk.js';
import { liveLabel, useConnectionEvents, type LiveEvent } from '../live.js';
import { Link } from '../router.js';
import { asApiError, formatDate, Heading, Show, useLoad } from './common.js';
import { OutcomeMessage, type Outcome } from './forms.js';

export function healthLabel(status: ConnectionHealthStatus): string {
  return { HEALTHY: 'Healthy', REFRESH_FAILING: 'Refresh failing', NEEDS_REAUTH: 'Needs its user' }[status];
}

export function ConnectionView({ providerConfigKey, connectionId }: { providerConfigKey: string; connectionId: string }) {
  const identity = { providerConfigKey, connectionId };
  const [loaded, reload] = useLoad(async () => ({ ...(await api.Connection(identity)), ...(await api.Events({ ...identity, first: 50 })) }));
  const [deleted, setDeleted] = useState<Outcome>(null);
  // Deleted here or anywhere else: the page says so rather than reading a connection that is gone.
  const [gone, setGone] = useState(false);
  const live = useConnectionEvents(
    identity,
    useCallback((event: LiveEvent) => (event.type === 'connection.deleted' ? setGone(true) : reload()), [reload]),
    reload,
  );
  // A successful refresh is no event (an hourly token would flood the feed and the webhooks): the page reads
  // the connection again every 15 s, so its last refresh and health stay current too.
  useEffect(() => {
    const timer = setInterval(reload, 15_000);
    return () => clearInterval(timer);
  }, [reload]);
  const list = <Link href="/dashboard/connections">Back to connections</Link>;
  if (deleted || gone) {
    return (
      <>
        <Heading>Connection {connectionId}</Heading>
        <OutcomeMessage outcome={deleted ?? { kind: 'done', message: `The connection ${connectionId} was deleted.` }} />
        <p>{list}</p>
      </>
    );
  }
  return (
    <>
      <Heading>Connection {connectionId}</Heading>
      <p>{list}</p>
      <Show loaded={loaded}>
        {({ connection, events }) => (
          <>
            <dl class="facts">
              <dt>Provider config</dt>
              <dd>
                <Link href={`/dashboard/configs/${encodeURIComponent(connection.providerConfigKey)}`}>{connection.providerConfigKey}</Link> ({connection.provider})
              </dd>
              <dt>End user</dt>
              <dd>{connection.endUser ? [connection.endUser.displayName, connection.endUser.email, `id ${connection.endUser.id}`].filter(Boolean).join(' · ') : 'None named'}</dd>
              <dt>Health</dt>
              <dd>
                <span class={`health health-${connection.health.status.toLowerCase()}`}>{healthLabel(connection.health.status)}</span> since {formatDate(connection.health.since)}
                {connection.health.code && (
                  <>
                    {' '}
                    — <span class="code">{connection.health.code}</span>
                    {connection.health.description && `: ${connection.health.description}`}
                  </>
                )}
                {connection.health.nextAttemptAt && <> (next attempt {formatDate(connection.health.nextAttemptAt)})</>}
              </dd>
              <dt>Last refresh success</dt>
              <dd>{formatDate(connection.lastRefreshSuccess)}</dd>
              <dt>Last refresh failure</dt>
              <dd>
                {connection.lastRefreshFailure ? (
                  <>
                    {formatDate(connection.lastRefreshFailure.at)} — <span class="code">{connection.lastRefreshFailure.code}</span>
                    {connection.lastRefreshFailure.description && `: ${connection.lastRefreshFailure.description}`}
                  </>
                ) : (
                  'None since the last success'
                )}
              </dd>
              <dt>Created</dt>
              <dd>{formatDate(connection.createdAt)}</dd>
              <dt>Updated</dt>
              <dd>{formatDate(connection.updatedAt)}</dd>
            </dl>
            <h2>Connection params</h2>
            <JsonBlock label="Connection params" value={connection.connectionConfig} />
            <h2>Metadata</h2>
            <JsonBlock label="Metadata" value={connection.metadata} />
            <Actions providerConfigKey={providerConfigKey} connectionId={connectionId} onChanged={reload} onDeleted={setDeleted} />
            <h2 id="connection-events-heading">Events</h2>
            <p class="hint live" data-live={live}>
              {liveLabel(live)}
            </p>
            {events.nodes.length === 0 ? (
              <p>No events kept for this connection.</p>
            ) : (
              <table class="events" aria-labelledby="connection-events-heading">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Type</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {[...events.nodes].reverse().map((event) => (
                    <tr key={event.id}>
                      <td>{formatDate(event.createdAt)}</td>
                      <th scope="row">{event.type}</th>
                      <td>
                        {[event.data.health && healthLabel(event.data.health), event.data.error && `${event.data.error.code}${event.data.error.description ? `: ${event.data.error.description}` : ''}`, event.data.endUser && `end user ${event.data.endUser.id}`]
                          .filter(Boolean)
                          .join(' · ') || '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Show>
    </>
  );
}

function JsonBlock({ label, value }: { label: string; value: unknown }) {
  const empty = value === null || (typeof value === 'object' && Object.keys(value as object).length === 0);
  if (empty) return <p>None.</p>;
  return (
    <pre class="json" tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

function Actions({ providerConfigKey, connectionId, onChanged, onDeleted }: { providerConfigKey: string; connectionId: string; onChanged: () => void; onDeleted: (outcome: Outcome) => void }) {
  const identity = { providerConfigKey, connectionId };
  const [refresh, setRefresh] = useState<Outcome>(null);
  const [deletion, setDeletion] = useState<Outcome>(null);
  const [revoke, setRevoke] = useState(true);
  const [force, setForce] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'refresh' | 'delete' | null>(null);

  const remove = async (forced: boolean) => {
    setBusy('delete');
    setDeletion(null);
    try {
      if (!revoke) {
        await api.DeleteConnection(identity);
        onDeleted({ kind: 'done', message: `Deleted the connection ${connectionId}; its grant was not revoked at the provider.` });
        return;
      }
      const { revokeAndDeleteConnection: result } = await api.RevokeAndDeleteConnection({ ...identity, force: forced });
      onDeleted({
        kind: 'done',
        message: result.revoked
          ? `Revoked at the provider and deleted the connection ${connectionId}.`
          : `Deleted the connection ${connectionId}, but the provider did not revoke its grant: ${result.revocationError?.description ?? 'no reason given'} (${result.revocationError?.code ?? 'unknown'}).`,
      });
    } catch (error) {
      const failure = asApiError(error);
      setDeletion({ kind: 'failed', error: failure });
      // The connection is kept when the revocation fails: offer to delete it anyway.
      setForce(failure.code === 'revocation_failed' || failure.code === 'revocation_unsupported' ? failure : null);
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="connection-actions-heading">
      <h2 id="connection-actions-heading">Actions</h2>
      <div class="action">
        <button
          type="button"
          disabled={busy !== null}
          onClick={async () => {
            setBusy('refresh');
            setRefresh(null);
            try {
              const { connection } = await api.RefreshConnection(identity);
              const expiresAt = 'expiresAt' in connection.credentials ? connection.credentials.expiresAt : null;
              setRefresh({ kind: 'done', message: expiresAt ? `Refreshed: the new credentials expire ${formatDate(expiresAt)}.` : 'Refreshed (these credentials do not expire).' });
            } catch (error) {
              setRefresh({ kind: 'failed', error: asApiError(error) });
            } finally {
              setBusy(null);
              onChanged();
            }
          }}
        >
          Refresh now
        </button>
        <OutcomeMessage outcome={refresh} />
      </div>
      <div class="action">
        <div class="check">
          <input id="delete-revoke" type="checkbox" checked={revoke} onChange={(event) => setRevoke((event.currentTarget as HTMLInputElement).checked)} />
          <label for="delete-revoke">Revoke the grant at the provider first</label>
        </div>
        <button type="button" class="danger" disabled={busy !== null} onClick={() => remove(false)}>
          {revoke ? 'Revoke and delete' : 'Delete'} this connection
        </button>
        <OutcomeMessage outcome={deletion} />
        {force && (
          <button type="button" class="quiet danger" disabled={busy !== null} onClick={() => remove(true)}>
            Delete it anyway, without revoking
          </button>
        )}
      </div>
    </section>
  );
}
