// What every view shares: a heading that takes focus when the view opens (so a
// screen reader announces it), data loaded with its error shown, and the
// service's errors in words.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';

export function Heading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export type Loaded<T> = { state: 'loading' } | { state: 'failed'; error: ApiError } | { state: 'ready'; data: T };

/** Loads with `load` when `key` changes; `reload` loads again. */
export function useLoad<T>(load: () => Promise<T>, key: unknown[] = []): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setLoaded({ state: 'ready', data }),
      (error: unknown) => current && setLoaded({ state: 'failed', error: asApiError(error) }),
    );
    return () => {
      current = false;
    };
  }, [...key, round]);
  return [loaded, useCallback(() => setRound((value) => value + 1), [])];
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('unexpected', error instanceof Error ? error.message : String(error));
}

export function Failure({ error }: { error: ApiError }) {
  return (
    <p class="error" role="alert">
      {error.message} <span class="code">({error.code})</span>
    </p>
  );
}

/** A loaded value's view, or its loading and failure states. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p aria-busy="true">Loading…</p>;
  if (loaded.state === 'failed') return <Failure error={loaded.error} />;
  return <>{children(loaded.data)}</>;
}

export function formatDate(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : '—';
}

/**
 * Buttons that act on one item of a view: which item is busy, what the last
 * action said or why it failed; `act` runs one and reloads the view after it.
 */
export function useActions(reload: () => void) {
  const [said, setSaid] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const act = async (id: string, action: () => Promise<void>) => {
    setBusy(id);
    setFailure(null);
    setSaid(null);
    try {
      await action();
      reload();
    } catch (error) {
      setFailure(asApiError(error));
    } finally {
      setBusy(null);
    }
  };
  return { said, setSaid, failure, busy, act };
}
