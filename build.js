// `npm run build`: the TypeScript of server/, schema/, clients/ and cli/ as plain
// JavaScript under dist/, beside the files the code reads next to itself.
// esbuild, not tsc: it is a production dependency (the Docker image builds after
// `npm install --omit=dev`) and transpiles the tree in a fraction of a second,
// so `npm start` can rebuild every time and never run a stale dist/.
// Type checking stays with `npm run typecheck`.
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(ROOT, 'dist');
const SOURCES = ['server', 'schema', 'clients', 'cli'];

// Files the code opens through import.meta.url: migrations/*.sql, providers.json,
// and the browser SDK's source, which the server transpiles at start-up.
const isAsset = (file) => file.startsWith(`server${path.sep}`) ? !file.endsWith('.ts') : file === path.join('clients', 'frontend', 'index.ts');

async function filesUnder(folder) {
  const entries = await readdir(path.join(ROOT, folder), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(ROOT, path.join(entry.parentPath ?? entry.path, entry.name)));
}

const files = (await Promise.all(SOURCES.map(filesUnder))).flat();
const modules = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'));

// A source deleted since the last build must not live on in dist/.
await rm(OUT, { recursive: true, force: true });
await build({
  entryPoints: modules.map((file) => path.join(ROOT, file)),
  outdir: OUT,
  outbase: ROOT,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // One output file per source: node_modules are resolved by Node at run time, as in development.
  bundle: false,
  logLevel: 'warning',
});
await Promise.all(files.filter(isAsset).map((file) => cp(path.join(ROOT, file), path.join(OUT, file))));
