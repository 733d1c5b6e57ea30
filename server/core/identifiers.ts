// Config keys and connection ids as they arrive from any face: bounded in
// length, free of control characters (Postgres text cannot hold NUL at all).
import { invalidInput } from './errors.js';

export const MAX_IDENTIFIER = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function checkIdentifier(field: string, value: string): void {
  if (value.length === 0) throw invalidInput(field, 'must not be empty');
  if (value.length > MAX_IDENTIFIER) throw invalidInput(field, `must be at most ${MAX_IDENTIFIER} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw invalidInput(field, 'must not contain control characters');
}

export function checkConnectionIdentity(providerConfigKey: string, connectionId: string): void {
  checkIdentifier('providerConfigKey', providerConfigKey);
  checkIdentifier('connectionId', connectionId);
}
