// The Chromium the browser tests drive, ready before any test file starts:
// CHROMIUM_PATH when it is set (e.g. /usr/bin/chromium, a system install),
// else the build the npm package @sparticuz/chromium ships (a headless shell,
// brotli-compressed in the package, so `npm install` alone brings it, from the
// registry, on any x86-64 Linux). Its few libraries beyond libc (NSS, NSPR,
// expat) come with it and are put on the browser's LD_LIBRARY_PATH.
// Unpacked once per version into the temporary folder, each file renamed into
// place whole, so that runs started together never launch a half-written one.
// Plain JS: the global setup imports it outside Jest's module system.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';

const unbrotli = promisify(brotliDecompress);

/** Where the browser is and where its libraries are; also set as NANGO_TEST_CHROMIUM(_LIBS) for the test workers. */
export async function prepareChromium() {
  if (process.env.CHROMIUM_PATH) {
    if (!existsSync(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist: unset it to use the Chromium that npm install brought (@sparticuz/chromium)`);
    process.env.NANGO_TEST_CHROMIUM = process.env.CHROMIUM_PATH;
    return { executable: process.env.CHROMIUM_PATH, libraries: null, source: 'CHROMIUM_PATH' };
  }
  const bin = path.join(path.dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..', '..', 'bin');
  const { version } = JSON.parse(await readFile(path.join(bin, '..', 'package.json'), 'utf8'));
  const home = path.join(os.tmpdir(), `nango-test-chromium-${version}`);
  const executable = path.join(home, 'chromium');
  const libraries = path.join(home, 'lib');
  await mkdir(home, { recursive: true });
  if (!existsSync(executable)) {
    const partial = `${executable}.${process.pid}.partial`;
    await writeFile(partial, await unbrotli(await readFile(path.join(bin, 'chromium.br'))));
    await chmod(partial, 0o755);
    await rename(partial, executable);
  }
  if (!existsSync(libraries)) {
    const partial = `${libraries}.${process.pid}.partial`;
    await mkdir(partial, { recursive: true });
    const tarball = path.join(partial, 'libs.tar');
    await writeFile(tarball, await unbrotli(await readFile(path.join(bin, 'al2023.tar.br'))));
    // The archive holds lib/*.so: unpacked beside it, then its lib/ folder renamed into place.
    await promisify(execFile)('tar', ['-xf', tarball, '-C', partial]);
    await rename(path.join(partial, 'lib'), libraries).catch((error) => {
      if (!existsSync(libraries)) throw error;
    });
    await rm(partial, { recursive: true, force: true });
  }
  process.env.NANGO_TEST_CHROMIUM = executable;
  process.env.NANGO_TEST_CHROMIUM_LIBS = libraries;
  return { executable, libraries, source: `@sparticuz/chromium ${version}` };
}
