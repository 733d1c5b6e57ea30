// Revoking a connection's grant at its provider (RFC 7009) before the
// connection is deleted: which token is sent where, and what a failure says.
// A failure is an outcome, not an exception: with `force` the deletion goes on.
import type { ConnectionWithCredentials } from '../db/connection-store.js';
import type { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { ProviderCallError } from '../providers/oauth2-client.js';
import { revokeToken } from '../providers/token-revocation.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { parseCredentials } from './credentials.js';
import { AppError } from './errors.js';
import { clip } from './identifiers.js';
import { clientOf, loadProviderApp, revocationEndpointFor } from './provider-apps.js';

export interface RevocationOptions {
  configs: ProviderConfigStore;
  catalog: ProviderCatalog;
  providerTimeoutSeconds: number;
  urlPolicy: ProviderUrlPolicy;
}

/** Why a grant was not revoked: our code or the provider's, and a description that never holds a secret. */
export interface RevocationFailure {
  /** revocation_unsupported when there is nowhere to revoke; else e.g. invalid_client, provider_timeout, provider_unreachable. */
  code: string;
  description: string;
}

export type RevocationOutcome = { revoked: true } | { revoked: false; failure: RevocationFailure };

export class GrantRevocation {
  constructor(private readonly options: RevocationOptions) {}

  /** Sends the refresh token (else the access token) to the provider's revocation endpoint. */
  async revoke(connection: ConnectionWithCredentials): Promise<RevocationOutcome> {
    const credentials = parseCredentials(connection.credentials);
    if (credentials.type === 'OAUTH1') {
      return unsupported('OAuth 1.0a has no token revocation (RFC 7009 is for OAuth 2 tokens).');
    }
    if (credentials.type === 'API_KEY' || credentials.type === 'BASIC') {
      return unsupported('An API key or password is revoked where it was issued, at the provider: this service only forgets it.');
    }
    if (credentials.type === 'OAUTH2_CC' || credentials.type === 'APP') {
      return unsupported('A token this service obtained without an end user expires by itself: deleting the connection stops its renewal.');
    }
    const app = await loadProviderApp(this.options.configs, this.options.catalog, connection.providerConfigKey);
    const [token, tokenTypeHint] = credentials.refreshToken ? [credentials.refreshToken, 'refresh_token' as const] : [credentials.accessToken, 'access_token' as const];
    // Whatever the provider echoes back, neither the token nor the client secret is repeated.
    const secrets = [token, credentials.accessToken, app.config.clientSecret ?? ''];
    try {
      const { providerTimeoutSeconds: timeoutSeconds, urlPolicy: policy } = this.options;
      const endpoint = await revocationEndpointFor(app, connection.connectionConfig, timeoutSeconds, policy);
      if (!endpoint) {
        return unsupported(
          app.template.generic === 'oidc'
            ? "The issuer's discovery document names no revocation_endpoint."
            : `The provider template "${app.template.name}" declares no revocation endpoint.`,
        );
      }
      const { clientId, clientSecret } = clientOf(app.config);
      await revokeToken({ endpoint, clientId, clientSecret, authorizationMethod: app.template.authorizationMethod, token, tokenTypeHint }, { timeoutSeconds, policy });
      return { revoked: true };
    } catch (error) {
      const failure = describeFailure(error);
      return { revoked: false, failure: { code: failure.code, description: scrub(failure.description, secrets) } };
    }
  }
}

/** The error a caller gets when revocation failed and the deletion was not forced. */
export function revocationError(failure: RevocationFailure, details: Record<string, string>): AppError {
  if (failure.code === 'revocation_unsupported') return new AppError('revocation_unsupported', `${failure.description} Delete without revoke, or with force.`, details);
  return new AppError('revocation_failed', `Revoking the grant at the provider failed (${failure.code}): ${failure.description} The connection was not deleted.`, {
    ...details,
    reason: failure.code,
  });
}

function unsupported(description: string): RevocationOutcome {
  return { revoked: false, failure: { code: 'revocation_unsupported', description } };
}

function describeFailure(error: unknown): RevocationFailure {
  if (error instanceof ProviderCallError) {
    if (error.failure === 'rejected') {
      const code = error.providerCode ?? 'provider_error';
      return { code, description: error.providerDescription ? `The provider refused: ${error.providerDescription}` : error.message };
    }
    if (error.failure === 'timeout') return { code: 'provider_timeout', description: 'The provider did not answer in time.' };
    if (error.failure === 'unreachable') return { code: 'provider_unreachable', description: error.message };
    return { code: 'bad_response', description: error.message };
  }
  if (error instanceof AppError) return { code: error.code, description: error.message };
  throw error;
}

function scrub(text: string, secrets: string[]): string {
  let safe = text;
  for (const secret of secrets) if (secret) safe = safe.split(secret).join('[redacted]');
  return clip(safe, 300);
}
