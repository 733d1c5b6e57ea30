// The page between a connect link and the provider: it names what is being
// connected and for whom, and goes on only when the person in front of it
// clicks. A connect link is a bearer link: without this step, a link made for
// one end user and opened by another stores the second one's provider account
// under the first one's connection (a login CSRF one hop before the provider).
import { randomBytes } from 'node:crypto';
import { escapeHtml, flowPageHeaders } from './flow-page.js';

export interface ConfirmPageInput {
  /** The provider, as people know it (the template's display name). */
  providerName: string;
  connectionId: string;
  /** Who the backend made the connect session for, when it said. */
  endUser: { id: string; email: string | null; displayName: string | null } | null;
  /** The value the form posts back, also in the confirmation cookie. */
  token: string;
}

export function confirmPage(input: ConfirmPageInput): { html: string; headers: Record<string, string> } {
  const nonce = randomBytes(16).toString('base64');
  const who = input.endUser
    ? [input.endUser.displayName, input.endUser.email].filter(Boolean).join(' · ') || input.endUser.id
    : `the account “${input.connectionId}”`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect ${escapeHtml(input.providerName)}</title>
<style nonce="${nonce}">body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}button{font-size:1rem;padding:.5rem 1.25rem}</style>
</head>
<body>
<main>
<h1>Connect ${escapeHtml(input.providerName)}</h1>
<p>For <strong id="end-user">${escapeHtml(who)}</strong>.</p>
<p>Continue only if you opened this from the app you are signed in to, as that person. Otherwise close this window: someone may be trying to connect your ${escapeHtml(input.providerName)} account to theirs.</p>
<form id="nango-confirm" method="post">
<input type="hidden" name="confirm" value="${escapeHtml(input.token)}">
<button type="submit">Continue to ${escapeHtml(input.providerName)}</button>
</form>
</main>
</body>
</html>
`;
  return {
    html,
    // No form-action: browsers hold the redirect after the form's POST (to the provider) to it too.
    headers: flowPageHeaders(`default-src 'none'; style-src 'nonce-${nonce}'`),
  };
}
