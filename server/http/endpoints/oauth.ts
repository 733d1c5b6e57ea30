// /oauth/connect/:providerConfigKey and /oauth/callback, in the end user's
// popup. Both answer with the callback page; a failure is rendered as that
// page too (the 'page' face, error-faces.ts), so the popup always reports back.
import { callbackPage } from '../callback-page.js';
import type { Reply, RouteRequest, Services } from '../route.js';

const PARAM_KEY = /^params\[(.*)\]$/;

export async function oauthConnect({ params, query }: RouteRequest, { core, logger }: Services): Promise<Reply> {
  const connectionParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const name = PARAM_KEY.exec(key)?.[1];
    if (name !== undefined) connectionParams[name] = value;
  }
  const providerConfigKey = params.providerConfigKey!;
  const authorizationUrl = await core.oauthFlow.start({ providerConfigKey, connectionId: query.connection_id ?? '', params: connectionParams });
  logger.info({ providerConfigKey }, 'oauth flow started');
  return { status: 302, headers: { location: authorizationUrl.toString() }, body: null };
}

export async function oauthCallback({ query }: RouteRequest, { core, logger }: Services): Promise<Reply> {
  const identity = await core.oauthFlow.finish(new URLSearchParams(query));
  logger.info(identity, 'oauth flow completed');
  const { html, headers } = callbackPage({ ok: true, identity });
  return { status: 200, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers }, body: html };
}
