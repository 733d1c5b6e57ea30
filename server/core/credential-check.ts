// The request that proves an API key or password works before it is stored:
// the template's check (e.g. GET /user) sent to the API's base URL with the
// credentials placed as the template says. 2xx passes; 401 or 403 is
// credentials_rejected with the API's own words; anything else stores nothing
// and says what the API did. The credentials never appear in what is reported.
import { API_KEY_SLOT } from '../providers/catalog.js';
import { answerHeader, guardedCall, type ProviderAnswer } from '../providers/guarded-fetch.js';
import { callProvider, ProviderCallError } from '../providers/oauth2-client.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import type { ApiKeyCredentials, BasicCredentials } from './credentials.js';
import { AppError } from './errors.js';
import { clip } from './identifiers.js';
import { apiBaseUrl, type ProviderApp } from './provider-apps.js';

export interface CheckOptions {
  timeoutSeconds: number;
  policy: ProviderUrlPolicy;
}

/** The headers and query params that carry credentials, as the template places them (the proxy's job too). */
export function credentialPlacement(app: ProviderApp, credentials: ApiKeyCredentials | BasicCredentials): { headers: Record<string, string>; query: Record<string, string> } {
  const headers: Record<string, string> = { ...app.template.proxy?.headers };
  const query: Record<string, string> = {};
  if (credentials.type === 'BASIC') {
    headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    return { headers, query };
  }
  const placement = app.config.apiKeyPlacement ?? app.template.apiKey ?? { in: 'header' as const, name: 'Authorization', format: 'Bearer ${apiKey}' };
  // A function, not a string: "$&" or "$'" in a key would be read as replacement patterns.
  const value = placement.format.replace(API_KEY_SLOT, () => credentials.apiKey);
  if (placement.in === 'query') query[placement.name] = value;
  else headers[placement.name.toLowerCase()] = value;
  return { headers, query };
}

/** Resolves when the template has no check or the API accepted the credentials; throws an AppError otherwise. */
export async function checkCredentials(app: ProviderApp, credentials: ApiKeyCredentials | BasicCredentials, params: Record<string, string>, options: CheckOptions, details: Record<string, string>): Promise<void> {
  const check = app.template.check;
  if (!check) return;
  const base = apiBaseUrl(app, params, options.policy);
  if (!base) return;
  const url = new URL(`${base}${check.path}`);
  const { headers, query } = credentialPlacement(app, credentials);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const secrets = echoedForms(credentials);
  let answer: ProviderAnswer;
  try {
    answer = await callProvider(() =>
      guardedCall(options.policy)(url, {
        method: check.method,
        headers: { accept: 'application/json', 'user-agent': 'nango-graphql', ...headers },
        signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
      }),
    );
  } catch (error) {
    const failure = error instanceof ProviderCallError ? error.failure : 'unreachable';
    if (failure === 'timeout') throw new AppError('provider_timeout', `The API did not answer the check request (${check.method} ${check.path}) in time; nothing was stored.`, details, { cause: error });
    throw new AppError('provider_unreachable', `The API could not be reached for the check request (${check.method} ${check.path}); nothing was stored.`, details, { cause: error });
  }
  if (answer.status >= 200 && answer.status < 300) return;
  // Scrubbed before it is clipped: a key cut by the clip would no longer match, and its first part would show.
  const said = clip(scrub(refusalText(answer), secrets), 300);
  if (answer.status === 401 || answer.status === 403) {
    throw new AppError('credentials_rejected', `The API refused these credentials (HTTP ${answer.status}${said ? `: ${said}` : ''}); nothing was stored.`, { ...details, status: String(answer.status) });
  }
  throw new AppError('credentials_check_failed', `The API answered HTTP ${answer.status} to the check request (${check.method} ${check.path})${said ? `: ${said}` : ''}; nothing was stored.`, { ...details, status: String(answer.status) });
}

/** What the API said (unclipped): a JSON body's message, error or detail, else the start of its text. */
function refusalText(answer: ProviderAnswer): string {
  const text = answer.body.subarray(0, 4096).toString('utf8');
  if ((answer.headers['content-type'] ?? '').toString().includes('json') || /^\s*[{[]/.test(text)) {
    try {
      const body: unknown = JSON.parse(answer.body.toString('utf8'));
      const found = findMessage(body);
      if (found) return found;
    } catch {
      // Not JSON after all: its text stands.
    }
  }
  if (/^\s*</.test(text)) return answerHeader(answer, 'www-authenticate') ?? '';
  return text.trim();
}

function findMessage(body: unknown, depth = 0): string | null {
  if (typeof body === 'string') return body;
  if (depth > 2 || typeof body !== 'object' || body === null) return null;
  if (Array.isArray(body)) return body.length ? findMessage(body[0], depth + 1) : null;
  const record = body as Record<string, unknown>;
  for (const name of ['message', 'error_description', 'error', 'detail', 'errors', 'title']) {
    const found = record[name] === undefined ? null : findMessage(record[name], depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * The credentials as an API may repeat them: as given, percent-encoded (a
 * query-placed key, in the request URL it echoes), and as the Basic header's
 * base64.
 */
function echoedForms(credentials: ApiKeyCredentials | BasicCredentials): string[] {
  const given = credentials.type === 'API_KEY' ? [credentials.apiKey] : [credentials.username, credentials.password];
  const forms = given.flatMap((secret) => [secret, encodeURIComponent(secret), new URLSearchParams({ _: secret }).toString().slice(2)]);
  if (credentials.type === 'BASIC') forms.push(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'));
  // Longest first: a form inside another is replaced after it.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/** The API's words without the credentials, should it echo them. */
function scrub(text: string, secrets: string[]): string {
  return secrets.filter((secret) => secret.length >= 4).reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
