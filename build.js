// `npm run build`: the TypeScript of server/, schema/ and clients/ as plain JavaScript
// under dist/, beside the files the code reads next to itself, and the CLI as one file.
// esbuild, not tsc: it is a production dependency (the Docker image builds after
// `npm install --omit=dev`) and transpiles the tree in a fraction of a second, so
// `npm start` rebuilds every time and never runs a stale dist/ after a git pull.
// Type checking stays with `npm run typecheck`.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(ROOT, 'dist');
const SOURCES = ['server', 'schema', 'clients', 'cli'];

// Files the code opens through import.meta.url: migrations/*.sql, providers.json,
// the browser SDK's source, which the server transpiles at start-up, and the
// dashboard's sources, which it bundles on the first visit.
const DASHBOARD = path.join('clients', 'dashboard') + path.sep;
const isAsset = (file) =>
  file.startsWith(`server${path.sep}`) ? !file.endsWith('.ts') : file === path.join('clients', 'frontend', 'index.ts') || file.startsWith(DASHBOARD);

async function filesUnder(folder) {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

const files = (await Promise.all(SOURCES.map((folder) => filesUnder(path.join(ROOT, folder))))).flat();
const common = { outdir: OUT, outbase: ROOT, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'warning' };
const [server, cli] = await Promise.all([
  build({
    ...common,
    entryPoints: files.filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts') && !file.startsWith(path.join(ROOT, 'cli')) && !file.startsWith(path.join(ROOT, DASHBOARD)) && !file.includes(`${path.sep}dist${path.sep}`),
    ),
    // One output file per source: Node resolves node_modules at run time, as in development.
    bundle: false,
  }),
  // The CLI is one file with its dependencies: `nango help` spends most of its time loading
  // yargs, and one file instead of yargs' several dozen cut that from about 100 to 70 ms
  // (`node -e 0` takes 20). The SDK, needed only by commands that call the server, is a
  // chunk of its own, loaded on first use.
  build({
    ...common,
    entryPoints: [path.join(ROOT, 'cli', 'index.ts')],
    outdir: path.join(OUT, 'cli'),
    outbase: path.join(ROOT, 'cli'),
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
]);
const outputFiles = [...server.outputFiles, ...cli.outputFiles];
const wanted = new Map(outputFiles.map((output) => [output.path, output.contents]));
for (const file of files.filter((file) => isAsset(path.relative(ROOT, file)))) {
  wanted.set(path.join(OUT, path.relative(ROOT, file)), await readFile(file));
}
// The version the server reports (server/version.ts reads it beside itself).
wanted.set(path.join(OUT, 'package.json'), await readFile(path.join(ROOT, 'package.json')));

// Only what changed is written, each file whole (a new file renamed over the old), and
// nothing is emptied first: a server or CLI starting from dist/ while another `npm start`
// builds (tests run several) never reads a missing or half-written module.
await Promise.all(
  [...wanted].map(async ([file, contents]) => {
    const current = await readFile(file).catch(() => null);
    if (current?.equals(contents)) return;
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, contents);
    await rename(partial, file);
  }),
);
// A source deleted since the last build must not live on in dist/.
for (const file of await filesUnder(OUT)) {
  if (!wanted.has(file) && !file.endsWith('.partial')) await rm(file, { force: true });
}
