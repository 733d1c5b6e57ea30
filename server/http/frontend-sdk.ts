// /sdk/frontend.js: the browser SDK (clients/frontend/index.ts) as a plain ES
// module, transpiled once at start-up.
import { readFile } from 'node:fs/promises';
import { transform } from 'esbuild';
import type { Hono } from 'hono';

const SOURCE = new URL('../../clients/frontend/index.ts', import.meta.url);

export async function mountFrontendSdk(app: Hono): Promise<void> {
  const source = await readFile(SOURCE, 'utf8');
  const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2020' });
  app.get('/sdk/frontend.js', (c) =>
    c.body(code, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      // A page on any origin imports it, as in the quick start.
      'access-control-allow-origin': '*',
    }),
  );
}
