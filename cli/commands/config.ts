// nango config:list | config:get | config:create | config:edit | config:delete
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { ProviderConfigFieldsFragment } from '../../clients/generated/sdk.js';
import { sdkFromEnvironment } from '../context.js';
import { formatDate, handled, keyValues, parseScopes, printJson, printSuccess, table, type OutputOptions } from '../output.js';

interface ConfigArgs extends OutputOptions {
  key: string;
  provider: string;
  client_id?: string;
  client_secret?: string;
  scopes?: string;
  'app-id'?: string;
  'private-key-file'?: string;
  'base-url'?: string;
  'proxy-allowed-host'?: string[];
  'api-key-header'?: string;
  'api-key-query'?: string;
  'api-key-format'?: string;
  'authorization-url'?: string;
  'token-url'?: string;
  issuer?: string;
  param?: string[];
  'authorization-param'?: string[];
  'token-param'?: string[];
}

const withConfigArgs = (yargs: Argv<OutputOptions>) =>
  yargs
    .positional('key', { type: 'string', demandOption: true, describe: 'Your unique key for this config, e.g. github' })
    .positional('provider', { type: 'string', demandOption: true, describe: 'A template name from `nango providers:list`' })
    .positional('client_id', { type: 'string', describe: "The OAuth app's client id (OAuth 2, OAuth 1.0a and client credentials templates)" })
    .positional('client_secret', { type: 'string', describe: "The OAuth app's client secret (never printed)" })
    .positional('scopes', { type: 'string', describe: 'Comma-separated scopes, e.g. "repo,user"' })
    .option('app-id', { type: 'string', describe: 'GitHub App templates: the App ID' })
    .option('private-key-file', { type: 'string', describe: "GitHub App templates: the app's private key file (.pem)" })
    .option('base-url', { type: 'string', describe: 'Where the API is called (required for custom-api-key and custom-basic)' })
    .option('proxy-allowed-host', {
      type: 'string',
      array: true,
      describe: "A host (host or host:port) besides the base URL's that /proxy may send this config's credentials to, when a call names it with Base-Url-Override. Repeatable",
    })
    .option('api-key-header', { type: 'string', describe: 'custom-api-key: the header the API takes its key in, e.g. X-API-Key (default: Authorization: Bearer)' })
    .option('api-key-query', { type: 'string', describe: 'custom-api-key: the query parameter the API takes its key in, e.g. api_key' })
    .option('api-key-format', { type: 'string', describe: 'custom-api-key: the value sent, ${apiKey} standing for the key, e.g. "Token ${apiKey}" (default "${apiKey}")' })
    .conflicts('api-key-header', 'api-key-query')
    .option('authorization-url', { type: 'string', describe: 'Authorization endpoint (required for the custom template)' })
    .option('token-url', { type: 'string', describe: 'Token endpoint (required for the custom template)' })
    .option('issuer', { type: 'string', describe: 'OpenID issuer URL (required for the oidc template)' })
    .option('param', {
      type: 'string',
      array: true,
      describe: 'A connection param only you may set, as name=value, e.g. hostname=gitlab.example.com (gitlab-self-managed, keycloak, jira-data-center). Repeatable',
    })
    .option('authorization-param', { type: 'string', array: true, describe: 'An extra authorization request param, as name=value, e.g. prompt=consent. Repeatable' })
    .option('token-param', { type: 'string', array: true, describe: 'An extra token request param, as name=value, e.g. audience=api. Repeatable' });

function describeConfig(config: ProviderConfigFieldsFragment): string {
  return [
    `key:               ${config.key}`,
    `provider:          ${config.provider}`,
    `auth mode:         ${config.authMode}`,
    ...(config.clientId ? [`client id:         ${config.clientId}`] : []),
    ...(config.appId ? [`app id:            ${config.appId}`] : []),
    ...(config.baseUrl ? [`base url:          ${config.baseUrl}`] : []),
    ...(config.proxyAllowedHosts.length ? [`proxy hosts:       ${config.proxyAllowedHosts.join(', ')}`] : []),
    ...(config.apiKeyPlacement ? [`api key:           ${config.apiKeyPlacement.in} ${config.apiKeyPlacement.name}: ${config.apiKeyPlacement.format}`] : []),
    `scopes:            ${config.scopes.join(',')}`,
    `authorization url: ${config.authorizationUrl ?? '-'}`,
    `token url:         ${config.tokenUrl ?? '-'}`,
    ...(config.issuer ? [`issuer:            ${config.issuer}`] : []),
    ...pairs('params:           ', config.params),
    ...pairs('authorization params:', config.authorizationParams),
    ...pairs('token params:     ', config.tokenParams),
    `created:           ${formatDate(config.createdAt)}`,
    `updated:           ${formatDate(config.updatedAt)}`,
  ].join('\n');
}

