// /oauth/connect/:providerConfigKey and /oauth/callback, in the end user's
// popup. Both answer with the callback page; a failure is rendered as that
// page too (the 'page' face, error-faces.ts), so the popup always reports back.
// The connect answer sets the flow's cookie; the callback ends only the flow
// whose cookie the browser brings back, so a provider URL sent to someone else
// stores nothing.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'hono/utils/cookie';
import { connectPath } from '../../core/connect-sessions.js';
import { AppError } from '../../core/errors.js';
import { flowStateKey, isCodeFlow, type FlowPreview, type StartFlowInput } from '../../core/oauth-flow.js';
import { callbackPage } from '../callback-page.js';
import { confirmPage } from '../confirm-page.js';
import { credentialsPage } from '../credentials-page.js';
import { clientAddress } from '../edge.js';
import type { Reply, RouteRequest, Services } from '../route.js';

const PARAM_KEY = /^params\[(.*)\]$/;

/**
 * GET: the Connect UI. Under the `open` policy an OAuth flow starts at once;
 * otherwise the page that names what is being connected and for whom, with
 * the button that goes on to the provider, or for an API key or Basic
 * template, the form that asks for the credentials.
 */
export async function oauthConnect(request: RouteRequest, services: Services): Promise<Reply> {
  const input = flowInput(request, services);
  const preview = await services.core.oauthFlow.preview(input);
  if (!preview) return startFlow(request, services);
  const token = randomBytes(32).toString('base64url');
  const { html, headers } = isCodeFlow(preview.template)
    ? confirmPage({ providerName: preview.providerName, connectionId: preview.connectionId, endUser: preview.endUser, scopes: preview.scopes, token })
    : credentialsPage({ preview, token });
  // Strict: a form posted from another site (an attacker's page submitting it for the victim) does not carry it.
  const cookie = flowPageCookie(confirmCookieName(request), token, { path: '/oauth/connect', maxAge: CONFIRM_SECONDS, sameSite: 'Strict' }, services);
  return { status: 200, headers: { ...headers, 'set-cookie': cookie }, body: html };
}

/**
 * POST: the person clicked Continue on the page above, in this browser: the
 * flow starts, or the credentials typed are checked and stored.
 */
export async function oauthConnectConfirmed(request: RouteRequest, services: Services): Promise<Reply> {
  const form = new URLSearchParams(await request.text());
  const posted = form.get('confirm') ?? '';
  const expected = readCookie(request, confirmCookieName(request)) ?? '';
  if (posted === '' || expected === '' || !sameSecret(posted, expected)) {
    throw new AppError('confirmation_required', undefined, { providerConfigKey: request.params.providerConfigKey ?? '', connectionId: request.query.connection_id ?? '' });
  }
  const preview = await services.core.oauthFlow.preview(flowInput(request, services));
  if (!preview || isCodeFlow(preview.template)) return startFlow(request, services);
  return submitCredentials(request, services, preview, form, posted);
}

// What the person can correct in the form: shown there, the form kept (the connect session is not used up).
const CORRECTABLE = new Set(['credentials_rejected', 'credentials_check_failed', 'invalid_input', 'missing_connection_config_param', 'provider_timeout', 'provider_unreachable']);

/** Checks and stores the credentials typed into the Connect UI, consuming the connect session with the write. */
async function submitCredentials(request: RouteRequest, services: Services, preview: FlowPreview, form: URLSearchParams, token: string): Promise<Reply> {
  const typed: Record<string, string> = {};
  for (const [key, value] of form) {
    const name = PARAM_KEY.exec(key)?.[1];
    if (name !== undefined && preview.template.connectionParams.includes(name) && value.trim() !== '') typed[name] = value.trim();
  }
  const identity = { providerConfigKey: preview.providerConfigKey, connectionId: preview.connectionId };
  try {
    await services.core.connectionCreation.create(
      { ...identity, apiKey: form.get('api_key'), username: form.get('username'), password: form.get('password'), params: { ...typed, ...preview.params } },
      preview.connectSessionHash ? { tokenHash: preview.connectSessionHash } : undefined,
    );
  } catch (error) {
    if (!(error instanceof AppError) || !CORRECTABLE.has(error.code)) throw error;
    services.logger.info({ ...identity, code: error.code }, 'connect page credentials not stored');
    const { html, headers } = credentialsPage({ preview, token, error: error.message, username: form.get('username') ?? undefined, params: typed });
    return { status: error.status, headers, body: html };
  }
  services.logger.info(identity, 'connection stored from the connect page');
  const { html, headers } = callbackPage({ ok: true, identity });
  const clear = flowPageCookie(confirmCookieName(request), '', { path: '/oauth/connect', maxAge: 0, sameSite: 'Strict' }, services);
  return { status: 200, headers: { ...headers, 'set-cookie': clear }, body: html };
}

