// A server with one API-key connection ('apikey' / 'u1') whose base URL is a
// loopback fake API, for the proxy's attack tests: the proxy called as a
// backend calls it (fetch), or with bytes written as they are (raw socket).
import net from 'node:net';
import type { Logger } from '../../server/log.js';
import { startFakeApi, type FakeApi } from './fake-api.js';
import { startTestServer, type TestServer } from './server.js';

export const HARNESS_SECRET_KEY = 'sk-proxy-attack-0123456789abcdef';

export interface ProxyHarness {
  server: TestServer;
  api: FakeApi;
  /** A backend's call to /proxy{path} for apikey/u1. */
  proxy(path: string, init?: RequestInit): Promise<Response>;
  /** The headers that name the secret key and the connection, as raw header lines. */
  rawHeaders: string;
  /** Writes `text` on a socket to the server and resolves with all it answered before closing. */
  raw(text: string): Promise<string>;
  close(): Promise<void>;
}

export async function startProxyHarness(options: { apiKey: string; env?: Record<string, string>; logger?: Logger }): Promise<ProxyHarness> {
  const api = await startFakeApi();
  const server = await startTestServer({ env: { NANGO_SECRET_KEY: HARNESS_SECRET_KEY, NANGO_PROXY_TIMEOUT_MS: '1500', ...options.env }, ...(options.logger ? { logger: options.logger } : {}) });
  const admin = async (query: string, input: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${HARNESS_SECRET_KEY}` },
      body: JSON.stringify({ query, variables: { input } }),
    });
    const body = (await response.json()) as { errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  };
  await admin('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { key: 'apikey', provider: 'custom-api-key', baseUrl: `${api.url}/v1` });
  await admin('mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }', { providerConfigKey: 'apikey', connectionId: 'u1', apiKey: options.apiKey });
  const { port } = new URL(server.url);
  return {
    server,
    api,
    proxy: (path, init = {}) =>
      fetch(`${server.url}/proxy${path}`, {
        ...init,
        headers: { authorization: `Bearer ${HARNESS_SECRET_KEY}`, 'provider-config-key': 'apikey', 'connection-id': 'u1', ...(init.headers as Record<string, string>) },
      }),
    rawHeaders: `authorization: Bearer ${HARNESS_SECRET_KEY}\r\nprovider-config-key: apikey\r\nconnection-id: u1\r\n`,
    raw: (text) =>
      new Promise((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => undefined);
        socket.setTimeout(5000, () => socket.destroy());
      }),
    close: async () => {
      await server.stop();
      await api.close();
    },
  };
}
