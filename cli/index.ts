// The `nango` command line. It talks to the server only through the generated
// GraphQL client, like any user's code would.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { configCommands } from './commands/config.js';
import { connectSessionCommands } from './commands/connect-sessions.js';
import { connectionCommands } from './commands/connections.js';
import { eventCommands } from './commands/events.js';
import { webhookCommands } from './commands/webhooks.js';
import { providerCommands } from './commands/providers.js';
import { proxyCommands } from './commands/proxy.js';
import { tokenCommands } from './commands/token.js';
import { DEFAULT_HOSTPORT } from './context.js';
import { fail } from './output.js';

const json = hideBin(process.argv).includes('--json');

const cli: Argv<{ json: boolean }> = yargs(hideBin(process.argv))
  .scriptName('nango')
  .usage('$0 <command> [options]\n\nTalks to the Nango server at NANGO_HOSTPORT (default ' + DEFAULT_HOSTPORT + '), sending NANGO_SECRET_KEY as a Bearer token when set.')
  .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output on stdout' })
  .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
  .command('help', 'Show this help', () => undefined, (): void => {
    cli.showHelp('log');
  });

proxyCommands(webhookCommands(eventCommands(connectSessionCommands(tokenCommands(connectionCommands(configCommands(providerCommands(cli))))))))
  .example([
    ['$0 providers:list git', 'Find provider templates (github, gitlab, ...)'],
    ['$0 config:create github github <client-id> <client-secret> "repo,user"', 'Register an OAuth app'],
    ['$0 config:list', 'List provider configs'],
    ['$0 config:get github', 'Show one config (never its secret)'],
    ['$0 config:edit github github <client-id> <client-secret> "repo,user,gist"', 'Replace its settings'],
    ['$0 config:delete github', 'Delete it'],
    ['$0 connection:list --provider-config-key github', 'List the connections of a config'],
    ['$0 connection:get github user-42', 'Show one connection'],
    ['$0 connection:delete github user-42', 'Delete it'],
    ['$0 token:get github user-42', 'Print a fresh access token'],
    ['$0 connect-session:create github user-42', 'Let user-42 connect GitHub: a session token and a connect URL'],
    ['$0 events:tail', 'Print events as they happen'],
    ['$0 webhook:create https://api.example.com/nango', 'Send every event to your backend, signed'],
    ['$0 proxy GET /user --config github --connection user-42', "Call the provider's API as user-42, credentials placed by the server"],
    ['$0 config:list --json', 'Any command, as JSON'],
  ])
  .demandCommand(1, 'Give a command; `nango help` lists them.')
  .recommendCommands()
  .strict()
  .help()
  .alias('help', 'h')
  .version(false)
  .wrap(process.stdout.isTTY ? Math.min(120, process.stdout.columns) : null)
  .fail((message, error, instance) => {
    if (error) fail(error, { json });
    instance.showHelp('error');
    console.error('');
    fail(new Error(message), { json });
  })
  .parseAsync()
  .catch((error: unknown) => fail(error, { json }));
