// OpenID discovery for the generic `oidc` template, through openid-client.
import * as oidc from 'openid-client';
import { isLoopbackHost } from './url-policy.js';

export interface DiscoveredEndpoints {
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
}

export type DiscoverEndpoints = (issuer: string) => Promise<DiscoveredEndpoints>;

export function createOidcDiscovery(timeoutSeconds = 10): DiscoverEndpoints {
  return async (issuer) => {
    const url = new URL(issuer);
    const configuration = await oidc.discovery(url, 'nango-discovery', undefined, undefined, {
      timeout: timeoutSeconds,
      execute: url.protocol === 'http:' && isLoopbackHost(url.hostname) ? [oidc.allowInsecureRequests] : [],
    });
    const metadata = configuration.serverMetadata();
    if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
      throw new Error('the discovery document lacks authorization_endpoint or token_endpoint');
    }
    return {
      issuer: metadata.issuer,
      authorizationUrl: metadata.authorization_endpoint,
      tokenUrl: metadata.token_endpoint,
    };
  };
}
