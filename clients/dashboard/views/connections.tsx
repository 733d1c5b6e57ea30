// Connections: searched by connection id or end user, filtered by config and
// health, kept current by the connection events as they happen; "invite a
// user" makes a connect session whose link opens the Connect UI. A
// connection's own page is /dashboard/connections/<config key>/<connection id>.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { ConnectionHealthStatus, ConnectionsQuery } from '../generated/sdk.js';
import { liveLabel, useConnectionEvents } from '../live.js';
import { Link } from '../router.js';
import { asApiError, Failure, formatDate, Heading, useLoad, type Loaded } from './common.js';
import { ConnectionView, healthLabel } from './connection.js';
import { InviteUser } from './invite.js';
import { Field, Select, useDebounced } from './forms.js';

type Connection = ConnectionsQuery['connections']['nodes'][number];
const HEALTHS = ['HEALTHY', 'REFRESH_FAILING', 'NEEDS_REAUTH'] as const satisfies readonly ConnectionHealthStatus[];
const PAGE = 50;

export function ConnectionsView({ params }: { params: string[] }) {
  const [key, id] = params;
  if (key !== undefined && id !== undefined) return <ConnectionView key={`${key}\n${id}`} providerConfigKey={key} connectionId={id} />;
  return <ConnectionList />;
}

function ConnectionList() {
  const [search, setSearch] = useState('');
  const [config, setConfig] = useState(() => new URLSearchParams(location.search).get('config') ?? '');
  const [health, setHealth] = useState('');
  const [more, setMore] = useState<{ nodes: Connection[]; endCursor: string | null; hasNextPage: boolean } | null>(null);
  const settled = useDebounced(search.trim());
  const filters = { ...(settled ? { search: settled } : {}), ...(config ? { providerConfigKey: config } : {}), ...(health ? { health: health as ConnectionHealthStatus } : {}) };
  const [loaded, reload] = useLoad(() => api.Connections({ ...filters, first: PAGE }), [settled, config, health]);
  const [configs] = useLoad(() => api.ProviderConfigs());
  useEffect(() => setMore(null), [loaded]);
  // Events come in bursts (a batch of refreshes): the list is read again once they pause.
  const [stale, setStale] = useState(0);
  const settledStale = useDebounced(stale, 300);
  useEffect(() => {
    if (settledStale > 0) reload();
  }, [settledStale]);
  const live = useConnectionEvents(
    {},
    useCallback(() => setStale((value) => value + 1), []),
    useCallback(() => setStale((value) => value + 1), []),
  );

  return (
    <>
      <Heading>Connections</Heading>
      <InviteUser configs={configs.state === 'ready' ? configs.data.providerConfigs.map((each) => each.key) : []} />
      <section aria-labelledby="connections-list-heading">
        <h2 id="connections-list-heading">All connections</h2>
        <div class="filters" role="search" aria-label="Connections">
          <Field id="connections-search" type="search" label="Search by connection id or end user" hint="The start of a connection id, or of an end user's id, email or name." value={search} onInput={setSearch} />
          <Select
            id="connections-config"
            label="Provider config"
            value={config}
            onChange={setConfig}
            options={[{ value: '', label: 'Every config' }, ...(configs.state === 'ready' ? configs.data.providerConfigs.map((each) => ({ value: each.key, label: each.key })) : config ? [{ value: config, label: config }] : [])]}
          />
          <Select id="connections-health" label="Health" value={health} onChange={setHealth} options={[{ value: '', label: 'Any health' }, ...HEALTHS.map((value) => ({ value, label: healthLabel(value) }))]} />
        </div>
        <p class="hint live" data-live={live}>
          {liveLabel(live)}
        </p>
        <ConnectionTable
          loaded={loaded}
          more={more}
          onMore={async (cursor) => {
            try {
              const { connections } = await api.Connections({ ...filters, first: PAGE, after: cursor });
              setMore((current) => ({ nodes: [...(current?.nodes ?? []), ...connections.nodes], endCursor: connections.pageInfo.endCursor, hasNextPage: connections.pageInfo.hasNextPage }));
            } catch (error) {
              setMore((current) => current ?? { nodes: [], endCursor: cursor, hasNextPage: true });
              throw asApiError(error);
            }
          }}
        />
      </section>
    </>
  );
}

function ConnectionTable({ loaded, more, onMore }: { loaded: Loaded<ConnectionsQuery>; more: { nodes: Connection[]; endCursor: string | null; hasNextPage: boolean } | null; onMore: (cursor: string) => Promise<void> }) {
  const [failure, setFailure] = useState<ReturnType<typeof asApiError> | null>(null);
  // The first load shows "Loading…"; a reload keeps the rows on screen until the new ones arrive.
  const [shown, setShown] = useState<ConnectionsQuery | null>(null);
  useEffect(() => {
    if (loaded.state === 'ready') setShown(loaded.data);
  }, [loaded]);
  if (loaded.state === 'failed') return <Failure error={loaded.error} />;
  if (!shown) return <p aria-busy="true">Loading…</p>;
  const nodes = [...shown.connections.nodes, ...(more?.nodes ?? [])];
  const pageInfo = more ?? shown.connections.pageInfo;
  if (nodes.length === 0) return <p role="status">No connections match.</p>;
  return (
    <>
      <table class="connections">
        <caption class="visually-hidden">Connections, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Connection id</th>
            <th scope="col">Provider config</th>
            <th scope="col">End user</th>
            <th scope="col">Health</th>
            <th scope="col">Last refresh</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((connection) => (
            <tr key={`${connection.providerConfigKey}\n${connection.connectionId}`}>
              <th scope="row">
                <Link href={`/dashboard/connections/${encodeURIComponent(connection.providerConfigKey)}/${encodeURIComponent(connection.connectionId)}`}>{connection.connectionId}</Link>
              </th>
              <td>{connection.providerConfigKey}</td>
              <td>{connection.endUser ? [connection.endUser.displayName, connection.endUser.email, connection.endUser.id].filter(Boolean).join(' · ') : '—'}</td>
              <td>
                <span class={`health health-${connection.health.status.toLowerCase()}`}>{healthLabel(connection.health.status)}</span>
              </td>
              <td>{connection.lastRefreshFailure ? `Failed ${formatDate(connection.lastRefreshFailure.at)}` : formatDate(connection.lastRefreshSuccess)}</td>
              <td>{formatDate(connection.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {failure && <Failure error={failure} />}
      {pageInfo.hasNextPage && pageInfo.endCursor && (
        <button
          type="button"
          class="quiet"
          onClick={() => {
            setFailure(null);
            onMore(pageInfo.endCursor!).catch((error: unknown) => setFailure(asApiError(error)));
          }}
        >
          Show more connections
        </button>
      )}
    </>
  );
}
