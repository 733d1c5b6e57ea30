// The events the stores write with each change (see event-store.ts), as the
// API lists them: by type, provider config and connection, a page at a time.
import { EVENT_TYPES, type EventRecord, type EventStore, type EventType } from '../db/event-store.js';
import type { Page } from './connections.js';
import { AppError, invalidInput } from './errors.js';
import { checkIdentifier } from './identifiers.js';

export { EVENT_TYPES, type EventRecord as Event, type EventType };

export interface ListEventsOptions extends EventFilter {
  /** Only the events after this one (an event id), oldest first; without it, the latest `first`, oldest first. */
  after?: string;
  first?: number;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
// evt_ and 32 hex digits (migration 0011).
const EVENT_ID = /^evt_[0-9a-f]{32}$/;

export class Events {
  /** Events as they are committed, for subscriptions (fed by the listener, see start.ts). */
  readonly feed = new EventFeed();

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
    checkFilter(options);
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

/** What a subscriber wants: any of these types (none: all), of this config, of this connection. */
export interface EventFilter {
  types?: readonly string[];
  providerConfigKey?: string;
  connectionId?: string;
}

/**
 * Events a subscriber may leave unread before its subscription ends
 * (subscriber_too_slow), as Redis ends a client whose output buffer is over
 * its limit: a few MB at most per subscriber. It then subscribes again and reads
 * what it missed with Query.events(after: the last id it got).
 */
export const MAX_UNREAD_EVENTS = 10_000;

interface Subscriber {
  matches(event: EventRecord): boolean;
  queue: EventRecord[];
  wake: (() => void) | null;
  overflowed: boolean;
}

/**
 * Events as they are committed, from every instance (the listener's), handed
 * to this instance's subscribers. A subscriber that does not keep up is ended
 * with subscriber_too_slow rather than buffered without bound.
 */
export class EventFeed {
  private readonly subscribers = new Set<Subscriber>();

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  publish(events: readonly EventRecord[]): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.overflowed) continue;
      for (const event of events) {
        if (!subscriber.matches(event)) continue;
        if (subscriber.queue.length >= MAX_UNREAD_EVENTS) {
          subscriber.overflowed = true;
          subscriber.queue.length = 0;
          break;
        }
        subscriber.queue.push(event);
      }
      subscriber.wake?.();
    }
  }

  /**
   * The matching events from now on; ends when the caller stops reading
   * (return()). A subscriber that fell behind gets TOO_SLOW in place of the
   * events it missed, and the subscription ends there.
   */
  async *subscribe(filter: EventFilter): AsyncGenerator<EventRecord | typeof TOO_SLOW, void, undefined> {
    checkFilter(filter);
    const subscriber: Subscriber = {
      matches: (event) =>
        (!filter.types?.length || filter.types.includes(event.type)) &&
        (filter.providerConfigKey === undefined || event.providerConfigKey === filter.providerConfigKey) &&
        (filter.connectionId === undefined || event.connectionId === filter.connectionId),
      queue: [],
      wake: null,
      overflowed: false,
    };
    this.subscribers.add(subscriber);
    try {
      for (;;) {
        if (subscriber.overflowed) {
          yield TOO_SLOW;
          return;
        }
        const next = subscriber.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (subscriber.wake = resolve));
        subscriber.wake = null;
      }
    } finally {
      this.subscribers.delete(subscriber);
    }
  }
}

/** In a subscription, where a subscriber that fell too far behind lost events. */
export const TOO_SLOW = Symbol('subscriber too slow');

export function tooSlowError(): AppError {
  return new AppError('subscriber_too_slow', `More than ${MAX_UNREAD_EVENTS} events were waiting to be read; subscribe again, and read what was missed with Query.events(after:).`);
}

function checkFilter(filter: EventFilter): void {
  const unknown = filter.types?.find((type) => !(EVENT_TYPES as readonly string[]).includes(type));
  if (unknown !== undefined) throw invalidInput('types', `"${unknown.slice(0, 64)}" is not one of ${EVENT_TYPES.join(', ')}`);
  if (filter.providerConfigKey !== undefined) checkIdentifier('providerConfigKey', filter.providerConfigKey);
  if (filter.connectionId !== undefined) checkIdentifier('connectionId', filter.connectionId);
}
