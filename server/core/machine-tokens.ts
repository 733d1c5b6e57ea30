// Tokens the service obtains without an end user: the OAuth 2 client
// credentials grant, and GitHub App installation tokens minted with a JWT the
// app's private key signs. A backend's createConnection obtains the first one
// (so that a wrong secret fails that call) and the refresh engine obtains the
// next ones before they expire, exactly once across instances as for OAuth 2.
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { guardedCall } from '../providers/guarded-fetch.js';
import { callProvider, ProviderCallError } from '../providers/oauth2-client.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { clientCredentialsFromTokenResponse, expiryFromAnswer, type AppCredentials, type ClientCredentialsToken } from './credentials.js';
import { AppError } from './errors.js';
import { clip } from './identifiers.js';
import { apiBaseUrl, clientCredentialsParams, oauth2ClientFor, type ProviderApp } from './provider-apps.js';

export interface MachineTokenOptions {
  timeoutSeconds: number;
  policy: ProviderUrlPolicy;
  now: Date;
}

/** The connection param that holds a GitHub App connection's installation id (Nango's name for it). */
export const INSTALLATION_ID_PARAM = 'installation_id';

/** A token from the config's token URL for the client itself (its scopes, the template's token params). */
export async function clientCredentialsToken(app: ProviderApp, params: Record<string, unknown>, options: MachineTokenOptions): Promise<ClientCredentialsToken> {
  const client = await oauth2ClientFor(app, params, options.timeoutSeconds, 'client_credentials', options.policy);
  const scopes = [...new Set([...app.template.defaultScopes, ...app.config.scopes])];
  const answer = await client.clientCredentials(scopes.join(app.template.scopeSeparator), clientCredentialsParams(app, params));
  return clientCredentialsFromTokenResponse(answer, { now: options.now, requestedScopes: scopes, scopeSeparator: app.template.scopeSeparator });
}

// GitHub: a JWT lives at most 10 minutes; issued a minute in the past against clock drift.
const JWT_BACKDATE_SECONDS = 60;
const JWT_LIFETIME_SECONDS = 9 * 60;
/** An installation token's life, as GitHub documents it. */
const INSTALLATION_TOKEN_SECONDS = 60 * 60;

/**
 * An installation access token: POST {api}/app/installations/{id}/access_tokens
 * with a JWT (RS256, iss = the app id) the app's private key signs. A 404
 * means the app is no longer installed there: only a new installation helps.
 */
export async function installationToken(app: ProviderApp, params: Record<string, unknown>, options: MachineTokenOptions): Promise<AppCredentials> {
  const { config } = app;
  const installationId = params[INSTALLATION_ID_PARAM];
  if (typeof installationId !== 'string' || !/^\d{1,20}$/.test(installationId)) {
    throw new AppError('invalid_input', `${INSTALLATION_ID_PARAM}: must be the numeric id of the app's installation`, { field: 'installationId' });
  }
  if (!config.clientId || !config.clientSecret) {
    throw new AppError('provider_config_incomplete', `The provider config "${config.key}" has no app id and private key.`, { providerConfigKey: config.key });
  }
  const base = apiBaseUrl(app, params, options.policy);
  if (!base) throw new AppError('provider_config_incomplete', `The provider config "${config.key}" has no API base URL.`, { providerConfigKey: config.key });
  const issuedAt = Math.floor(options.now.getTime() / 1000) - JWT_BACKDATE_SECONDS;
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(config.clientId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + JWT_BACKDATE_SECONDS + JWT_LIFETIME_SECONDS)
    .sign(createPrivateKey(config.clientSecret));
  const url = `${base}/app/installations/${installationId}/access_tokens`;
  const answer = await callProvider(() =>
    guardedCall(options.policy)(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'nango-graphql' },
      signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
    }),
  );
  const body = parseJson(answer.body);
  if (answer.status === 404) {
    throw new ProviderCallError('rejected', 'GitHub knows no such installation of this app (uninstalled, or another app).', 'installation_gone', 'The app is not installed there any more: install it again.');
  }
  if (answer.status === 401 || answer.status === 403) {
    const message = typeof body?.message === 'string' ? clip(body.message, 300) : `HTTP ${answer.status}`;
    throw new ProviderCallError('rejected', `GitHub refused the app's token request: ${message}`, 'app_rejected', message);
  }
  if (answer.status >= 500) throw new ProviderCallError('rejected', `GitHub answered ${answer.status}.`, 'server_error');
  if (answer.status !== 201 && answer.status !== 200) throw new ProviderCallError('bad_response', `GitHub answered ${answer.status} to the installation token request.`);
  if (!body || typeof body.token !== 'string' || body.token.length === 0) throw new ProviderCallError('bad_response', 'GitHub answered without a token.');
  // Without an expiry the token would be served after it died and never renewed: GitHub's live an hour.
  const expiresAt = expiryFromAnswer(body, options.now) ?? new Date(options.now.getTime() + INSTALLATION_TOKEN_SECONDS * 1000);
  return { type: 'APP', accessToken: body.token, expiresAt, obtainedAt: options.now, raw: body };
}

function parseJson(bytes: Buffer): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
