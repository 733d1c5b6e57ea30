// Connection events as they are committed, for the views that stay current
// without a reload: Subscription.connectionEvents through the API module (read
// as server-sent events, event-stream.ts). Chosen over polling Query.events: a change
// shows at once, and an idle page costs the server nothing but an open stream.
// A dropped stream is opened again after a pause, and the view told to reload
// (what happened meanwhile was not heard).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import type { ConnectionEventsSubscription, ConnectionEventsSubscriptionVariables } from './generated/sdk.js';

export type LiveEvent = ConnectionEventsSubscription['connectionEvents'];
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * Calls `onEvent` with each event matching `filter`, and `onGap` when the
 * stream was reopened after a drop. Returns the stream's state for the page to show.
 */
export function useConnectionEvents(filter: ConnectionEventsSubscriptionVariables, onEvent: (event: LiveEvent) => void, onGap: () => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  // The latest callbacks, so that a re-render does not reopen the stream.
  const callbacks = useRef({ onEvent, onGap });
  callbacks.current = { onEvent, onGap };
  const key = JSON.stringify(filter);
  useEffect(() => {
    const controller = new AbortController();
    let attempt = 0;
    const run = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        const outcome = await stream(filter, controller.signal, (event) => {
          attempt = 0;
          callbacks.current.onEvent(event);
        }, () => setState('live')).catch(() => 'dropped' as const);
        if (controller.signal.aborted) return;
        // Signed out, or refused: the next call of the view says why; nothing to retry.
        if (outcome === 'refused') return setState('stopped');
        setState('reconnecting');
        await pause(RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]!, controller.signal);
        if (!controller.signal.aborted) callbacks.current.onGap();
      }
    };
    void run();
    return () => controller.abort();
  }, [key]);
  return state;
}

// What a retry cannot fix: the session is over, or the filter is refused.
const REFUSALS = new Set(['dashboard_session_expired', 'csrf_token_invalid', 'missing_auth_header', 'invalid_input', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']);

async function stream(variables: ConnectionEventsSubscriptionVariables, signal: AbortSignal, onEvent: (event: LiveEvent) => void, onOpen: () => void): Promise<'ended' | 'dropped' | 'refused'> {
  try {
    for await (const result of api.ConnectionEvents(variables, { signal, onOpen })) onEvent(result.connectionEvents);
    return 'ended';
  } catch (error) {
    // subscriber_too_slow, a lost connection: reopening and reloading catches up.
    return error instanceof ApiError && REFUSALS.has(error.code) ? 'refused' : 'dropped';
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

export function liveLabel(state: LiveState): string {
  return { connecting: 'Connecting to live updates…', live: 'Live: changes show here as they happen.', reconnecting: 'Live updates interrupted: reconnecting…', stopped: 'Live updates stopped.' }[state];
}
