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
export async function walkFlow(startUrl: string, options: { jar?: CookieJar; maxSteps?: number; beforeVisit?: (url: string) => Promise<void> } = {}): Promise<FlowResult> {
  const maxSteps = options.maxSteps ?? 20;
  const jar = new Map<string, Map<string, string>>(Object.entries(options.jar ?? {}).map(([host, cookies]) => [host, new Map(Object.entries(cookies))]));
  const visited: string[] = [];
  let url = startUrl;
  for (let step = 0; step < maxSteps; step++) {
    await options.beforeVisit?.(url);
    visited.push(url);
    const host = new URL(url).host;
    const cookies = jar.get(host) ?? new Map<string, string>();
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookies.size ? { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {},
    });
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
  const response = await fetch(url, { redirect: 'manual' });
  await response.arrayBuffer();
  const location = response.headers.get('location');
  if (!location) throw new Error(`the connect answer was ${response.status}, not a redirect`);
  const cookies: Record<string, string> = {};
  for (const header of response.headers.getSetCookie()) {
    const [pair = ''] = header.split(';');
    const index = pair.indexOf('=');
    cookies[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
  }
  return { status: response.status, location: new URL(location), jar: { [new URL(url).host]: cookies } };
}
