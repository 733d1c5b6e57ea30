// Config keys and connection ids as they arrive from any face: bounded in
// length, free of control characters (Postgres text cannot hold NUL at all);
// and provider-sent text, before it is shown to people.
import { PARAM_NAME } from '../providers/connection-params.js';
import { AppError, invalidInput } from './errors.js';

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

const MAX_PARAMS = 20;
const MAX_PARAM_VALUE = 255;

/** Connection params (`params[name]=value`, or a connect session's): a few, named like identifiers, short and printable. */
export function checkParams(params: Record<string, string>, details: Record<string, string> = {}): void {
  const entries = Object.entries(params);
  if (entries.length > MAX_PARAMS) throw new AppError('invalid_input', `params: at most ${MAX_PARAMS} connection params`, { ...details, field: 'params' });
  for (const [name, value] of entries) {
    if (!PARAM_NAME.test(name)) throw new AppError('invalid_input', `params[${clip(name, 64)}]: not a valid param name`, { ...details, field: 'params' });
    if (typeof value !== 'string' || value.length > MAX_PARAM_VALUE || hasControlCharacters(value)) {
      throw new AppError('invalid_input', `params[${name}]: must be at most ${MAX_PARAM_VALUE} printable characters`, { ...details, field: `params[${name}]` });
    }
  }
}

export function checkConnectionId(connectionId: string, details: Record<string, string> = {}): void {
  if (connectionId.trim() === '') throw new AppError('missing_connection_id', 'Give the connection id as ?connection_id=<id>.', details);
  checkIdentifier('connection_id', connectionId);
}
