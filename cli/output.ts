// How the CLI prints: plain tables for people, JSON for machines (--json),
// and `❌ <message>` on stderr with exit code 1 for every error; and the
// parsing of the options that take lists (scopes, name=value params).
import type { NangoError } from '../clients/node/graphql-client.js';

export interface OutputOptions {
  json: boolean;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printSuccess(message: string): void {
  process.stdout.write(`✅ ${message}\n`);
}

// By name, not instanceof: importing the class would load graphql-request into every
// command, `nango help` included (the SDK is loaded only by commands that call the server).
const isNangoError = (error: unknown): error is NangoError => error instanceof Error && error.name === 'NangoError';

export function fail(error: unknown, options: OutputOptions): never {
  const { code, message } = isNangoError(error)
    ? error
    : { code: 'cli_error', message: error instanceof Error ? error.message : String(error) };
  if (options.json) printJson({ error: { code, message } });
  process.stderr.write(`❌ ${message}\n`);
  process.exit(1);
}

/** "repo, user,,admin" → ['repo', 'user', 'admin']: scopes are comma-separated on the command line. */
export function parseScopes(value: string): string[] {
  return value
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope.length > 0);
}

export function formatDate(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Wraps a command handler so that any error it throws is reported by fail(). */
export function handled<Args extends OutputOptions>(action: (args: Args) => Promise<void>): (args: Args) => Promise<void> {
  return async (args) => {
    try {
      await action(args);
    } catch (error) {
      fail(error, args);
    }
  };
}

/** name=value options into a map; undefined when none was given (an edit then keeps the stored ones). */
export function keyValues(option: string, values: string[] | undefined): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const map: Record<string, string> = {};
  for (const item of values) {
    const index = item.indexOf('=');
    if (index <= 0) throw new Error(`--${option} takes name=value (got "${item}")`);
    map[item.slice(0, index)] = item.slice(index + 1);
  }
  return map;
}
