// nango connection:list | connection:get | connection:create | connection:delete
import type { Argv } from 'yargs';
import type { ConnectionFieldsFragment, ConnectionHealthStatus } from '../../clients/generated/sdk.js';
import { sdkFromEnvironment } from '../context.js';
import { formatDate, handled, keyValues, printJson, printSuccess, table, type OutputOptions } from '../output.js';

const PAGE = 100;

/** Every status, by the schema's enum (the compiler holds this list to it). */
const HEALTH_STATUSES = Object.keys({ HEALTHY: true, REFRESH_FAILING: true, NEEDS_REAUTH: true } satisfies Record<ConnectionHealthStatus, true>) as ConnectionHealthStatus[];

/** --health needs_reauth (any case) → NEEDS_REAUTH. */
function healthOption(value: string): ConnectionHealthStatus {
  const status = HEALTH_STATUSES.find((each) => each === value.toUpperCase());
  if (!status) throw new Error(`--health must be one of ${HEALTH_STATUSES.map((each) => each.toLowerCase()).join(', ')}`);
  return status;
}

function describeHealth({ health }: ConnectionFieldsFragment): string {
  const why = health.code ? ` (${health.code}${health.description ? `: ${health.description}` : ''})` : '';
  const next = health.nextAttemptAt ? `, next attempt ${formatDate(health.nextAttemptAt)}` : '';
  return `${health.status} since ${formatDate(health.since)}${why}${next}`;
}

function describeConnection(connection: ConnectionFieldsFragment): string {
  return [
    `connection id:       ${connection.connectionId}`,
    `provider config key: ${connection.providerConfigKey}`,
    `provider:            ${connection.provider}`,
    `connection config:   ${JSON.stringify(connection.connectionConfig)}`,
    `metadata:            ${JSON.stringify(connection.metadata)}`,
    `created:             ${formatDate(connection.createdAt)}`,
    `updated:             ${formatDate(connection.updatedAt)}`,
    `health:              ${describeHealth(connection)}`,
  ].join('\n');
}

const withIdentity = <T>(command: Argv<T>) =>
  command
    .positional('provider_config_key', { type: 'string', demandOption: true, describe: 'The provider config key' })
    .positional('connection_id', { type: 'string', demandOption: true, describe: 'The connection id' });

