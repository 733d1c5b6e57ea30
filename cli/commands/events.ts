// nango events:list | events:tail
import type { Argv } from 'yargs';
import type { EventFieldsFragment, EventsQueryVariables, Sdk } from '../../clients/generated/sdk.js';
import { sdkFromEnvironment } from '../context.js';
import { formatDate, handled, printJson, table, type OutputOptions } from '../output.js';

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
      'Print events as they happen on any instance (Ctrl-C to stop)',
      (command) => withFilters(command).example('$0 events:tail --provider-config-key github', 'Follow the GitHub connections'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const variables = filters(args);
        const print = (event: EventFieldsFragment) => {
          if (args.json) process.stdout.write(`${JSON.stringify(event)}\n`);
          else console.log(`${formatDate(event.createdAt)}  ${event.type}  ${about(event)}  ${event.id}`);
        };
        let last: string | null = null;
        for (;;) {
          try {
            for await (const { connectionEvents: event } of sdk.ConnectionEvents(variables)) {
              print(event);
              last = event.id;
            }
            return;
          } catch (error) {
            // Fallen behind: what was missed is in the list, then the subscription again.
            if ((error as { code?: string }).code !== 'subscriber_too_slow' || last === null) throw error;
            const missed = await since(sdk, variables, last);
            missed.events.forEach(print);
            last = missed.cursor;
          }
        }
      }),
    );
}
