// The page between a connect link and the provider: it names what is being
// connected and for whom, and what the app asks for (the scopes), and goes on
// only when the person in front of it clicks. A connect link is a bearer link:
// without this step, a link made for one end user and opened by another
// stores the second one's provider account under the first one's connection
// (a login CSRF one hop before the provider).
import { connectPage } from './connect-page.js';
import { escapeHtml } from './flow-page.js';

export interface ConfirmPageInput {
  /** The provider, as people know it (the template's display name). */
  providerName: string;
  connectionId: string;
  /** Who the backend made the connect session for, when it said. */
  endUser: { id: string; email: string | null; displayName: string | null } | null;
  /** The scopes the authorization asks for. */
  scopes: string[];
  /** The value the form posts back, also in the confirmation cookie. */
  token: string;
}

export function confirmPage(input: ConfirmPageInput): { html: string; headers: Record<string, string> } {
  const name = escapeHtml(input.providerName);
  const scopes = input.scopes.length ? ` (${input.scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(', ')})` : '';
  return connectPage({
    ...input,
    shared: `${name} will ask you to let this app use your account${scopes}; the access it grants is stored encrypted by this service.`,
    body: `<form id="nango-confirm" method="post">
<input type="hidden" name="confirm" value="${escapeHtml(input.token)}">
<button type="submit">Continue to ${name}</button>
</form>`,
    formAction: null,
  });
}
