// nango token:get <provider_config_key> <connection_id>
import type { Argv } from 'yargs';
import { sdkFromEnvironment } from '../context.js';
import { handled, printJson, type OutputOptions } from '../output.js';

export function tokenCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs.command(
    'token:get <provider_config_key> <connection_id>',
    'Print a fresh access token (refreshed first when near expiry), or the API key or username and password',
    (command) =>
      command
        .positional('provider_config_key', { type: 'string', demandOption: true, describe: 'The provider config key' })
        .positional('connection_id', { type: 'string', demandOption: true, describe: 'The connection id' })
        .option('force-refresh', { type: 'boolean', default: false, describe: 'Refresh even if the token is still fresh' })
        .example('$0 token:get github user-42', 'Print the access token of user-42'),
    handled(async (args) => {
      const sdk = await sdkFromEnvironment();
      const { connection } = await sdk.ConnectionCredentials({
        providerConfigKey: args.provider_config_key,
        connectionId: args.connection_id,
        forceRefresh: args['force-refresh'],
      });
      const { credentials } = connection;
      if (args.json) return printJson(credentials);
      switch (credentials.__typename) {
        case 'OAuth1Credentials':
          return console.log(`oauth_token:        ${credentials.oauthToken}\noauth_token_secret: ${credentials.oauthTokenSecret}`);
        case 'ApiKeyCredentials':
          return console.log(credentials.apiKey);
        case 'BasicCredentials':
          return console.log(`username: ${credentials.username}\npassword: ${credentials.password}`);
        case 'OAuth2Credentials':
        case 'AppCredentials':
          return console.log(credentials.accessToken);
        case 'ClientCredentialsToken':
          return console.log(credentials.token);
      }
    }),
  );
}
