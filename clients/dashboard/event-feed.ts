// The events view's live feed: the latest page of Query.events, then
// Subscription.connectionEvents; whenever the stream ends (the service ended a
// subscriber too slow for it, restarted, or the network dropped) the events
// missed meanwhile are read with Query.events after the last one received, and
// the feed subscribes again. Catching up starts once the new subscription is
// open, so nothing falls between the two; what both bring is shown once.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import type { EventFieldsFragment } from './generated/sdk.js';

export type FeedEvent = EventFieldsFragment;

export interface EventFilter {
  types?: string[];
  providerConfigKey?: string;
  connectionId?: string;
}

export type FeedStatus =
  | { state: 'loading' }
  | { state: 'live' }
  | { state: 'reconnecting'; reason: ApiError }
  | { state: 'failed'; error: ApiError };

/** Events the page keeps, newest first: older ones are in Query.events (and the CLI). */
export const FEED_LIMIT = 200;
const PAGE = 100;
/** Pages read to catch up before giving up on the gap and starting from the latest page again. */
const CATCH_UP_PAGES = 20;
const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

export function useEventFeed(filter: EventFilter): { events: FeedEvent[]; status: FeedStatus; skipped: boolean } {
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [status, setStatus] = useState<FeedStatus>({ state: 'loading' });
  const [skipped, setSkipped] = useState(false);
  const key = JSON.stringify(filter);

  useEffect(() => {
    const stop = new AbortController();
    const seen = new Set<string>();
    let last: string | null = null;
    setEvents([]);
    setStatus({ state: 'loading' });
    setSkipped(false);

    /** `arrived` oldest first; new ones go on top. */
    const add = (arrived: FeedEvent[]) => {
      const fresh = arrived.filter((event) => !seen.has(event.id));
      for (const event of fresh) seen.add(event.id);
      if (fresh.length === 0) return;
      last = fresh.at(-1)!.id;
      setEvents((current) => [...fresh.reverse(), ...current].slice(0, FEED_LIMIT));
    };

    const latest = async () => add((await api.Events({ ...filter, first: 50 })).events.nodes);

    const catchUp = async () => {
      if (last === null) return latest();
      for (let page = 0; page < CATCH_UP_PAGES; page++) {
        const { events: read } = await api.Events({ ...filter, after: last, first: PAGE });
        add(read.nodes);
        if (!read.pageInfo.hasNextPage) return;
      }
      // More arrived than the feed keeps anyway: the latest page, and a word that some were not shown.
      setSkipped(true);
      await latest();
    };

    const run = async () => {
      await latest();
      for (let failures = 0; !stop.signal.aborted; ) {
        // Ends this subscription alone: when catching up fails, the gap would stay, so the whole round is tried again.
        const round = new AbortController();
        const endRound = () => round.abort();
        stop.signal.addEventListener('abort', endRound);
        let caughtUp: Promise<void> | null = null;
        try {
          const stream = api.ConnectionEvents(filter, {
            signal: round.signal,
            onOpen: () => {
              caughtUp = catchUp();
              caughtUp.then(() => setStatus({ state: 'live' }), endRound);
            },
          });
          for await (const { connectionEvents } of stream) add([connectionEvents]);
          // Ended by the service (or by a failed catch-up): what the round got is kept; the reason, if any, comes from catching up.
          if (caughtUp) await caughtUp;
          // Opened again after the shortest wait: a service that ends every stream at once is not called in a loop.
          failures = 1;
        } catch (error) {
          if (stop.signal.aborted) return;
          const reason = error instanceof ApiError ? error : new ApiError('unexpected', String(error));
          // A session that ended or a filter refused will not pass by trying again.
          if (['dashboard_session_expired', 'missing_auth_header', 'csrf_token_invalid', 'invalid_input'].includes(reason.code)) {
            setStatus({ state: 'failed', error: reason });
            return;
          }
          setStatus({ state: 'reconnecting', reason });
          // Too slow: the service is fine, the feed only fell behind; catch up at once.
          failures = reason.code === 'subscriber_too_slow' ? 0 : failures + 1;
        } finally {
          stop.signal.removeEventListener('abort', endRound);
        }
        if (stop.signal.aborted) return;
        if (failures > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1]));
      }
    };

    run().catch((error: unknown) => {
      if (!stop.signal.aborted) setStatus({ state: 'failed', error: error instanceof ApiError ? error : new ApiError('unexpected', String(error)) });
    });
    return () => stop.abort();
  }, [key]);

  return { events, status, skipped };
}
