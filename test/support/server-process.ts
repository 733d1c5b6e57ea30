// The server as its own OS process (`node dist/server/main.js`, what `npm start` runs;
// jest's global setup builds dist/), for tests of several instances sharing one
// database and of how the process starts and stops.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Everything the process printed so far. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** `cwd`: a checkout other than this one (with its own node_modules). */
export async function spawnServer(env: Record<string, string>, cwd = ROOT): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    cwd,
    // The fake providers and the OIDC issuer live on loopback; a test of the URL policy overrides this.
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'info', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server process did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // The whole line, not just its start: a chunk may end half way through it.
      if (/listening on[^\n]*\n/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}: ${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    exited,
    output: () => output,
    kill: (signal) => child.kill(signal),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
