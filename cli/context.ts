// What every command gets: the SDK bound to NANGO_HOSTPORT / NANGO_SECRET_KEY.
import { createSdk } from '../clients/node/graphql-client.js';
import type { Sdk } from '../clients/generated/sdk.js';

export const DEFAULT_HOSTPORT = 'http://localhost:3003';

export function sdkFromEnvironment(env: NodeJS.ProcessEnv = process.env): Sdk {
  return createSdk({ host: env.NANGO_HOSTPORT || DEFAULT_HOSTPORT, secretKey: env.NANGO_SECRET_KEY || undefined });
}
