// A cookie-keeping HTTP client that walks an OAuth flow the way a browser's
// popup would: follow every redirect, then read the message the callback page posts.
export interface FlowResult {
  status: number;
  /** Every URL visited, in order. */
  visited: string[];
  html: string;
  /** The message the callback page posts to window.opener, if it is one. */
  message: { eventType: string; data: Record<string, any> } | null;
}

/** Cookies by host, as a browser holds them. */
export type CookieJar = Record<string, Record<string, string>>;

/**
 * `jar`: what the browser holds already (e.g. the flow's cookie from
 * openConnect()); `beforeVisit`: runs before each URL is requested (an
 * attacker's moment to act mid-flow).
 */
export async function walkFlow(
  startUrl: string,
  options: { jar?: CookieJar; maxSteps?: number; beforeVisit?: (url: string) => Promise<void>; /** Click Continue on the confirmation page (default); false: stop there. */ confirm?: boolean } = {},
): Promise<FlowResult> {
  const maxSteps = options.maxSteps ?? 20;
  const jar = new Map<string, Map<string, string>>(Object.entries(options.jar ?? {}).map(([host, cookies]) => [host, new Map(Object.entries(cookies))]));
  const visited: string[] = [];
  let url = startUrl;
  let post: string | null = null;
  for (let step = 0; step < maxSteps; step++) {
    await options.beforeVisit?.(url);
    visited.push(url);
    const host = new URL(url).host;
    const cookies = jar.get(host) ?? new Map<string, string>();
    const cookieHeader: Record<string, string> = cookies.size ? { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {};
    const response = await fetch(url, post === null
      ? { redirect: 'manual', headers: cookieHeader }
      : { redirect: 'manual', method: 'POST', headers: { ...cookieHeader, 'content-type': 'application/x-www-form-urlencoded' }, body: post });
    post = null;
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    jar.set(host, cookies);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      url = new URL(location, url).toString();
      continue;
    }
    const html = await response.text();
    const form = confirmationForm(html);
    if (form && options.confirm !== false) {
      // The person clicks Continue.
      // The form posts to the page's own URL.
      post = new URLSearchParams({ confirm: form.token }).toString();
      continue;
    }
    return { status: response.status, visited, html, message: postedMessage(html) };
  }
  throw new Error(`the flow did not end within ${maxSteps} steps: ${visited.join(' -> ')}`);
}

export function postedMessage(html: string): FlowResult['message'] {
  const match = /var message = (\{.*\});/.exec(html);
  return match ? JSON.parse(match[1]!) : null;
}

export interface OpenedFlow {
  status: number;
  /** The provider's authorization URL the server redirected to. */
  location: URL;
  /** The cookies the connect answer set (the flow's cookie), as walkFlow() takes them. */
  jar: CookieJar;
}

/** GET /oauth/connect without following the redirect: the provider's URL and the flow's cookie. */
export async function openConnect(url: string): Promise<OpenedFlow> {
  const cookies: Record<string, string> = {};
  const keep = (response: Response) => {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const index = pair.indexOf('=');
      cookies[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
    }
  };
  let response = await fetch(url, { redirect: 'manual' });
  keep(response);
  const form = response.status === 200 ? confirmationForm(await response.text()) : null;
  if (form) {
    // The person clicks Continue on the confirmation page.
    response = await fetch(url, {
      redirect: 'manual',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ') },
      body: new URLSearchParams({ confirm: form.token }).toString(),
    });
    keep(response);
  }
  await response.arrayBuffer().catch(() => undefined);
  const location = response.headers.get('location');
  if (!location) throw new Error(`the connect answer was ${response.status}, not a redirect`);
  return { status: response.status, location: new URL(location), jar: { [new URL(url).host]: cookies } };
}

/** The confirmation page's form (server/http/confirm-page.ts), if `html` is that page. */
export function confirmationForm(html: string): { token: string } | null {
  if (!html.includes('<form id="nango-confirm" method="post">')) return null;
  const token = /<input type="hidden" name="confirm" value="([^"]*)">/.exec(html)?.[1];
  return token === undefined ? null : { token };
}

/**
 * GET /oauth/connect as a browser whose person clicks Continue on the
 * confirmation page (when there is one): the answer that starts the flow (a
 * redirect to the provider, or a refusal), cookies kept between the two requests.
 */
export async function connectFetch(
  url: string,
  init: { headers?: Record<string, string>; redirect?: 'manual'; /** How to send (an in-process server's fetch); default fetch. */ send?: (url: string, init: RequestInit) => Promise<Response> } = {},
): Promise<Response> {
  const send = init.send ?? ((target: string, options: RequestInit) => fetch(target, options));
  const first = await send(url, { redirect: 'manual', headers: init.headers ?? {} });
  if (first.status !== 200) return first;
  const html = await first.text();
  const form = confirmationForm(html);
  if (!form) return new Response(html, { status: first.status, headers: first.headers });
  const cookie = first.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
  return send(url, {
    redirect: 'manual',
    method: 'POST',
    headers: { ...(init.headers ?? {}), cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ confirm: form.token }).toString(),
  });
}
