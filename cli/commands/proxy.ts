// nango proxy <method> <endpoint>: one call to a provider's API through the
// server's /proxy route, its answer's body streamed to stdout as bytes.
import { once } from 'node:events';
import type { Argv } from 'yargs';
import type { ProxyMethod } from '../../clients/node/proxy.js';
import { serverFromEnvironment } from '../context.js';
import { fail, handled, type OutputOptions } from '../output.js';

const METHODS: ProxyMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** --param name=value, repeatable: a name given twice is sent twice (`labels=a&labels=b`). */
function params(values: string[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const item of values) {
    const index = item.indexOf('=');
    if (index <= 0) throw new Error(`--param takes name=value (got "${item}")`);
    (map[item.slice(0, index)] ??= []).push(item.slice(index + 1));
  }
  return map;
}

/** --header 'Name: value', repeatable, as curl takes it. */
function headers(values: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const item of values) {
    const index = item.indexOf(':');
    if (index <= 0) throw new Error(`--header takes 'Name: value' (got "${item}")`);
    const name = item.slice(0, index).trim().toLowerCase();
    const value = item.slice(index + 1).trim();
    map[name] = map[name] === undefined ? value : `${map[name]}, ${value}`;
  }
  return map;
}

/** The body, if any: a file or standard input is streamed up as it is read, never held whole. */
async function body(args: { data: string | undefined; 'data-file': string | undefined; 'data-stdin': boolean | undefined }): Promise<string | ReadableStream<Uint8Array> | undefined> {
  if (args.data !== undefined) return args.data;
  if (args['data-file'] === undefined && !args['data-stdin']) return undefined;
  const [{ createReadStream }, { Readable }] = await Promise.all([import('node:fs'), import('node:stream')]);
  return Readable.toWeb(args['data-file'] !== undefined ? createReadStream(args['data-file']) : process.stdin) as ReadableStream<Uint8Array>;
}

export function proxyCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs.command(
    'proxy <method> <endpoint>',
    "Call the provider's API for a connection, its credentials placed by the server; prints the answer's body (exit 1 when the provider answers 4xx or 5xx)",
    (command) =>
      command
        .positional('method', { type: 'string', demandOption: true, choices: METHODS, coerce: (value: string) => value.toUpperCase() as ProxyMethod, describe: 'GET, HEAD, POST, PUT, PATCH or DELETE (any case)' })
        .positional('endpoint', { type: 'string', demandOption: true, describe: "The provider's path, e.g. /user/repos (may carry a query)" })
        .option('config', { type: 'string', demandOption: true, describe: 'The provider config key' })
        .option('connection', { type: 'string', demandOption: true, describe: 'The connection id' })
        .option('param', { type: 'string', array: true, default: [], describe: 'A query parameter, as name=value (repeatable)' })
        .option('header', { type: 'string', array: true, default: [], describe: "A header for the provider, as 'Name: value' (repeatable)" })
        .option('data', { type: 'string', describe: 'The body, as given' })
        .option('data-file', { type: 'string', describe: 'The body, read from this file as it is sent' })
        .option('data-stdin', { type: 'boolean', describe: 'The body, read from standard input as it is sent' })
        .conflicts({ data: ['data-file', 'data-stdin'], 'data-file': 'data-stdin' })
        .option('retries', { type: 'string', describe: 'Wait out a 429 or 503, or retry a network failure, up to N times (0-10)' })
        .option('base-url-override', { type: 'string', describe: "Another base URL (its host must be in the config's proxy allowed hosts)" })
        .option('include', { alias: 'i', type: 'boolean', default: false, describe: 'Print the status line and headers on stderr first' })
        .example('$0 proxy GET /user --config github --connection user-42', "Print user-42's GitHub profile")
        .example('$0 proxy POST /repos/o/r/issues --config github --connection user-42 --data \'{"title":"Hi"}\' --header "Content-Type: application/json"', 'Open an issue'),
    handled(async (args) => {
      let retries: number | undefined;
      if (args.retries !== undefined) {
        if (!/^\d+$/.test(args.retries)) throw new Error(`--retries takes a whole number (got "${args.retries}")`);
        retries = Number(args.retries);
      }
      // Loaded here, not at the top: every command's module is loaded for `nango help`, which needs none of them.
      const [{ proxyCall }, { STATUS_CODES }] = await Promise.all([import('../../clients/node/proxy.js'), import('node:http')]);
      let answer;
      try {
        answer = await proxyCall<ReadableStream<Uint8Array>>(serverFromEnvironment(), {
          method: args.method,
          endpoint: args.endpoint,
          providerConfigKey: args.config,
          connectionId: args.connection,
          params: params(args.param),
          headers: headers(args.header),
          data: await body(args),
          retries,
          baseUrlOverride: args['base-url-override'],
          responseType: 'stream',
        });
      } catch (error) {
        // Both a refusal of the server and a provider's 4xx exit 1: the code tells a script which it was.
        if (!args.json && error instanceof Error && error.name === 'NangoError') fail(new Error(`${(error as Error & { code: string }).code}: ${error.message}`), args);
        throw error;
      }
      if (args.include) {
        const lines = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`.trimEnd()];
        answer.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
        process.stderr.write(`${lines.join('\n')}\n\n`);
      }
      for await (const chunk of answer.data as unknown as AsyncIterable<Uint8Array>) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      }
      // Not process.exit(): stdout may still be flushing to a pipe.
      process.exitCode = answer.status >= 400 ? 1 : 0;
    }),
  );
}
