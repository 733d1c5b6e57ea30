import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { guardedFetch, ProviderAnswerTooLarge, type GuardOptions } from './guarded-fetch.js';
import { callProvider, discover, ProviderCallError } from './oauth2-client.js';
import { ProviderUrlRefused, providerUrlPolicy } from './url-policy.js';

const DEPLOYMENT = providerUrlPolicy(true, false);

// A listener that counts connections: "nothing was sent" means none came.
let listener: http.Server;
let port: number;
let connections = 0;
beforeAll(async () => {
  listener = http.createServer((_req, res) => res.writeHead(204, { connection: 'close' }).end());
  listener.on('connection', () => connections++);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => {
  listener.closeAllConnections();
  return new Promise<void>((resolve) => listener.close(() => resolve()));
});

/** A resolver that answers `addresses` for every name, as a rebinding attacker's DNS would. */
function resolvingTo(...addresses: string[]): GuardOptions {
  return { lookup: (_hostname, _options, callback) => callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))) };
}

/** The refusal, as thrown or as the cause of the connection's failure. */
function refusalIn(error: unknown): unknown {
  for (let current = error; current; current = (current as { cause?: unknown }).cause) if (current instanceof ProviderUrlRefused) return current;
  return error;
}

describe('provider calls under the URL policy', () => {
  it('refuses, at connect time, a public-looking name that resolves to loopback: nothing is sent', async () => {
    const before = connections;
    const fetch = guardedFetch(DEPLOYMENT, resolvingTo('127.0.0.1'));
    const failure = await fetch(`https://rebind.example:${port}/token`, { method: 'POST', body: 'client_secret=s' }).catch((error: unknown) => error);
    expect(refusalIn(failure)).toBeInstanceOf(ProviderUrlRefused);
    expect(connections).toBe(before);
  });

  it('refuses a name when any of its addresses is not public', async () => {
    const fetch = guardedFetch(DEPLOYMENT, resolvingTo('93.184.216.34', '10.0.0.7'));
    const failure = await fetch(`https://mixed.example:${port}/token`).catch((error: unknown) => error);
    expect(refusalIn(failure)).toBeInstanceOf(ProviderUrlRefused);
  });

  it('connects to the same name when private addresses are allowed (the check is the only difference)', async () => {
    const before = connections;
    const fetch = guardedFetch(providerUrlPolicy(true, true), resolvingTo('127.0.0.1'));
    const response = await fetch(`http://localhost:${port}/token`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(204);
    expect(connections).toBe(before + 1);
  });

  it('refuses an IP literal URL before any lookup or connection', async () => {
    const before = connections;
    await expect(guardedFetch(DEPLOYMENT)(`https://[::ffff:127.0.0.1]:${port}/token`)).rejects.toBeInstanceOf(ProviderUrlRefused);
    expect(connections).toBe(before);
  });

  it('refuses a discovery document that names a non-public token endpoint', async () => {
    const issuer = 'https://issuer.example';
    const document = { issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: 'http://0.0.0.0:4444/token', jwks_uri: `${issuer}/jwks` };
    const served: string[] = [];
    const fetch = async (url: string | URL) => {
      served.push(String(url));
      return new Response(JSON.stringify(document), { headers: { 'content-type': 'application/json' } });
    };
    await expect(discover(new URL(issuer), 5, DEPLOYMENT, fetch)).rejects.toThrow(/token_endpoint must not point at/);
    await expect(discover(new URL(issuer), 5, providerUrlPolicy(false, false), fetch)).rejects.toThrow(/token_endpoint must use https/);
    expect(served).toEqual([`${issuer}/.well-known/openid-configuration`, `${issuer}/.well-known/openid-configuration`]);
  });

  it('reads at most a megabyte of an answer: a larger one is a bad response, not a process out of memory', async () => {
    const flood = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const more = () => {
        while (sent < 4 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent >= 4 * 1024 * 1024) res.end();
      };
      res.on('drain', more);
      more();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(flood.address() as AddressInfo).port}/token`;
      const failure = await callProvider(() => guardedFetch(providerUrlPolicy(true, true))(url)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderCallError);
      expect((failure as ProviderCallError).failure).toBe('bad_response');
      expect((failure as ProviderCallError).cause).toBeInstanceOf(ProviderAnswerTooLarge);
    } finally {
      flood.closeAllConnections();
      await new Promise<void>((resolve) => flood.close(() => resolve()));
    }
  });
});