function pairs(label: string, map: Record<string, string>): string[] {
  const entries = Object.entries(map);
  return entries.length ? [`${label} ${entries.map(([name, value]) => `${name}=${value}`).join(', ')}`] : [];
}

function inputFrom(args: ConfigArgs) {
  return {
    key: args.key,
    provider: args.provider,
    clientId: args.client_id,
    clientSecret: args.client_secret,
    scopes: args.scopes === undefined ? undefined : parseScopes(args.scopes),
    appId: args['app-id'],
    privateKey: args['private-key-file'] === undefined ? undefined : readFileSync(args['private-key-file'], 'utf8'),
    baseUrl: args['base-url'],
    proxyAllowedHosts: args['proxy-allowed-host'],
    apiKeyPlacement: apiKeyPlacementFrom(args),
    authorizationUrl: args['authorization-url'],
    tokenUrl: args['token-url'],
    issuer: args.issuer,
    params: keyValues('param', args.param),
    authorizationParams: keyValues('authorization-param', args['authorization-param']),
    tokenParams: keyValues('token-param', args['token-param']),
  };
}

function apiKeyPlacementFrom(args: ConfigArgs) {
  const name = args['api-key-header'] ?? args['api-key-query'];
  if (name === undefined) return undefined;
  return { in: args['api-key-header'] !== undefined ? 'header' : 'query', name, format: args['api-key-format'] };
}

export function configCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs
    .command(
      'config:list',
      'List the provider configs',
      (command) => command.example('$0 config:list', 'Show every provider config'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { providerConfigs } = await sdk.ProviderConfigs();
        if (args.json) return printJson(providerConfigs);
        if (providerConfigs.length === 0) {
          console.log('No provider configs yet. Create one with: nango config:create <key> <provider> <client_id> <client_secret> <scopes>');
          return;
        }
        console.log(
          table(
            ['KEY', 'PROVIDER', 'SCOPES', 'CREATED'],
            providerConfigs.map((config) => [config.key, config.provider, config.scopes.join(','), formatDate(config.createdAt)]),
          ),
        );
      }),
    )
    .command(
      'config:get <key>',
      'Show one provider config (never its client secret)',
      (command) =>
        command
          .positional('key', { type: 'string', demandOption: true, describe: 'The config key' })
          .example('$0 config:get github', 'Show the config with key github'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { providerConfig } = await sdk.ProviderConfig({ key: args.key });
        if (args.json) return printJson(providerConfig);
        console.log(describeConfig(providerConfig));
      }),
    )
    .command(
      'config:create <key> <provider> [client_id] [client_secret] [scopes]',
      'Create a provider config',
      (command) =>
        withConfigArgs(command)
          .example('$0 config:create github github <client-id> <client-secret> "repo,user"', 'Register a GitHub OAuth app under the key github')
          .example(
            '$0 config:create gitlab gitlab-self-managed <client-id> <client-secret> "read_user" --param hostname=gitlab.example.com',
            'A self-managed GitLab: its host is set here, never by the end user',
          )
          .example('$0 config:create openai openai', 'An API key template: each connection holds its own key')
          .example('$0 config:create github-app github-app --app-id 12345 --private-key-file app.pem', 'A GitHub App'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { createProviderConfig } = await sdk.CreateProviderConfig({ input: inputFrom(args as ConfigArgs) });
        if (args.json) return printJson(createProviderConfig);
        printSuccess(`Provider config "${createProviderConfig.key}" created (provider ${createProviderConfig.provider}, scopes ${createProviderConfig.scopes.join(',') || 'none'}).`);
      }),
    )
    .command(
      'config:edit <key> <provider> [client_id] [client_secret] [scopes]',
      'Replace the settings of a provider config',
      (command) =>
        withConfigArgs(command).example(
          '$0 config:edit github github <client-id> <new-client-secret> "repo,user,gist"',
          'Change the secret and scopes of the github config',
        ),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { updateProviderConfig } = await sdk.UpdateProviderConfig({ input: inputFrom(args as ConfigArgs) });
        if (args.json) return printJson(updateProviderConfig);
        printSuccess(`Provider config "${updateProviderConfig.key}" updated.`);
      }),
    )
    .command(
      'config:delete <key>',
      'Delete a provider config',
      (command) =>
        command
          .positional('key', { type: 'string', demandOption: true, describe: 'The config key' })
          .example('$0 config:delete github', 'Delete the config with key github'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        await sdk.DeleteProviderConfig({ key: args.key });
        if (args.json) return printJson({ key: args.key, deleted: true });
        printSuccess(`Provider config "${args.key}" deleted.`);
      }),
    );
}
