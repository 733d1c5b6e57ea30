// The README's signature checks, as a reader would paste them: the Python and
// Go snippets run (real python3 and go) against a delivery the server really
// sent, and refuse the same delivery with its body changed or a wrong secret.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from './support/server.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

interface Delivery {
  headers: Record<string, string>;
  body: string;
}

let server: TestServer;
let workDir: string;
let secret: string;
let delivery: Delivery;

/** The fenced block of `language` in the README's "Verifying a delivery" part. */
async function snippet(language: string): Promise<string> {
  const text = await readFile(README, 'utf8');
  const part = text.slice(text.indexOf('Verifying a delivery'));
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(part);
  if (!block) throw new Error(`no ${language} block after "Verifying a delivery" in the README`);
  return block[1]!;
}

function run(command: string, args: string[], options: { cwd: string; input?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd: options.cwd, timeout: 120_000, env: { ...process.env, GOFLAGS: '-mod=mod', GOCACHE: path.join(workDir, 'go-cache'), HOME: workDir } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'nango-verify-'));
  server = await startTestServer();
  let received!: (value: Delivery) => void;
  const arrived = new Promise<Delivery>((resolve) => (received = resolve));
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(204).end();
      received({
        headers: { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) },
        body: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const created = await server.graphql('mutation ($url: String!) { createWebhookEndpoint(input: { url: $url }) { secret } }', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
    secret = created.data.createWebhookEndpoint.secret;
    await server.graphql('mutation { createProviderConfig(input: { key: "docs", provider: "custom", clientId: "id", clientSecret: "s", scopes: [], authorizationUrl: "http://127.0.0.1:9/a", tokenUrl: "http://127.0.0.1:9/t" }) { key } }');
    delivery = await arrived;
  } finally {
    receiver.closeAllConnections();
    receiver.close();
  }
}, 30_000);
afterAll(async () => {
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/** The three cases each snippet must get right: the real delivery, a changed body, a wrong secret. */
const CASES = () => [
  { secret, body: delivery.body, valid: true },
  { secret, body: delivery.body.replace('"docs"', '"evil"'), valid: false },
  { secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`, body: delivery.body, valid: false },
];

describe("the README's webhook verification", () => {
  it('in Python accepts the real delivery and refuses a changed body or a wrong secret', async () => {
    const program = `${await snippet('python')}
import json, sys
for case in json.load(sys.stdin):
    print(verify(case["secret"], case["headers"], case["body"].encode()))
`;
    await writeFile(path.join(workDir, 'verify.py'), program);
    const result = await run('python3', ['verify.py'], { cwd: workDir, input: JSON.stringify(CASES().map((each) => ({ ...each, headers: delivery.headers }))) });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(CASES().map((each) => (each.valid ? 'True' : 'False')));
  });

  it('in Go accepts the real delivery and refuses a changed body or a wrong secret', async () => {
    const program = `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

${await snippet('go')}
func main() {
	var cases []struct {
		Secret  string            \`json:"secret"\`
		Headers map[string]string \`json:"headers"\`
		Body    string            \`json:"body"\`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	for _, c := range cases {
		h := http.Header{}
		for name, value := range c.Headers {
			h.Set(name, value)
		}
		fmt.Println(Verify(c.Secret, h, []byte(c.Body)))
	}
}
`;
    await writeFile(path.join(workDir, 'verify.go'), program);
    const result = await run('go', ['run', 'verify.go'], { cwd: workDir, input: JSON.stringify(CASES().map((each) => ({ ...each, headers: delivery.headers }))) });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(CASES().map((each) => (each.valid ? 'true' : 'false')));
  }, 120_000);
});
