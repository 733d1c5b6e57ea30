// The Connect UI's form for the APIs that take an API key or a username and
// password: it names the integration and the person it is for, says what will
// be shared, asks for the credentials in the API's own terms (the template's
// hints, its docs link) and for the connection params still missing, and
// posts them back to the same connect link. No script, no framework: a plain
// form that works in a popup or a full tab, keyboard first, labelled, with its
// error announced (role="alert") and tied to the fields it concerns.
import type { FlowPreview } from '../core/oauth-flow.js';
import { connectPage } from './connect-page.js';
import { escapeHtml } from './flow-page.js';

export interface CredentialsPageInput {
  preview: FlowPreview;
  /** The value the form posts back, also in the confirmation cookie. */
  token: string;
  /** Why the last submission stored nothing (the API's refusal), shown above the form. */
  error?: string | undefined;
  /** What the person typed last time, except secrets. */
  username?: string | undefined;
  params?: Record<string, string> | undefined;
}

export function credentialsPage(input: CredentialsPageInput): { html: string; headers: Record<string, string> } {
  const { preview } = input;
  const { template } = preview;
  const name = escapeHtml(preview.providerName);
  const described = input.error ? ' aria-describedby="form-error"' : '';
  const invalid = input.error ? ' aria-invalid="true"' : '';
  const fields: string[] = [];
  for (const param of template.connectionParams.filter((each) => preview.params[each] === undefined)) {
    fields.push(field(`params[${param}]`, `param-${param}`, labelOf(param), 'text', input.params?.[param] ?? '', `Your ${name} ${escapeHtml(param)}, as in its web address.`, true, described));
  }
  let shared: string;
  if (template.authMode === 'BASIC' && template.basic) {
    const { usernameHint, passwordHint, passwordOptional } = template.basic;
    // Many APIs take their key as the username (Freshdesk, Harvest, Toggl): then it is a secret like the password.
    const secretUsername = SECRET_HINT.test(usernameHint);
    fields.push(
      secretUsername
        ? field('username', 'username', escapeHtml(usernameHint), 'password', '', null, true, described + invalid, 'off')
        : field('username', 'username', escapeHtml(usernameHint), 'text', input.username ?? '', null, true, described + invalid, 'username'),
    );
    fields.push(field('password', 'password', escapeHtml(passwordHint), 'password', '', passwordOptional ? 'Optional: this API ignores it.' : null, !passwordOptional, described + invalid, 'current-password'));
    shared = `Your ${escapeHtml(usernameHint.toLowerCase())} and ${escapeHtml(passwordHint.toLowerCase())}`;
  } else {
    fields.push(field('api_key', 'api-key', `${name} API key`, 'password', '', null, true, described + invalid, 'off'));
    shared = `Your ${name} API key`;
  }
  const docs = template.docsUrl ? `<p class="docs"><a href="${escapeHtml(template.docsUrl)}" target="_blank" rel="noopener noreferrer">Where to find it in ${name}'s documentation<span class="visually-hidden"> (opens in a new tab)</span></a></p>` : '';
  const error = input.error ? `<div id="form-error" class="error" role="alert"><strong>Not connected.</strong> ${escapeHtml(input.error)}</div>` : '';
  return connectPage({
    providerName: preview.providerName,
    connectionId: preview.connectionId,
    endUser: preview.endUser,
    shared: `${shared} will be stored encrypted by this service and used to call ${name} for you.`,
    body: `${docs}
${error}
<form id="nango-credentials" method="post" novalidate>
<input type="hidden" name="confirm" value="${escapeHtml(input.token)}">
${fields.join('\n')}
<button type="submit">Connect ${name}</button>
</form>`,
    error: Boolean(input.error),
    formAction: 'self',
  });
}

/** A username hint that names a credential ("API key", "API token"), not an account or a key's id ("Key ID"). */
const SECRET_HINT = /\b(key|token|secret|password)$/i;

function field(name: string, id: string, label: string, type: 'text' | 'password', value: string, hint: string | null, required: boolean, aria: string, autocomplete = 'off'): string {
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, aria.includes('form-error') ? 'form-error' : null].filter(Boolean).join(' ');
  const attributes = [
    `id="${id}"`,
    `name="${escapeHtml(name)}"`,
    `type="${type}"`,
    `autocomplete="${autocomplete}"`,
    'spellcheck="false"',
    'autocapitalize="off"',
    required ? 'required aria-required="true"' : '',
    value ? `value="${escapeHtml(value)}"` : '',
    describedBy ? `aria-describedby="${describedBy}"` : '',
    aria.includes('aria-invalid') ? 'aria-invalid="true"' : '',
  ].filter(Boolean);
  return `<div class="field"><label for="${id}">${label}${required ? '' : ' <span class="optional">(optional)</span>'}</label>${hint ? `<p class="hint" id="${hintId}">${hint}</p>` : ''}<input ${attributes.join(' ')}></div>`;
}

function labelOf(param: string): string {
  const words = param.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return escapeHtml(words.charAt(0).toUpperCase() + words.slice(1));
}
