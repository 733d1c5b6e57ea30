// OpenID discovery for the generic `oidc` template when a config is written:
// the issuer's endpoints, under the same URL policy as every provider call.
import { discover } from './oauth2-client.js';
import type { ProviderUrlPolicy } from './url-policy.js';

export interface DiscoveredEndpoints {
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
}

export type DiscoverEndpoints = (issuer: string) => Promise<DiscoveredEndpoints>;

/** Throws ProviderUrlRefused when the issuer or an endpoint it names is refused, ProviderCallError when discovery fails. */
export function createOidcDiscovery(timeoutSeconds: number, policy: ProviderUrlPolicy): DiscoverEndpoints {
  return async (issuer) => {
    const metadata = await discover(new URL(issuer), timeoutSeconds, policy);
    return { issuer: metadata.issuer, authorizationUrl: metadata.authorization_endpoint!, tokenUrl: metadata.token_endpoint! };
  };
}
