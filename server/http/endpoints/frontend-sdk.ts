// /sdk/frontend.js: the browser SDK (clients/frontend/index.ts) as a plain ES
// module, transpiled once at start-up.
import { readFile } from 'node:fs/promises';
import { transform } from 'esbuild';
import type { Reply, RouteRequest, Services } from '../route.js';

const SOURCE = new URL('../../../clients/frontend/index.ts', import.meta.url);

export async function compileFrontendSdk(): Promise<string> {
  const source = await readFile(SOURCE, 'utf8');
  return (await transform(source, { loader: 'ts', format: 'esm', target: 'es2020' })).code;
}

export async function frontendSdk(_request: RouteRequest, services: Services): Promise<Reply> {
  return {
    status: 200,
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      // A page on any origin imports it, as in the quick start.
      'access-control-allow-origin': '*',
    },
    body: services.frontendSdk,
  };
}
