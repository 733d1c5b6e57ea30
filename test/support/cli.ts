// Runs the real `nango` command as a subprocess, as a user's shell would.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const NANGO = fileURLToPath(new URL('../../cli/bin/nango.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment is only PATH plus `env`: nothing leaks in from the test process. `stdin` is written to the command's standard input. */
export function runNango(args: string[], env: Record<string, string>, stdin?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [NANGO, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}
