// nango events:list | events:tail
import type { Argv } from 'yargs';
import type { EventFieldsFragment, EventsQueryVariables, Sdk } from '../../clients/generated/sdk.js';
import { sdkFromEnvironment } from '../context.js';
import { formatDate, handled, printJson, table, type OutputOptions } from '../output.js';

/** How often events:tail asks for what came since. */
const TAIL_INTERVAL_MS = 1000;

const withFilters = <T>(command: Argv<T>) =>
  command
    .option('type', { type: 'string', array: true, describe: 'Only events of these types (e.g. connection.needs_reauth); repeat for more' })
    .option('provider-config-key', { type: 'string', describe: 'Only the events of this provider config' })
    .option('connection-id', { type: 'string', describe: 'Only the events of this connection' });

function filters(args: { type?: string[] | undefined; 'provider-config-key'?: string | undefined; 'connection-id'?: string | undefined }): EventsQueryVariables {
  return { types: args.type, providerConfigKey: args['provider-config-key'], connectionId: args['connection-id'] };
}

/** What an event is about, in a few words. */
function about(event: EventFieldsFragment): string {
  const { data } = event;
  const subject = data.connectionId === null ? data.providerConfigKey : `${data.providerConfigKey} / ${data.connectionId}`;
  const detail = [data.health, data.error ? `${data.error.code}${data.error.description ? `: ${data.error.description}` : ''}` : null, data.endUser ? `end user ${data.endUser.id}` : null].filter(Boolean);
  return detail.length ? `${subject} (${detail.join(', ')})` : subject;
}

/** Events after `after` (all of them, a page at a time), and the cursor to follow from. */
async function since(sdk: Sdk, variables: EventsQueryVariables, after: string | null): Promise<{ events: EventFieldsFragment[]; cursor: string | null }> {
  const events: EventFieldsFragment[] = [];
  let cursor = after;
  for (;;) {
    const { events: page } = await sdk.Events({ ...variables, after: cursor, first: 100 });
    events.push(...page.nodes);
    cursor = page.pageInfo.endCursor ?? cursor;
    if (!page.pageInfo.hasNextPage) return { events, cursor };
  }
}

export function eventCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs
    .command(
      'events:list',
      'List the latest events (what happened to connections and provider configs), oldest first',
      (command) =>
        withFilters(command)
          .option('limit', { type: 'number', default: 50, describe: 'How many of the latest (1-100)' })
          .example('$0 events:list --type connection.needs_reauth', 'The connections whose end user had to connect again'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { events } = await sdk.Events({ ...filters(args), first: args.limit });
        if (args.json) return printJson(events.nodes);
        if (events.nodes.length === 0) return console.log('No events yet.');
        console.log(table(['TIME', 'TYPE', 'ABOUT', 'ID'], events.nodes.map((event) => [formatDate(event.createdAt), event.type, about(event), event.id])));
      }),
    )
    .command(
      'events:tail',
      'Print events as they happen (Ctrl-C to stop)',
      (command) =>
        withFilters(command)
          .option('since', { type: 'string', describe: 'Start after this event id (default: now)' })
          .example('$0 events:tail --provider-config-key github', 'Follow the GitHub connections'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const variables = filters(args);
        // From now: the cursor is the latest event's id (unfiltered, so that a quiet filter still starts now).
        let cursor = args.since ?? (await sdk.Events({ first: 1 })).events.pageInfo.endCursor;
        for (;;) {
          const next = await since(sdk, variables, cursor);
          for (const event of next.events) {
            if (args.json) process.stdout.write(`${JSON.stringify(event)}\n`);
            else console.log(`${formatDate(event.createdAt)}  ${event.type}  ${about(event)}  ${event.id}`);
          }
          cursor = next.cursor;
          await new Promise((resolve) => setTimeout(resolve, TAIL_INTERVAL_MS));
        }
      }),
    );
}
