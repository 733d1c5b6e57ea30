// nango connect-session:create <provider_config_key> <connection_id>
import type { Argv } from 'yargs';
import { sdkFromEnvironment } from '../context.js';
import { formatDate, handled, keyValues, printJson, type OutputOptions } from '../output.js';

export function connectSessionCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs.command(
    'connect-session:create <provider_config_key> <connection_id>',
    'Let one end user authorize one connection: prints a session token and a connect URL (valid 30 minutes, used once)',
    (command) =>
      command
        .positional('provider_config_key', { type: 'string', demandOption: true, describe: 'The provider config key' })
        .positional('connection_id', { type: 'string', demandOption: true, describe: 'The connection the flow writes' })
        .option('end-user-id', { type: 'string', describe: 'Your id for the end user' })
        .option('end-user-email', { type: 'string', describe: "The end user's email" })
        .option('end-user-name', { type: 'string', describe: "The end user's display name" })
        .option('param', { type: 'string', array: true, default: [], describe: 'A connection param the browser cannot change, as name=value (repeatable)' })
        .example('$0 connect-session:create zendesk user-42 --param subdomain=acme', 'Invite user-42 to connect the acme Zendesk'),
    handled(async (args) => {
      if ((args['end-user-email'] !== undefined || args['end-user-name'] !== undefined) && args['end-user-id'] === undefined) {
        throw new Error('--end-user-email and --end-user-name need --end-user-id');
      }
      const sdk = await sdkFromEnvironment();
      const { createConnectSession: session } = await sdk.CreateConnectSession({
        input: {
          providerConfigKey: args.provider_config_key,
          connectionId: args.connection_id,
          endUser: args['end-user-id'] === undefined ? null : { id: args['end-user-id'], email: args['end-user-email'] ?? null, displayName: args['end-user-name'] ?? null },
          params: args.param.length > 0 ? keyValues('param', args.param) : null,
        },
      });
      if (args.json) return printJson(session);
      console.log(`token:       ${session.token}\nexpires:     ${formatDate(session.expiresAt)}\nconnect URL: ${session.connectUrl}`);
    }),
  );
}
