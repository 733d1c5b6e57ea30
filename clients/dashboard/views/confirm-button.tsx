// A button for what cannot be undone: the first press asks, in the page (no
// window.confirm, which a screen reader user may miss), what it will do;
// the second does it. Escape or Cancel goes back.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export function ConfirmButton({ label, question, confirmLabel, onConfirm, busy }: { label: string; question: ComponentChildren; confirmLabel: string; onConfirm: () => void; busy?: boolean }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="quiet" ref={opener} onClick={() => setAsking(true)} disabled={busy}>
        {label}
      </button>
    );
  }
  const cancel = () => {
    setAsking(false);
    requestAnimationFrame(() => opener.current?.focus());
  };
  return (
    <div class="confirm" role="group" aria-label={label} onKeyDown={(event) => event.key === 'Escape' && cancel()}>
      <p>{question}</p>
      <button type="button" class="danger" ref={confirm} onClick={() => onConfirm()} disabled={busy}>
        {confirmLabel}
      </button>
      <button type="button" class="quiet" onClick={cancel}>
        Cancel
      </button>
    </div>
  );
}
