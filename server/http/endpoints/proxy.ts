// /proxy/*: a backend's call to a provider's API for one connection, in
// Nango's shape (Provider-Config-Key, Connection-Id, Retries and
// Base-Url-Override headers). The core does the work (core/proxy.ts); this
// face hands it the request as it came and streams the answer back.

import type { Reply, RouteRequest, Services } from '../route.js';

const PREFIX = '/proxy';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The provider's path, after /proxy. Nango's Node clients before 0.30 joined `/proxy/` and an endpoint
 * that starts with `/`, sending `/proxy//user`: one such empty segment is taken as theirs. The URL is
 * built by setting its parts (proxy-target.ts), so no spelling of the rest can leave the host.
 */
function providerPath(path: string): string {
  const rest = path.slice(PREFIX.length);
  return rest.startsWith('//') ? rest.slice(1) : rest;
}

export async function proxyRequest(request: RouteRequest, { core }: Services): Promise<Reply> {
  const headers: Array<[string, string]> = [];
  const given = request.headers();
  for (const name in given) {
    const value = given[name];
    if (Array.isArray(value)) for (const each of value) headers.push([name, each]);
    else if (value !== undefined) headers.push([name, value]);
  }
  const length = request.header('content-length');
  const answer = await core.proxy.call({
    providerConfigKey: request.header('provider-config-key'),
    connectionId: request.header('connection-id'),
    method: request.method,
    path: providerPath(request.path),
    search: request.search === '' ? '' : `?${request.search}`,
    headers,
    retries: request.header('retries'),
    // Nango's clients send it empty when there is none.
    baseUrlOverride: request.header('base-url-override') || undefined,
    body: {
      open: () => request.stream(),
      declared: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
      mayHaveBody: request.header('transfer-encoding') !== undefined || BODY_METHODS.has(request.method),
    },
    signal: request.signal(),
  });
  const body = answer.body;
  return {
    status: answer.status,
    headers: answer.headers,
    stream: body,
    // Destroyed streams report it as an error: heard here, where nothing more is to be done.
    abort: () => {
      if (!body || Buffer.isBuffer(body)) return;
      body.on('error', () => undefined);
      body.destroy();
    },
  };
}

