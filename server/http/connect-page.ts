// What the Connect UI's pages share (the button before a provider's
// authorization, the form for an API key or password): the integration named
// with its mark, the person it is for, what will be shared, and one style
// that keeps text at 7:1 contrast in light and dark and a visible focus ring.
// No script: they work in a popup or a full tab, with JavaScript off.
import { randomBytes } from 'node:crypto';
import { escapeHtml, flowPageHeaders } from './flow-page.js';

export interface ConnectPageShell {
  providerName: string;
  connectionId: string;
  endUser: { id: string; email: string | null; displayName: string | null } | null;
  /** What will be shared, as a sentence (HTML-escaped already). */
  shared: string;
  /** The page's own content (HTML). */
  body: string;
  /** Prefixes the title when the page reports an error. */
  error?: boolean;
  /** Where the page's form may post: 'self' for a form that stays here; none for one whose answer redirects on. */
  formAction?: 'self' | null;
}

export function connectPage(page: ConnectPageShell): { html: string; headers: Record<string, string> } {
  const nonce = randomBytes(16).toString('base64');
  const name = escapeHtml(page.providerName);
  const who = page.endUser ? [page.endUser.displayName, page.endUser.email].filter(Boolean).join(' · ') || page.endUser.id : `the account “${page.connectionId}”`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${page.error ? 'Error: ' : ''}Connect ${name}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<header><span class="mark" aria-hidden="true">${escapeHtml(monogram(page.providerName))}</span><h1>Connect ${name}</h1></header>
<p>For <strong id="end-user">${escapeHtml(who)}</strong>.</p>
<p id="shared">${page.shared} Continue only if you opened this from the app you are signed in to, as that person. Otherwise close this window: someone may be trying to connect your ${name} account to theirs.</p>
${page.body}
</main>
</body>
</html>
`;
  // A form whose answer is a redirect to the provider sets no form-action: browsers hold that redirect to it too.
  return { html, headers: flowPageHeaders(`default-src 'none'; style-src 'nonce-${nonce}'${page.formAction === 'self' ? "; form-action 'self'" : ''}`) };
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
