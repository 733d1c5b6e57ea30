// Deleting a provider config, in two steps: the first says what goes with it
// (its connections, counted by the API), the second does it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api.js';
import { asApiError } from './common.js';

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function DeleteConfig({ configKey, connectionCount, onDeleted, onFailed }: { configKey: string; connectionCount: number; onDeleted: () => void; onFailed: (error: ApiError) => void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  // The question replaces the button that asked it: focus goes to its answer, and back when it is kept.
  useEffect(() => {
    if (asking) confirm.current?.focus();
    else if (asked.current) ask.current?.focus();
    asked.current = asking;
  }, [asking]);
  const id = `delete-${configKey.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  if (!asking) {
    return (
      <button type="button" class="quiet danger" ref={ask} onClick={() => setAsking(true)}>
        Delete…<span class="visually-hidden"> {configKey}</span>
      </button>
    );
  }
  return (
    <div class="confirm" role="group" aria-labelledby={`${id}-what`}>
      <p id={`${id}-what`}>
        Deleting <strong>{configKey}</strong> also deletes its {plural(connectionCount, 'connection')} (their credentials are gone; grants are not revoked at the provider) and pending connect sessions.
      </p>
      <button
        type="button"
        class="danger"
        disabled={busy}
        ref={confirm}
        onClick={async () => {
          setBusy(true);
          try {
            await api.DeleteProviderConfig({ key: configKey });
            onDeleted();
          } catch (error) {
            onFailed(asApiError(error));
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        Delete {configKey} and {plural(connectionCount, 'connection')}
      </button>{' '}
      <button type="button" class="quiet" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </div>
  );
}
