// What every command gets: the SDK bound to NANGO_HOSTPORT / NANGO_SECRET_KEY.
import type { Sdk } from '../clients/generated/sdk.js';
import type { ConnectionOptions } from '../clients/node/graphql-client.js';

export const DEFAULT_HOSTPORT = 'http://localhost:3003';

/** Where the server is and the key it takes, as the environment says. */
export function serverFromEnvironment(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  return { host: env.NANGO_HOSTPORT || DEFAULT_HOSTPORT, secretKey: env.NANGO_SECRET_KEY || undefined };
}

/**
 * Loaded on first use: the SDK and graphql-request take about as long to import as
 * Node takes to start, and `nango help` or a mistyped command never needs them.
 */
export async function sdkFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Sdk> {
  const { createSdk } = await import('../clients/node/graphql-client.js');
  return createSdk(serverFromEnvironment(env));
}
