import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  await globalThis.__embeddedTestDatabase?.stop();
  // Stopping removes the cluster; the folder around it (and its password file) is ours too.
  if (globalThis.__embeddedTestDataDir) await rm(globalThis.__embeddedTestDataDir, { recursive: true, force: true });
}
