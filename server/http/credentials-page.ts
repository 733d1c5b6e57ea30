// The Connect UI's form for the APIs that take an API key or a username and
// password: it names the integration and the person it is for, says what will
// be shared, asks for the credentials in the API's own terms (the template's
// hints, its docs link) and for the connection params still missing, and
// posts them back to the same connect link. No script, no framework: a plain
// form that works in a popup or a full tab, keyboard first, labelled, with its
// error announced (role="alert") and tied to the fields it concerns.
import { randomBytes } from 'node:crypto';
import type { FlowPreview } from '../core/oauth-flow.js';
import { escapeHtml, flowPageHeaders } from './flow-page.js';

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
  const nonce = randomBytes(16).toString('base64');
  const { preview } = input;
  const { template } = preview;
  const name = escapeHtml(preview.providerName);
  const who = preview.endUser
    ? [preview.endUser.displayName, preview.endUser.email].filter(Boolean).join(' · ') || preview.endUser.id
    : `the account “${preview.connectionId}”`;
  const described = input.error ? ' aria-describedby="form-error"' : '';
  const invalid = input.error ? ' aria-invalid="true"' : '';
  const fields: string[] = [];
  for (const param of template.connectionParams.filter((each) => preview.params[each] === undefined)) {
    fields.push(field(`params[${param}]`, `param-${param}`, labelOf(param), 'text', input.params?.[param] ?? '', `Your ${name} ${escapeHtml(param)}, as in its web address.`, true, described));
  }
  let shared: string;
  if (template.authMode === 'BASIC' && template.basic) {
    const { usernameHint, passwordHint, passwordOptional } = template.basic;
    fields.push(field('username', 'username', escapeHtml(usernameHint), 'text', input.username ?? '', null, true, described + invalid, 'username'));
    fields.push(field('password', 'password', escapeHtml(passwordHint), 'password', '', passwordOptional ? 'Optional: this API ignores it.' : null, !passwordOptional, described + invalid, 'current-password'));
    shared = `Your ${escapeHtml(usernameHint.toLowerCase())} and ${escapeHtml(passwordHint.toLowerCase())}`;
  } else {
    fields.push(field('api_key', 'api-key', `${name} API key`, 'password', '', null, true, described + invalid, 'off'));
    shared = `Your ${name} API key`;
  }
  const docs = template.docsUrl ? `<p class="docs"><a href="${escapeHtml(template.docsUrl)}" target="_blank" rel="noopener noreferrer">Where to find it in ${name}'s documentation<span class="visually-hidden"> (opens in a new tab)</span></a></p>` : '';
  const error = input.error ? `<div id="form-error" class="error" role="alert"><strong>Not connected.</strong> ${escapeHtml(input.error)}</div>` : '';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${input.error ? 'Error: ' : ''}Connect ${name}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<header><span class="mark" aria-hidden="true">${escapeHtml(monogram(preview.providerName))}</span><h1>Connect ${name}</h1></header>
<p>For <strong id="end-user">${escapeHtml(who)}</strong>.</p>
<p id="shared">${shared} will be stored encrypted by this service and used to call ${name} for you. Continue only if you opened this from the app you are signed in to.</p>
${docs}
${error}
<form id="nango-credentials" method="post" novalidate>
<input type="hidden" name="confirm" value="${escapeHtml(input.token)}">
${fields.join('\n')}
<button type="submit">Connect ${name}</button>
</form>
</main>
</body>
</html>
`;
  return { html, headers: flowPageHeaders(`default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'`) };
}

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

function monogram(name: string): string {
  return (name.match(/[A-Za-z0-9]/g) ?? ['?']).slice(0, 2).join('').toUpperCase();
}

// Contrast at least 7:1 for text in both schemes; a visible focus ring; targets of 44 px.
const STYLE = `
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--muted:#3d3d3d;--line:#6b6b6b;--accent:#0b4fbf;--accent-fg:#fff;--error-bg:#fdecec;--error-fg:#8a0000}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121212;--muted:#d0d0d0;--line:#9a9a9a;--accent:#8fb8ff;--accent-fg:#0a0a0a;--error-bg:#3a0d0d;--error-fg:#ffc9c9}}
body{font-family:system-ui,sans-serif;line-height:1.5;max-width:32rem;margin:3rem auto;padding:0 1rem;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:.75rem}
h1{font-size:1.4rem;margin:0}
.mark{display:inline-flex;align-items:center;justify-content:center;width:2.5rem;height:2.5rem;border-radius:.5rem;background:var(--accent);color:var(--accent-fg);font-weight:700}
.field{margin:1rem 0}
label{display:block;font-weight:600}
.hint,.optional{color:var(--muted);font-weight:400;margin:.1rem 0 .3rem}
input{box-sizing:border-box;width:100%;min-height:44px;font-size:1rem;padding:.5rem;border:2px solid var(--line);border-radius:.35rem;background:var(--bg);color:var(--fg)}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button{min-height:44px;font-size:1rem;padding:.5rem 1.25rem;border:0;border-radius:.35rem;background:var(--accent);color:var(--accent-fg);font-weight:600;cursor:pointer}
a{color:var(--accent)}
.error{background:var(--error-bg);color:var(--error-fg);border-left:4px solid var(--error-fg);padding:.75rem;margin:1rem 0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
