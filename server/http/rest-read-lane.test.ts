// Which requests the lane takes; test/rest-read-lane.test.ts holds its answers
// to the router's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { Core } from '../core/core.js';
import { createLogger } from '../log.js';
import { createMetrics } from './metrics.js';
import { restReadLane } from './rest-read-lane.js';

describe('the REST read lane', () => {
  // The reads themselves are not reached: the core's lists and reads are replaced by recorders.
  const reads: string[] = [];
  const core = {
    freshCredentials: { get: async (key: string, id: string) => { reads.push(`read ${key} ${id}`); throw new Error('recorded'); } },
    connections: { listSummaries: async (options: { first?: number }) => { reads.push(`list ${options.first}`); throw new Error('recorded'); } },
  } as unknown as Core;
  const lane = restReadLane({ core, logger: createLogger('silent'), metrics: createMetrics({ state: () => ({}) } as never, { state: () => ({ open: 0, connecting: 0 }) } as never) });
  const takes = (method: string, url: string, headers: Record<string, string> = {}) =>
    lane({ method, url, headers } as IncomingMessage, { setHeader() {}, end() {} } as unknown as ServerResponse);

  it('takes the token read and the list, with or without a query', async () => {
    expect(takes('GET', '/connection/u1?provider_config_key=github')).toBe(true);
    expect(takes('GET', '/connection/with%20space?provider_config_key=github')).toBe(true);
    expect(takes('GET', '/connection?first=7')).toBe(true);
    expect(takes('GET', '/connection')).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toEqual(['read github u1', 'read github with space', 'list 7', 'list 100']);
  });

  it('leaves everything else to the router', () => {
    for (const [method, url, headers] of [
      ['POST', '/connection/u1?provider_config_key=github', {}],
      ['DELETE', '/connection/u1?provider_config_key=github', {}],
      ['GET', '/connection/u1', { 'content-length': '2' }],
      ['GET', '/connection', { 'transfer-encoding': 'chunked' }],
      ['GET', '/connection/', {}],
      ['GET', '/connection/u1/extra', {}],
      ['GET', '/connection/%E0%A4%A', {}],
      ['GET', '/connections', {}],
      ['GET', '/connectionx?first=1', {}],
      ['GET', '/graphql', {}],
    ] as Array<[string, string, Record<string, string>]>) {
      expect([method, url, takes(method, url, headers)]).toEqual([method, url, false]);
    }
  });
});