/** A secret given on standard input (as `docker login --password-stdin`), so that it stays out of the shell history. */
async function secretOption(value: string | undefined, fromStdin: boolean | undefined): Promise<string | undefined> {
  if (!fromStdin) return value;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function connectionCommands(yargs: Argv<OutputOptions>): Argv<OutputOptions> {
  return yargs
    .command(
      'connection:create <provider_config_key> <connection_id>',
      "Store a connection from an API key, a username and password, or a GitHub App installation; client credentials connections get their token at once",
      (command) =>
        withIdentity(command)
          .option('api-key', { type: 'string', describe: 'API_KEY templates: the key' })
          .option('api-key-stdin', { type: 'boolean', describe: 'Read the API key from standard input (keeps it out of the shell history)' })
          .option('username', { type: 'string', describe: 'BASIC templates' })
          .option('password', { type: 'string', describe: 'BASIC templates' })
          .option('password-stdin', { type: 'boolean', describe: 'Read the password from standard input' })
          .conflicts('api-key', 'api-key-stdin')
          .conflicts('password', 'password-stdin')
          .option('installation-id', { type: 'string', describe: "APP templates: the installation's id" })
          .option('param', { type: 'string', array: true, describe: 'A connection param the template needs, as name=value, e.g. subdomain=acme. Repeatable' })
          .example('echo "$OPENAI_KEY" | $0 connection:create openai user-42 --api-key-stdin', 'Store user-42\'s OpenAI key (checked with the API first)')
          .example('$0 connection:create jira-api-token user-42 --username me@example.com --password-stdin --param subdomain=acme', 'Basic credentials for acme.atlassian.net')
          .example('$0 connection:create github-app acme --installation-id 123456', 'A GitHub App installation'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { createConnection } = await sdk.CreateConnection({
          input: {
            providerConfigKey: args.provider_config_key,
            connectionId: args.connection_id,
            apiKey: await secretOption(args['api-key'], args['api-key-stdin']),
            username: args.username,
            password: await secretOption(args.password, args['password-stdin']),
            installationId: args['installation-id'],
            params: keyValues('param', args.param),
          },
        });
        if (args.json) return printJson(createConnection);
        printSuccess(`Stored connection "${createConnection.connectionId}" for provider config "${createConnection.providerConfigKey}".`);
      }),
    )
    .command(
      'connection:list',
      'List the connections, newest first',
      (command) =>
        command
          .option('provider-config-key', { type: 'string', describe: 'Only the connections of this provider config' })
          .option('health', { type: 'string', coerce: healthOption, describe: 'Only the connections in this health: healthy, refresh_failing or needs_reauth' })
          .example('$0 connection:list --provider-config-key github', 'List the GitHub connections')
          .example('$0 connection:list --health needs_reauth', 'List the connections whose end user must connect again'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const connections: ConnectionFieldsFragment[] = [];
        let after: string | undefined;
        // Every page: the CLI shows the whole list, the API hands it out 100 at a time.
        for (;;) {
          const { connections: page } = await sdk.Connections({ providerConfigKey: args['provider-config-key'], health: args.health, first: PAGE, after });
          connections.push(...page.nodes);
          if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
          after = page.pageInfo.endCursor;
        }
        if (args.json) return printJson(connections);
        if (connections.length === 0) {
          if (args.health) console.log(`No connections are ${args.health}.`);
          else console.log('No connections yet. Your users create them through the frontend SDK: nango.auth(<config key>, <connection id>).');
          return;
        }
        console.log(
          table(
            ['CONNECTION ID', 'PROVIDER CONFIG KEY', 'PROVIDER', 'HEALTH', 'CREATED'],
            connections.map((connection) => [connection.connectionId, connection.providerConfigKey, connection.provider, connection.health.status, formatDate(connection.createdAt)]),
          ),
        );
      }),
    )
    .command(
      'connection:get <provider_config_key> <connection_id>',
      'Show one connection (not its tokens)',
      (command) => withIdentity(command).example('$0 connection:get github user-42', 'Show the GitHub connection of user-42'),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const { connection } = await sdk.Connection({ providerConfigKey: args.provider_config_key, connectionId: args.connection_id });
        if (args.json) return printJson(connection);
        console.log(describeConnection(connection));
      }),
    )
    .command(
      'connection:delete <provider_config_key> <connection_id>',
      'Delete a connection and its tokens',
      (command) =>
        withIdentity(command)
          .option('revoke', { type: 'boolean', default: false, describe: "Revoke the grant at the provider first; if that fails, the connection is kept" })
          .option('force', { type: 'boolean', default: false, describe: 'With --revoke: delete even if the revocation fails (the failure is reported)' })
          .check((args) => {
            if (args.force && !args.revoke) throw new Error('--force applies only with --revoke.');
            return true;
          })
          .example('$0 connection:delete github user-42', 'Forget the GitHub connection of user-42')
          .example('$0 connection:delete google user-42 --revoke', "Revoke user-42's Google grant, then forget the connection"),
      handled(async (args) => {
        const sdk = await sdkFromEnvironment();
        const identity = { providerConfigKey: args.provider_config_key, connectionId: args.connection_id };
        const deleted = `Connection "${args.connection_id}" of "${args.provider_config_key}" deleted`;
        if (!args.revoke) {
          await sdk.DeleteConnection(identity);
          if (args.json) return printJson({ ...identity, deleted: true });
          return printSuccess(`${deleted}.`);
        }
        const { revokeAndDeleteConnection: result } = await sdk.RevokeAndDeleteConnection({ ...identity, force: args.force });
        if (args.json) return printJson({ ...identity, deleted: result.deleted, revoked: result.revoked, revocationError: result.revocationError });
        if (result.revocationError) {
          // Forced: deleted, but the provider may still honour the grant; the user should hear why.
          console.error(`Warning: the grant was not revoked at the provider (${result.revocationError.code}): ${result.revocationError.description}`);
          return printSuccess(`${deleted} (not revoked).`);
        }
        printSuccess(`${deleted}; its grant was revoked at the provider.`);
      }),
    );
}
