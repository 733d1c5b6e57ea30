// Red team, attacks that held: a connect session token (a bearer credential
// for one connection) appears in no log line at the most talkative level and
// in no answer but the one that creates it, through every way a flow with it
// can go: completed, reused, refused for another connection, expired, malformed.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../../server/log.js';
import { connectFetch, walkFlow } from '../support/flow-client.js';
import { startIdpServer } from '../support/idp-server.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import type { TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-redteam-leaks-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
const lines: string[] = [];
let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  ({ server, issuer } = await startIdpServer({ secretKey: SECRET_KEY, logger: createLogger('trace', sink), env: { NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64'), NANGO_MAX_OPEN_FLOWS_PER_CLIENT: '2' } }));
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

async function session(connectionId: string): Promise<string> {
  const response = await fetch(`${server.url}/connect/sessions`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ provider_config_key: 'idp', connection_id: connectionId }) });
  return ((await response.json()) as { data: { token: string } }).data.token;
}

describe('a connect session token', () => {
  it('is in no log line and no answer, whatever the flow it opens becomes', async () => {
    const tokens: string[] = [];
    const answers: string[] = [];
    const visit = async (url: string) => {
      const done = await walkFlow(url);
      // Every page, and every URL visited after the link itself (the confirmation posts back to the link: the same URL).
      answers.push(done.html, ...done.visited.slice(1).filter((visited) => visited !== url));
      return done;
    };
    const completed = await session('leak-done');
    tokens.push(completed);
    expect((await visit(`${server.url}/oauth/connect/idp?connect_session_token=${completed}`)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await visit(`${server.url}/oauth/connect/idp?connect_session_token=${completed}`)).message?.data.error.type).toBe('invalid_connect_session');
    const other = await session('leak-other');
    tokens.push(other);
    expect((await visit(`${server.url}/oauth/connect/idp?connection_id=someone-else&connect_session_token=${other}`)).message?.data.error.type).toBe('invalid_connect_session');
    // Over the per-client cap: the refusal page is rendered at the URL that holds the token.
    for (let index = 0; index < 3; index++) await connectFetch(`${server.url}/oauth/connect/idp?connect_session_token=${other}`, { redirect: 'manual' }).then((r) => r.arrayBuffer());
    const capped = await connectFetch(`${server.url}/oauth/connect/idp?connect_session_token=${other}`, { redirect: 'manual' });
    expect(capped.status).toBe(429);
    expect(capped.headers.get('referrer-policy')).toBe('no-referrer');
    answers.push(await capped.text());
    const expired = await session('leak-expired');
    tokens.push(expired);
    await db.query("UPDATE connect_sessions SET expires_at = now() - interval '1 second'");
    expect((await visit(`${server.url}/oauth/connect/idp?connect_session_token=${expired}`)).message?.data.error.type).toBe('invalid_connect_session');
    const malformed = `${completed}x`;
    tokens.push(malformed);
    expect((await visit(`${server.url}/oauth/connect/idp?connect_session_token=${malformed}`)).message?.data.error.type).toBe('invalid_connect_session');
    expect(lines.length).toBeGreaterThan(5);
    for (const token of tokens) {
      expect(lines.filter((line) => line.includes(token.slice(4)))).toEqual([]);
      expect(answers.filter((answer) => answer.includes(token.slice(4)))).toEqual([]);
    }
  });
});
