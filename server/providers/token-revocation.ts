// RFC 7009 token revocation: one form POST of the token to the provider's
// revocation endpoint, authenticated as the template authenticates its token
// requests, sent through the guarded fetch (the URL policy).
import { guardedCall } from './guarded-fetch.js';
import { basicAuthorization, callProvider, ProviderCallError, type ProviderCallOptions } from './oauth2-client.js';

export interface RevocationRequest {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  /** body: client_secret_post; header: client_secret_basic (as the template's token requests). */
  authorizationMethod: 'body' | 'header';
  token: string;
  tokenTypeHint: 'refresh_token' | 'access_token';
}

/**
 * Resolves when the provider accepted the revocation (any 2xx: RFC 7009 says
 * 200, Reddit answers 204); throws ProviderCallError otherwise. openid-client's
 * tokenRevocation is not used: it accepts nothing but 200, and a template's
 * JSON body format (token requests only) must not apply here.
 */
export async function revokeToken(request: RevocationRequest, { timeoutSeconds, policy }: ProviderCallOptions): Promise<void> {
  const form = new URLSearchParams({ token: request.token, token_type_hint: request.tokenTypeHint });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (request.authorizationMethod === 'header') {
    headers.authorization = basicAuthorization(request.clientId, request.clientSecret);
  } else {
    form.set('client_id', request.clientId);
    form.set('client_secret', request.clientSecret);
  }
  const call = guardedCall(policy);
  await callProvider(async () => {
    const response = await call(request.endpoint, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    const text = response.body.toString('utf8');
    const error = errorIn(text);
    if (response.status >= 200 && response.status < 300 && !error) return;
    if (error) {
      throw new ProviderCallError('rejected', `The provider refused the revocation: ${error.code}`, error.code, error.description);
    }
    if (response.status >= 300 && response.status < 400) {
      throw new ProviderCallError('bad_response', `The revocation endpoint answered with a redirect (HTTP ${response.status}).`);
    }
    throw new ProviderCallError('rejected', `The revocation endpoint answered HTTP ${response.status}.`, `http_${response.status}`);
  });
}

/** An OAuth error body ({ "error": ..., "error_description": ... }), also inside a 200 (as GitHub does for tokens). */
function errorIn(text: string): { code: string; description: string | undefined } | null {
  if (!text.trim().startsWith('{')) return null;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body.error !== 'string' || body.error === '') return null;
    return { code: body.error, description: typeof body.error_description === 'string' ? body.error_description : undefined };
  } catch {
    return null;
  }
}