/**
 * GET /connect?connect_session_token=: the Connect UI for a session, found
 * from its token alone (what nango.openConnectUI has): on to the page of the
 * session's connection.
 */
export async function connectUi(request: RouteRequest): Promise<Reply> {
  const { principal } = request;
  if (principal.kind !== 'connect-session') throw new AppError('connect_session_required');
  return { status: 302, headers: { location: connectPath(principal.session, request.query.connect_session_token ?? ''), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: null };
}

const CONFIRM_SECONDS = 600;

function flowInput(request: RouteRequest, services: Services): StartFlowInput {
  const { params, query, principal } = request;
  const connectionParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const name = PARAM_KEY.exec(key)?.[1];
    if (name !== undefined) connectionParams[name] = value;
  }
  return {
    providerConfigKey: params.providerConfigKey!,
    connectionId: query.connection_id ?? '',
    params: connectionParams,
    principal,
    clientAddress: clientAddress(request, services.trustProxyHops),
  };
}

async function startFlow(request: RouteRequest, services: Services): Promise<Reply> {
  const input = flowInput(request, services);
  const flow = await services.core.oauthFlow.start(input);
  services.logger.info({ providerConfigKey: input.providerConfigKey }, 'oauth flow started');
  // Lax: the provider's redirect back is a top-level navigation from another site, which Strict would strip.
  const cookie = flowPageCookie(flowCookieName(flow.stateKey), flow.browserSecret, { path: services.flowCookie.path, maxAge: flow.ttlSeconds, sameSite: 'Lax' }, services);
  return {
    // After the confirmation's POST too: browsers follow a 302 with a GET.
    status: 302,
    // no-referrer: the connect URL may carry a connect session token, which the provider need not see.
    headers: { location: flow.authorizationUrl.toString(), 'set-cookie': cookie, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
    body: null,
  };
}

/** One confirmation cookie per connect link, so that two popups open at once do not overwrite each other's. */
function confirmCookieName(request: RouteRequest): string {
  const link = `${request.params.providerConfigKey}\u0000${request.query.connection_id ?? ''}\u0000${request.query.connect_session_token ?? ''}`;
  return `nango_confirm_${createHash('sha256').update(link).digest('hex').slice(0, 20)}`;
}

function sameSecret(a: string, b: string): boolean {
  const [left, right] = [createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest()];
  return timingSafeEqual(left, right);
}

export async function oauthCallback(request: RouteRequest, services: Services): Promise<Reply> {
  const { core, logger, flowCookie } = services;
  const query = new URLSearchParams(request.query);
  const stateKey = flowStateKey(query);
  const cookieName = stateKey ? flowCookieName(stateKey) : null;
  const identity = await core.oauthFlow.finish(query, cookieName ? readCookie(request, cookieName) : undefined);
  logger.info(identity, 'oauth flow completed');
  const { html, headers } = callbackPage({ ok: true, identity });
  const clear = flowPageCookie(cookieName!, '', { path: flowCookie.path, maxAge: 0, sameSite: 'Lax' }, services);
  return { status: 200, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers, 'set-cookie': clear }, body: html };
}

/** One cookie per flow, so that two popups open at once do not overwrite each other's. */
function flowCookieName(stateKey: string): string {
  return `nango_flow_${createHash('sha256').update(stateKey).digest('hex').slice(0, 20)}`;
}

/** The cookies of a flow's pages: HttpOnly, Secure when the server's URL is https. */
function flowPageCookie(name: string, value: string, options: { path: string; maxAge: number; sameSite: 'Strict' | 'Lax' }, services: Services): string {
  return serialize(name, value, { ...options, httpOnly: true, secure: services.flowCookie.secure });
}

function readCookie(request: RouteRequest, name: string): string | undefined {
  const header = request.header('cookie');
  return header ? parse(header, name)[name] : undefined;
}
