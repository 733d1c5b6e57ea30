// nango providers:list [search] [--auth-mode api_key] [--category crm]
import type { Argv } from 'yargs';
import type { AuthMode, ProviderCategory } from '../../clients/generated/sdk.js';
import { sdkFromEnvironment } from '../context.js';
import { handled, printJson, table, type OutputOptions } from '../output.js';

export function providerCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs.command(
    'providers:list [search]',
    'List the provider templates of the catalog',
    (command) =>
      command
        .positional('search', { type: 'string', describe: 'Only templates whose name or display name contains this' })
        // The server knows the modes and categories: a wrong one is refused by the schema, naming the allowed values.
        .option('auth-mode', { type: 'string', describe: 'Only templates of this auth mode: oauth2, oauth1, api_key, basic, oauth2_cc or app' })
        .option('category', { type: 'string', describe: 'Only templates of this category (crm, support, accounting, dev-tools, ...)' })
        .example('$0 providers:list google', 'Show the Google templates')
        .example('$0 providers:list --auth-mode api_key --category crm', 'CRMs that take an API key'),
    handled(async (args) => {
      const sdk = await sdkFromEnvironment();
      const { providers } = await sdk.Providers({
        search: args.search,
        authMode: args.authMode ? (args.authMode.toUpperCase() as AuthMode) : undefined,
        category: args.category ? categoryEnum(args.category) : undefined,
      });
      if (args.json) return printJson(providers);
      if (providers.length === 0) {
        console.log('No provider template matches.');
        return;
      }
      console.log(
        table(
          ['NAME', 'DISPLAY NAME', 'AUTH', 'CATEGORY', 'PARAMS', 'DOCS'],
          providers.map((provider) => [
            provider.name,
            provider.displayName,
            provider.authMode,
            provider.category.toLowerCase().replace(/_/g, '-'),
            // Config params are set with --param on config:create, never by the end user.
            [...provider.connectionParams, ...provider.configParams.map((name) => `${name} (config)`)].join(',') || '-',
            provider.docsUrl ?? '-',
          ]),
        ),
      );
    }),
  );
}

/** The GraphQL enum value of a catalog category (dev-tools is DEV_TOOLS). */
function categoryEnum(category: string): ProviderCategory {
  return category.toUpperCase().replace(/-/g, '_') as ProviderCategory;
}
