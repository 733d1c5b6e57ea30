// Connection events as they are committed, for the views that stay current
// without a reload: Subscription.connectionEvents over server-sent events
// (POST /graphql, accept: text/event-stream, the session's CSRF header; an
// EventSource can send neither). Chosen over polling Query.events: a change
// shows at once, and an idle page costs the server nothing but an open stream.
// A dropped stream is opened again after a pause, and the view told to reload
// (what happened meanwhile was not heard).
import { useEffect, useRef, useState } from 'preact/hooks';
import { loadSession } from './api.js';
import { ConnectionEventsDocument, type ConnectionEventsSubscription, type ConnectionEventsSubscriptionVariables } from './generated/sdk.js';

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

async function stream(variables: ConnectionEventsSubscriptionVariables, signal: AbortSignal, onEvent: (event: LiveEvent) => void, onOpen: () => void): Promise<'ended' | 'dropped' | 'refused'> {
  // The CSRF token lives in the API module's memory only; asking the session again is how a reload gets it too.
  const session = await loadSession();
  if (!session.signedIn) return 'refused';
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (session.csrfToken) headers[session.csrfHeader] = session.csrfToken;
  const response = await fetch('/graphql', { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify({ query: String(ConnectionEventsDocument), variables }), signal });
  if (!response.ok || !response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    return response.status >= 400 && response.status < 500 ? 'refused' : 'dropped';
  }
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return 'dropped';
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: ?(.*)$/m.exec(block)?.[1];
      if (type === 'complete') return 'ended';
      if (type !== 'next') continue;
      const result = JSON.parse(/^data: ?(.*)$/m.exec(block)?.[1] ?? 'null') as { data?: ConnectionEventsSubscription; errors?: unknown[] } | null;
      // subscriber_too_slow and the like: the stream ends; reopening and reloading catches up.
      if (result?.errors?.length) return 'dropped';
      if (result?.data) onEvent(result.data.connectionEvents);
    }
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
