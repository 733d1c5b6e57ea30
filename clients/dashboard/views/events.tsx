// Events: what happened to connections and configs, live (the subscription,
// see event-feed.ts), filtered by type, config and connection; the filter is
// kept in the address so that a link can open it.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { EVENT_TYPES } from '../event-types.js';
import { useEventFeed, FEED_LIMIT, type EventFilter, type FeedEvent } from '../event-feed.js';
import { Link } from '../router.js';
import { Failure, formatDate, Heading, useLoad } from './common.js';

interface Filter {
  type: string;
  config: string;
  connection: string;
}

function filterFromAddress(): Filter {
  const query = new URLSearchParams(location.search);
  return { type: query.get('type') ?? '', config: query.get('config') ?? '', connection: query.get('connection') ?? '' };
}

function keepInAddress(filter: Filter): void {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
  const search = query.toString();
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
}

export function EventsView(_props: { params: string[] }) {
  const [filter, setFilter] = useState<Filter>(filterFromAddress);
  const wanted: EventFilter = {
    ...(filter.type ? { types: [filter.type] } : {}),
    ...(filter.config ? { providerConfigKey: filter.config } : {}),
    ...(filter.connection ? { connectionId: filter.connection } : {}),
  };
  const { events, status, skipped } = useEventFeed(wanted);
  // The configs to filter by are read again when the feed shows one created or deleted.
  const configChanges = events.filter((event) => event.type === 'provider_config.created' || event.type === 'provider_config.deleted').length;
  const [configs] = useLoad(() => api.ProviderConfigs(), [configChanges]);
  const change = (next: Partial<Filter>) => {
    const merged = { ...filter, ...next };
    keepInAddress(merged);
    setFilter(merged);
  };
  const configKeys = configs.state === 'ready' ? configs.data.providerConfigs.map((config) => config.key) : [];
  if (filter.config && !configKeys.includes(filter.config)) configKeys.push(filter.config);

  return (
    <>
      <Heading>Events</Heading>
      <form
        class="filters"
        aria-label="Filter events"
        onSubmit={(event) => {
          event.preventDefault();
          const input = (event.currentTarget as HTMLFormElement).elements.namedItem('event-connection') as HTMLInputElement;
          change({ connection: input.value.trim() });
        }}
      >
        <div>
          <label for="event-type">Type</label>
          <select id="event-type" value={filter.type} onChange={(event) => change({ type: (event.currentTarget as HTMLSelectElement).value })}>
            <option value="">Every type</option>
            {EVENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="event-config">Provider config</label>
          <select id="event-config" value={filter.config} onChange={(event) => change({ config: (event.currentTarget as HTMLSelectElement).value })}>
            <option value="">Every config</option>
            {configKeys.map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="event-connection">Connection id</label>
          <div class="inline">
            <input id="event-connection" name="event-connection" type="search" defaultValue={filter.connection} autocomplete="off" />
            <button type="submit">Apply</button>
          </div>
        </div>
      </form>
      <FeedState status={status} />
      {skipped && <p class="warning">More events arrived while the feed was away than it keeps: it shows the latest. Query.events reads them all.</p>}
      <div role="log" aria-label="Events, newest first" class="feed">
        {events.length === 0 && status.state !== 'loading' ? (
          <p>No events{filter.type || filter.config || filter.connection ? ' match this filter' : ' yet'}. New ones appear here as they happen.</p>
        ) : (
          <ol class="events">
            {events.map((event) => (
              <EventItem key={event.id} event={event} />
            ))}
          </ol>
        )}
      </div>
      {events.length >= FEED_LIMIT && <p class="muted">The latest {FEED_LIMIT} are shown.</p>}
    </>
  );
}

function FeedState({ status }: { status: ReturnType<typeof useEventFeed>['status'] }) {
  if (status.state === 'failed') return <Failure error={status.error} />;
  return (
    <p role="status" class={`feed-state feed-${status.state}`}>
      {status.state === 'loading' && 'Loading the latest events…'}
      {status.state === 'live' && 'Live: new events appear as they happen.'}
      {status.state === 'reconnecting' && `Reconnecting (${status.reason.message}); events missed meanwhile will be read.`}
    </p>
  );
}

function EventItem({ event }: { event: FeedEvent }) {
  const { providerConfigKey, connectionId, health, error, endUser } = event.data;
  return (
    <li class={`event event-${event.type.replace(/[^a-z_]/g, '-')}`}>
      <div class="event-head">
        <span class="event-type">{event.type}</span>
        <time dateTime={event.createdAt}>{formatDate(event.createdAt)}</time>
      </div>
      <dl class="event-data">
        <dt>Config</dt>
        <dd>
          <code>{providerConfigKey}</code>
        </dd>
        {connectionId !== null && (
          <>
            <dt>Connection</dt>
            <dd>
              <Link href={`/dashboard/connections/${encodeURIComponent(providerConfigKey)}/${encodeURIComponent(connectionId)}`}>{connectionId}</Link>
            </dd>
          </>
        )}
        {health && (
          <>
            <dt>Health</dt>
            <dd>{health}</dd>
          </>
        )}
        {error && (
          <>
            <dt>Error</dt>
            <dd>
              <code>{error.code}</code>
              {error.description ? ` ${error.description}` : ''}
            </dd>
          </>
        )}
        {endUser && (
          <>
            <dt>End user</dt>
            <dd>{endUser.displayName ?? endUser.email ?? endUser.id}</dd>
          </>
        )}
      </dl>
    </li>
  );
}
