// A provider on loopback that approves every authorization at once and records
// every token request with the Host it was sent to: in the attack tests it is
// both the legitimate provider and the attacker's host (told apart by Host).
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRequest {
  host: string;
  path: string;
  body: string;
  authorization: string | undefined;
}

export interface RecordingProvider {
  port: number;
  tokenRequests: TokenRequest[];
  /** Requests of any kind that reached a host under `domain`. */
  reachedVia(domain: string): Array<{ host: string; path: string }>;
  close(): Promise<void>;
}

export async function startRecordingProvider(): Promise<RecordingProvider> {
  const tokenRequests: TokenRequest[] = [];
  const seen: Array<{ host: string; path: string }> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider.invalid');
    seen.push({ host: req.headers.host ?? '', path: url.pathname });
    if (req.method === 'GET') {
      // The end user approves at once: back to the service with a code.
      const back = new URL(url.searchParams.get('redirect_uri') ?? 'http://invalid.invalid/');
      back.searchParams.set('code', 'code-from-provider');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      tokenRequests.push({ host: req.headers.host ?? '', path: url.pathname, body, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'access-token-from-provider', token_type: 'bearer', expires_in: 3600, refresh_token: 'refresh-from-provider' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tokenRequests,
    reachedVia: (domain) => seen.filter(({ host }) => host.split(':')[0]!.endsWith(domain)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Names under `domains` resolve to 127.0.0.1 in this process (where the
 * in-process server runs): the attacker's zone resolving to their host, a
 * provider's real domain to the local stand-in. Returns the undo.
 */
export function resolveLocally(domains: string[]): () => void {
  const original = dns.lookup;
  const patched = ((hostname: string, options: unknown, callback?: unknown) => {
    const done = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    if (domains.some((domain) => hostname === domain || hostname.endsWith(`.${domain}`))) {
      process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)));
      return;
    }
    return (original as (...args: unknown[]) => void)(hostname, options, callback);
  }) as typeof dns.lookup;
  dns.lookup = patched;
  return () => {
    dns.lookup = original;
  };
}
