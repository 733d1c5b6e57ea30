// /oauth/connect/:providerConfigKey and /oauth/callback, in the end user's
// popup. Both answer with the callback page; a failure is rendered as that
// page too (the 'page' face, error-faces.ts), so the popup always reports back.
// The connect answer sets the flow's cookie; the callback ends only the flow
// whose cookie the browser brings back, so a provider URL sent to someone else
// stores nothing.
import { createHash } from 'node:crypto';
import { flowStateKey } from '../../core/oauth-flow.js';
import { callbackPage } from '../callback-page.js';
import { clientAddress } from '../edge.js';
import type { Reply, RouteRequest, Services } from '../route.js';

const PARAM_KEY = /^params\[(.*)\]$/;

export async function oauthConnect(request: RouteRequest, services: Services): Promise<Reply> {
  const { params, query, principal } = request;
  const connectionParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const name = PARAM_KEY.exec(key)?.[1];
    if (name !== undefined) connectionParams[name] = value;
  }
  const providerConfigKey = params.providerConfigKey!;
  const flow = await services.core.oauthFlow.start({
    providerConfigKey,
    connectionId: query.connection_id ?? '',
    params: connectionParams,
    principal,
    clientAddress: clientAddress(request, services.trustProxyHops),
  });
  services.logger.info({ providerConfigKey }, 'oauth flow started');
  const cookie = [
    `${flowCookieName(flow.stateKey)}=${flow.browserSecret}`,
    `Path=${services.flowCookie.path}`,
    `Max-Age=${flow.ttlSeconds}`,
    'HttpOnly',
    // Lax: the provider's redirect back is a top-level navigation from another site, which Strict would strip.
    'SameSite=Lax',
    ...(services.flowCookie.secure ? ['Secure'] : []),
  ].join('; ');
  return {
    status: 302,
    // no-referrer: the connect URL may carry a connect session token, which the provider need not see.
    headers: { location: flow.authorizationUrl.toString(), 'set-cookie': cookie, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
    body: null,
  };
}

export async function oauthCallback(request: RouteRequest, { core, logger, flowCookie }: Services): Promise<Reply> {
  const query = new URLSearchParams(request.query);
  const stateKey = flowStateKey(query);
  const cookieName = stateKey ? flowCookieName(stateKey) : null;
  const identity = await core.oauthFlow.finish(query, cookieName ? readCookie(request.header('cookie'), cookieName) : undefined);
  logger.info(identity, 'oauth flow completed');
  const { html, headers } = callbackPage({ ok: true, identity });
  const clear = `${cookieName}=; Path=${flowCookie.path}; Max-Age=0; HttpOnly; SameSite=Lax${flowCookie.secure ? '; Secure' : ''}`;
  return { status: 200, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers, 'set-cookie': clear }, body: html };
}

/** One cookie per flow, so that two popups open at once do not overwrite each other's. */
function flowCookieName(stateKey: string): string {
  return `nango_flow_${createHash('sha256').update(stateKey).digest('hex').slice(0, 20)}`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator !== -1 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}
