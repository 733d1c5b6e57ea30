// /oauth/connect/:providerConfigKey and /oauth/callback. Both answer a failure
// with the callback page, so the popup always reports back and never hangs.
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Core } from '../core/core.js';
import { AppError } from '../core/errors.js';
import type { FlowIdentity } from '../core/oauth-flow.js';
import { errorSummary, type Logger } from '../log.js';
import { checkPublicKey } from './api-keys.js';
import { callbackPage, type FlowOutcome } from './callback-page.js';

const PARAM_KEY = /^params\[(.*)\]$/;

export function mountOAuthRoutes(app: Hono, core: Core, logger: Logger, publicKey?: string): void {
  app.get('/oauth/connect/:providerConfigKey', async (c) => {
    const query = new URL(c.req.url).searchParams;
    const identity = { providerConfigKey: c.req.param('providerConfigKey'), connectionId: query.get('connection_id') ?? '' };
    try {
      if (publicKey) checkPublicKey(query.get('public_key') ?? undefined, publicKey);
      const params: Record<string, string> = {};
      for (const [key, value] of query) {
        const name = PARAM_KEY.exec(key)?.[1];
        if (name !== undefined) params[name] = value;
      }
      const authorizationUrl = await core.oauthFlow.start({ ...identity, params });
      logger.info({ providerConfigKey: identity.providerConfigKey }, 'oauth flow started');
      return c.redirect(authorizationUrl.toString(), 302);
    } catch (error) {
      return failurePage(c, error, identity, logger);
    }
  });

  app.get('/oauth/callback', async (c) => {
    const query = new URL(c.req.url).searchParams;
    try {
      const identity = await core.oauthFlow.finish(query);
      logger.info({ providerConfigKey: identity.providerConfigKey }, 'oauth flow completed');
      return page(c, { ok: true, identity }, 200);
    } catch (error) {
      return failurePage(c, error, {}, logger);
    }
  });
}


function failurePage(c: Context, error: unknown, known: Partial<FlowIdentity>, logger: Logger): Response {
  if (error instanceof AppError) {
    const identity = {
      providerConfigKey: error.details.providerConfigKey ?? known.providerConfigKey,
      connectionId: error.details.connectionId ?? known.connectionId,
    };
    logger.info({ code: error.code, providerConfigKey: identity.providerConfigKey }, 'oauth flow failed');
    return page(c, { ok: false, identity, error: { type: error.code, message: error.message } }, error.status);
  }
  logger.error({ err: errorSummary(error) }, 'unexpected error in the oauth flow');
  return page(c, { ok: false, identity: known, error: { type: 'internal_error', message: 'An unexpected error occurred.' } }, 500);
}

function page(c: Context, outcome: FlowOutcome, status: number): Response {
  const { html, headers } = callbackPage(outcome);
  return c.html(html, status as ContentfulStatusCode, headers);
}
