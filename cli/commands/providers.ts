// nango providers:list [search]
import type { Argv } from 'yargs';
import { sdkFromEnvironment } from '../context.js';
import { handled, printJson, table, type OutputOptions } from '../output.js';

export function providerCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs.command(
    'providers:list [search]',
    'List the provider templates of the catalog',
    (command) =>
      command
        .positional('search', { type: 'string', describe: 'Only templates whose name or display name contains this' })
        .example('$0 providers:list google', 'Show the Google templates'),
    handled(async (args) => {
      const sdk = await sdkFromEnvironment();
      const { providers } = await sdk.Providers({ search: args.search });
      if (args.json) return printJson(providers);
      if (providers.length === 0) {
        console.log(`No provider template matches "${args.search}".`);
        return;
      }
      console.log(
        table(
          ['NAME', 'DISPLAY NAME', 'AUTH', 'PARAMS', 'DOCS'],
          providers.map((provider) => [
            provider.name,
            provider.displayName,
            provider.authMode,
            // Config params are set with --param on config:create, never by the end user.
            [...provider.connectionParams, ...provider.configParams.map((name) => `${name} (config)`)].join(',') || '-',
            provider.docsUrl ?? '-',
          ]),
        ),
      );
    }),
  );
}
