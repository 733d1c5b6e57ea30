// The Python SDK (clients/python) against a real server with a secret key: its
// unittest suite reads tokens, connections and errors through the generated
// operations, calls the proxy, and verifies a webhook delivery the server signed.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSdkServer, type SdkServer } from './support/sdk-fixtures.js';

const PYTHON_SDK = fileURLToPath(new URL('../clients/python', import.meta.url));

let sdk: SdkServer;

beforeAll(async () => {
  sdk = await startSdkServer();
}, 30_000);
afterAll(async () => {
  await sdk?.server.stop();
  await sdk?.api.close();
});

describe('the Python SDK', () => {
  it('passes its unittest suite against the live server, none of it skipped', async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        'python3',
        ['-m', 'unittest', 'discover', '-v'],
        { cwd: PYTHON_SDK, timeout: 60_000, env: { ...process.env, ...sdk.env, PYTHONPATH: PYTHON_SDK, PYTHONDONTWRITEBYTECODE: '1' } },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    if (result.code !== 0) console.error(result.output);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/Ran \d+ tests/);
    expect(result.output).not.toMatch(/skipped/);
    expect(result.output).toMatch(/test_get_token_returns_the_api_key_the_server_holds .* ok/);
    expect(result.output).toMatch(/test_accepts_the_delivery_the_server_signed .* ok/);
    for (const name of ['get_sends_params_and_headers_with_the_connections_key', 'post_sends_a_dict_as_json', 'returns_the_providers_404_without_raising', 'returns_a_providers_redirect_unfollowed', 'raises_the_servers_own_refusal_with_its_code']) {
      expect(result.output).toMatch(new RegExp(`test_proxy_${name} .* ok`));
    }
  }, 90_000);
});
