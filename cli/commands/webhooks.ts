// nango webhook:create | webhook:list | webhook:delete | webhook:rotate-secret
import type { Argv } from 'yargs';
import { sdkFromEnvironment } from '../context.js';
import { formatDate, handled, printJson, printSuccess, table, type OutputOptions } from '../output.js';

const withId = <T>(command: Argv<T>) => command.positional('id', { type: 'string', demandOption: true, describe: 'The endpoint id (whe_…)' });

/** Said with every secret shown: there is no second chance to copy it. */
const KEEP_IT = 'Keep this secret: it is shown only now, and verifies every delivery (webhook-signature).';

export function webhookCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs
    .command(
      'webhook:create <url>',
      'Send events to a URL, signed (Standard Webhooks)',
      (command) =>
        command
          .positional('url', { type: 'string', demandOption: true, describe: 'https://… where your backend receives events' })
          .option('event', { type: 'string', array: true, describe: 'Only these event types (e.g. connection.created); repeat for more. Default: every type' })
          .option('description', { type: 'string', describe: 'What it is for' })
          .example('$0 webhook:create https://api.example.com/nango --event connection.created --event connection.needs_reauth', 'Hear of new connections and those that need their user'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { createWebhookEndpoint: endpoint } = await sdk.CreateWebhookEndpoint({ input: { url: args.url, events: args.event ?? [], description: args.description } });
        if (args.json) return printJson(endpoint);
        printSuccess(`Webhook endpoint ${endpoint.id} created for ${endpoint.url} (${endpoint.events.length ? endpoint.events.join(', ') : 'every event type'}).`);
        console.log(`secret: ${endpoint.secret}\n${KEEP_IT}`);
      }),
    )
    .command(
      'webhook:list',
      'List the webhook endpoints (never their secrets)',
      () => undefined,
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { webhookEndpoints } = await sdk.WebhookEndpoints();
        if (args.json) return printJson(webhookEndpoints);
        if (webhookEndpoints.length === 0) return console.log('No webhook endpoints yet: nango webhook:create <url>.');
        console.log(
          table(
            ['ID', 'URL', 'EVENTS', 'STATE', 'CREATED'],
            webhookEndpoints.map((endpoint) => [
              endpoint.id,
              endpoint.url,
              endpoint.events.length ? endpoint.events.join(',') : '(all)',
              endpoint.enabled ? 'enabled' : `disabled: ${endpoint.disabledReason ?? ''}`,
              formatDate(endpoint.createdAt),
            ]),
          ),
        );
      }),
    )
    .command(
      'webhook:delete <id>',
      'Delete a webhook endpoint (its pending deliveries go with it)',
      (command) => withId(command),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        await sdk.DeleteWebhookEndpoint({ id: args.id });
        if (args.json) return printJson({ id: args.id, deleted: true });
        printSuccess(`Webhook endpoint ${args.id} deleted.`);
      }),
    )
    .command(
      'webhook:rotate-secret <id>',
      'Give an endpoint a new secret (deliveries are signed with it from now on)',
      (command) => withId(command),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { rotateWebhookSecret: endpoint } = await sdk.RotateWebhookSecret({ id: args.id });
        if (args.json) return printJson(endpoint);
        printSuccess(`Webhook endpoint ${endpoint.id} has a new secret.`);
        console.log(`secret: ${endpoint.secret}\n${KEEP_IT}`);
      }),
    );
}
