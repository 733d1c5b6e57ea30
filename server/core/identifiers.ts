// Config keys and connection ids as they arrive from any face: bounded in
// length, free of control characters (Postgres text cannot hold NUL at all);
// and provider-sent text, before it is shown to people.
import { invalidInput } from './errors.js';

export const MAX_IDENTIFIER = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

export function checkIdentifier(field: string, value: string): void {
  if (value.length === 0) throw invalidInput(field, 'must not be empty');
  if (value.length > MAX_IDENTIFIER) throw invalidInput(field, `must be at most ${MAX_IDENTIFIER} characters`);
  if (hasControlCharacters(value)) throw invalidInput(field, 'must not contain control characters');
}

/** Provider-sent text (error codes, descriptions) made short and printable. */
export function clip(text: string, max = 300): string {
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

export function checkConnectionIdentity(providerConfigKey: string, connectionId: string): void {
  checkIdentifier('providerConfigKey', providerConfigKey);
  checkIdentifier('connectionId', connectionId);
}
