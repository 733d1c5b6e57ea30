// The attack (a careless backend's): calls with Retries, meets a 429 with
// Retry-After, and goes away while the proxy waits (a client timeout, a
// deploy). The wait's abandonment escaped as a bare UpstreamFailure, which the
// error face takes for a fault of the service: an `unexpected error` at error
// level, with its stack, for every such caller — pages for nobody's fault.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createLogger } from '../../server/log.js';
import { startProxyHarness, type ProxyHarness } from '../support/proxy-harness.js';

const API_KEY = 'key-gone-0123456789-abcdef';
const logLines: string[] = [];
let harness: ProxyHarness;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  harness = await startProxyHarness({ apiKey: API_KEY, logger: createLogger('trace', sink) });
});

afterAll(async () => {
  await harness?.close();
});

it.each([
  ['a 429 with Retry-After', (res: import('node:http').ServerResponse) => ((res.statusCode = 429), res.setHeader('retry-after', '3'), res.end('later'))],
  ['a network failure', (res: import('node:http').ServerResponse) => void res.socket?.destroy()],
])('logs no error when the caller leaves while the proxy waits after %s', async (_name, answer) => {
  let calls = 0;
  harness.api.handlers.set('/v1/wait', (_request, res) => {
    calls++;
    answer(res);
  });
  const from = logLines.length;
  const controller = new AbortController();
  const call = harness.proxy('/wait', { headers: { retries: '5' }, signal: controller.signal }).catch((error: unknown) => error);
  for (let waited = 0; calls === 0 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort();
  await call;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = logLines.slice(from).map((line) => JSON.parse(line) as { level: number; msg: string });
  expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  expect(logLines.slice(from).join('\n')).not.toContain(API_KEY);
  expect(calls).toBe(1);
});
