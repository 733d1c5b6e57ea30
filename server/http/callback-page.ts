// The page that ends a flow inside the popup: it posts the outcome to the
// opener in the exact shape Nango 0.x sent, then closes itself. Opened without
// an opener, it tells a person what happened.
import { randomBytes } from 'node:crypto';
import type { FlowIdentity } from '../core/oauth-flow.js';
import { escapeHtml, flowPageHeaders } from './flow-page.js';

export type FlowOutcome =
  | { ok: true; identity: FlowIdentity }
  | { ok: false; identity: Partial<FlowIdentity>; error: { type: string; message: string } };

export interface CallbackPage {
  html: string;
  headers: Record<string, string>;
}

export function callbackPage(outcome: FlowOutcome): CallbackPage {
  const nonce = randomBytes(16).toString('base64');
  const data = {
    connectionId: outcome.identity.connectionId ?? null,
    providerConfigKey: outcome.identity.providerConfigKey ?? null,
    ...(outcome.ok ? {} : { error: outcome.error }),
  };
  // 'SUCEEDED' is Nango 0.x's spelling; existing frontends match on it.
  const message = { eventType: outcome.ok ? 'AUTHORIZATION_SUCEEDED' : 'AUTHORIZATION_FAILED', data };
  const title = outcome.ok ? 'Connection established' : 'Connection failed';
  const text = outcome.ok
    ? `The connection "${data.connectionId}" to "${data.providerConfigKey}" is stored. You can close this window.`
    : `${outcome.error.message} (${outcome.error.type})`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head>
<body>
<main><h1>${escapeHtml(title)}</h1><p id="outcome">${escapeHtml(text)}</p></main>
<script nonce="${nonce}">
(function () {
  var message = ${scriptJson(message)};
  if (window.opener) {
    window.opener.postMessage(message, '*');
    // Closed a moment later: an SDK that polls popup.closed (Nango 0.x's) could see the window gone before
    // the message reached it, and report a stored connection as cancelled.
    setTimeout(function () { window.close(); }, 300);
  }
})();
</script>
</body>
</html>
`;
  return {
    html,
    // The callback URL carries the authorization code: never sent on (no-referrer).
    headers: flowPageHeaders(`default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; form-action 'none'`),
  };
}

/** JSON that is safe inside a <script> element, whatever the strings hold. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
