// The events the stores write with each change (see event-store.ts), as the
// API lists them: by type, provider config and connection, a page at a time.
import { EVENT_TYPES, type EventRecord, type EventStore, type EventType } from '../db/event-store.js';
import type { Page } from './connections.js';
import { invalidInput } from './errors.js';
import { checkIdentifier } from './identifiers.js';

export { EVENT_TYPES, type EventRecord as Event, type EventType };

export interface ListEventsOptions {
  /** Only the events after this one (an event id), oldest first; without it, the latest `first`, oldest first. */
  after?: string;
  types?: readonly string[];
  providerConfigKey?: string;
  connectionId?: string;
  first?: number;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
// evt_ and 32 hex digits (migration 0011).
const EVENT_ID = /^evt_[0-9a-f]{32}$/;

export class Events {
  constructor(
    private readonly store: EventStore,
    private readonly retentionDays: number,
  ) {}

  /** Lets the events older than the retention time go: how many went. */
  prune(): Promise<number> {
    return this.store.deleteOlderThan(this.retentionDays);
  }

  /** A page of events; endCursor is its last event's id, to pass as `after` (also to follow new ones). */
  async list(options: ListEventsOptions = {}): Promise<Page<EventRecord>> {
    const first = options.first ?? DEFAULT_PAGE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw invalidInput('first', `must be between 1 and ${MAX_PAGE}`);
    if (options.after !== undefined && !EVENT_ID.test(options.after)) throw invalidInput('after', 'is not an event id returned by this API');
    const unknown = options.types?.find((type) => !(EVENT_TYPES as readonly string[]).includes(type));
    if (unknown !== undefined) throw invalidInput('types', `"${unknown.slice(0, 64)}" is not one of ${EVENT_TYPES.join(', ')}`);
    if (options.providerConfigKey !== undefined) checkIdentifier('providerConfigKey', options.providerConfigKey);
    if (options.connectionId !== undefined) checkIdentifier('connectionId', options.connectionId);
    const { events, hasMore } = await this.store.list({
      after: options.after,
      types: options.types as readonly EventType[] | undefined,
      providerConfigKey: options.providerConfigKey,
      connectionId: options.connectionId,
      first,
    });
    // After a cursor, more may follow this page; the latest page is followed by nothing yet.
    return { nodes: events, endCursor: events.at(-1)?.id ?? options.after ?? null, hasNextPage: options.after !== undefined && hasMore };
  }
}
