// The form parts the configs and connections views share: a labelled field
// whose error is announced and tied to it, a value to copy, and a short
// message that says what an action did.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.js';

export interface FieldProps {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  hint?: ComponentChildren;
  /** The error the service gave for this field, if any. */
  error?: string | null;
  required?: boolean;
  type?: 'text' | 'password' | 'url' | 'email' | 'search';
  multiline?: boolean;
  autocomplete?: string;
  placeholder?: string;
}

/** A label, the input, its hint and its error, the last two read out with the input (aria-describedby). */
export function Field({ id, label, value, onInput, hint, error, required, type = 'text', multiline, autocomplete = 'off', placeholder }: FieldProps) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: id,
    value,
    required,
    placeholder,
    autocomplete,
    spellcheck: false,
    'aria-describedby': described,
    'aria-invalid': error ? ('true' as const) : undefined,
    onInput: (event: Event) => onInput((event.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>
        {label}
        {required && <span class="required"> (required)</span>}
      </label>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {multiline ? <textarea rows={6} {...common} /> : <input type={type} {...common} />}
      {error && (
        <p id={`${id}-error`} class="error field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function Select({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: Option[]; onChange: (value: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={id} value={value} onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A value shown in full in a read-only input (selectable, scrollable), with a button that copies it. */
export function CopyValue({ id, label, value }: { id: string; label: string; value: string }) {
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null);
  return (
    <div class="field copy">
      <label for={id}>{label}</label>
      <div class="copy-row">
        <input id={id} type="text" readOnly value={value} onFocus={(event) => (event.currentTarget as HTMLInputElement).select()} />
        <button
          type="button"
          class="quiet"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied('copied');
            } catch {
              // No clipboard permission (plain http on another host): the text is selected for Ctrl+C.
              (document.getElementById(id) as HTMLInputElement | null)?.select();
              setCopied('failed');
            }
          }}
        >
          Copy<span class="visually-hidden"> {label.toLowerCase()}</span>
        </button>
      </div>
      <p class="hint" role="status">
        {copied === 'copied' ? 'Copied.' : copied === 'failed' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
      </p>
    </div>
  );
}

/** What an action did, announced politely; or what went wrong, as an alert. */
export type Outcome = { kind: 'done'; message: ComponentChildren } | { kind: 'failed'; error: ApiError } | null;

export function OutcomeMessage({ outcome, id }: { outcome: Outcome; id?: string }) {
  if (!outcome) return null;
  if (outcome.kind === 'done') {
    return (
      <p id={id} class="done" role="status">
        {outcome.message}
      </p>
    );
  }
  return (
    <p id={id} class="error" role="alert">
      {outcome.error.message} <span class="code">({outcome.error.code})</span>
    </p>
  );
}

/** The value `delay` ms after it last changed (a search box asks once the typing pauses). */
export function useDebounced<T>(value: T, delay = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** The error of one field of a failed call (the service names the field it refused), else null. */
export function fieldError(error: ApiError | null, field: string): string | null {
  return error && error.field === field ? error.message : null;
}
