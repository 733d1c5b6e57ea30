// OAuth 1.0a client: request token → authorize → access token, signed with
// HMAC-SHA1 or PLAINTEXT by the oauth-1.0a library. Provider failures come back
// as ProviderCallError, like OAuth 2's.
import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { guardedCall, ProviderAnswerTooLarge, type ProviderAnswer, type ProviderCall } from './guarded-fetch.js';
import { ProviderCallError, type ProviderCallOptions } from './oauth2-client.js';
import { ProviderUrlRefused } from './url-policy.js';

export interface OAuth1App {
  consumerKey: string;
  consumerSecret: string;
}

export interface OAuth1Endpoints {
  requestUrl: string;
  authorizationUrl: string;
  tokenUrl: string;
  signatureMethod: 'HMAC-SHA1' | 'PLAINTEXT';
  requestParams: Record<string, string>;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
}

export interface OAuth1Token {
  token: string;
  tokenSecret: string;
  /** The provider's answer as it came (form-decoded). */
  raw: Record<string, string>;
}

function signer(app: OAuth1App, signatureMethod: 'HMAC-SHA1' | 'PLAINTEXT'): OAuth {
  return new OAuth({
    consumer: { key: app.consumerKey, secret: app.consumerSecret },
    signature_method: signatureMethod,
    // PLAINTEXT signs with the key itself, which the library does when given no hash function.
    ...(signatureMethod === 'HMAC-SHA1' ? { hash_function: (base: string, key: string) => createHmac('sha1', key).update(base).digest('base64') } : {}),
  });
}

/**
 * The Authorization header of an API request made with an access token: signed
 * over the method, the URL with its query, and a form body's params
 * (RFC 5849 §3.4.1), as the provider will check it.
 */
export function signedAuthorization(
  app: OAuth1App,
  signatureMethod: 'HMAC-SHA1' | 'PLAINTEXT',
  token: { token: string; tokenSecret: string },
  request: { method: string; url: URL; formParams: Record<string, string | string[]> },
): string {
  const oauth = signer(app, signatureMethod);
  // The query is decoded here as the provider will decode it ('+' is a space), not by the library, which
  // reads '+' as itself; every value of a repeated name is signed.
  const params: Record<string, string | string[]> = { ...request.formParams };
  for (const [name, value] of request.url.searchParams) {
    const had = params[name];
    params[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  const bare = new URL(request.url.href);
  bare.search = '';
  bare.hash = '';
  const authorization = oauth.authorize({ url: bare.href, method: request.method, data: params }, { key: token.token, secret: token.tokenSecret });
  return oauth.toHeader(authorization).Authorization;
}

export class OAuth1Client {
  private readonly oauth: OAuth;
  private readonly timeoutSeconds: number;
  private readonly call: ProviderCall;

  constructor(
    app: OAuth1App,
    private readonly endpoints: OAuth1Endpoints,
    { timeoutSeconds, policy }: ProviderCallOptions,
  ) {
    this.timeoutSeconds = timeoutSeconds;
    this.call = guardedCall(policy);
    this.oauth = signer(app, endpoints.signatureMethod);
  }

  /** Temporary credentials, bound to our callback URL. */
  requestToken(callbackUrl: string): Promise<OAuth1Token> {
    return this.post(this.endpoints.requestUrl, undefined, { ...this.endpoints.requestParams, oauth_callback: callbackUrl });
  }

  authorizationUrl(requestToken: string, scope: string | null): URL {
    const url = new URL(this.endpoints.authorizationUrl);
    for (const [name, value] of Object.entries(this.endpoints.authorizationParams)) url.searchParams.set(name, value);
    if (scope) url.searchParams.set('scope', scope);
    url.searchParams.set('oauth_token', requestToken);
    return url;
  }

  accessToken(requestToken: string, requestTokenSecret: string, verifier: string): Promise<OAuth1Token> {
    return this.post(this.endpoints.tokenUrl, { key: requestToken, secret: requestTokenSecret }, { ...this.endpoints.tokenParams, oauth_verifier: verifier });
  }

  private async post(url: string, token: OAuth.Token | undefined, params: Record<string, string>): Promise<OAuth1Token> {
    // The oauth_* params travel in the Authorization header, the others in the (signed) form body.
    const oauthParams = Object.fromEntries(Object.entries(params).filter(([name]) => name.startsWith('oauth_')));
    const bodyParams = Object.fromEntries(Object.entries(params).filter(([name]) => !name.startsWith('oauth_')));
    // Signed over both; the library returns only its own oauth_* fields, so ours join the header here.
    const authorization = this.oauth.authorize({ url, method: 'POST', data: { ...bodyParams, ...oauthParams } }, token);
    const headerData = { ...authorization, ...oauthParams };
    let response: ProviderAnswer;
    try {
      response = await this.call(url, {
        method: 'POST',
        headers: { ...this.oauth.toHeader(headerData), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/x-www-form-urlencoded, */*' },
        body: new URLSearchParams(bodyParams).toString(),
        signal: AbortSignal.timeout(this.timeoutSeconds * 1000),
      });
    } catch (error) {
      const refused = error instanceof ProviderUrlRefused ? error : (error as { cause?: unknown }).cause;
      if (refused instanceof ProviderUrlRefused) throw new ProviderCallError('unreachable', refused.message, undefined, undefined, { cause: refused });
      if (error instanceof ProviderAnswerTooLarge) throw new ProviderCallError('bad_response', error.message, undefined, undefined, { cause: error });
      const timedOut = (error as { name?: string }).name === 'TimeoutError';
      throw new ProviderCallError(timedOut ? 'timeout' : 'unreachable', timedOut ? 'The provider did not answer in time.' : 'The provider could not be reached.', undefined, undefined, { cause: error });
    }
    const text = response.body.toString('utf8');
    const answer = Object.fromEntries(new URLSearchParams(text.trim()));
    if (response.status < 200 || response.status > 299) {
      const problem = answer.oauth_problem ?? answer.error ?? `http_${response.status}`;
      throw new ProviderCallError('rejected', `The provider refused: ${problem}`, problem, answer.oauth_problem_advice ?? answer.error_description);
    }
    if (!answer.oauth_token || !answer.oauth_token_secret) {
      throw new ProviderCallError('bad_response', 'The provider answered without oauth_token and oauth_token_secret.');
    }
    return { token: answer.oauth_token, tokenSecret: answer.oauth_token_secret, raw: answer };
  }
}
