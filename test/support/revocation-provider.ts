// A local OAuth 2 provider with an RFC 7009 revocation endpoint whose answer
// the test chooses (accept, 204, refuse, hang): one path prefix per template,
// each revocation request recorded as it arrived.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type RevocationAnswer = 'ok' | 'no-content' | 'refuse' | 'hang';

export interface RevocationRequest {
  template: string;
  form: Record<string, string>;
  authorization: string | undefined;
}

export interface RevocationProvider {
  url: string;
  /** What the revocation endpoint answers next. */
  answer: RevocationAnswer;
  revocations: RevocationRequest[];
  /** Awaited before a revocation is answered (e.g. to refresh the connection meanwhile); cleared after one use. */
  beforeAnswer: ((request: RevocationRequest) => Promise<void>) | null;
  close(): Promise<void>;
}

/** Templates under these prefixes issue no refresh token. */
const WITHOUT_REFRESH_TOKEN = new Set(['rev-norefresh']);

export async function startRevocationProvider(): Promise<RevocationProvider> {
  const hanging = new Set<http.ServerResponse>();
  const provider: RevocationProvider = {
    url: '',
    answer: 'ok',
    revocations: [],
    beforeAnswer: null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider.invalid');
    const [template = '', action = ''] = url.pathname.slice(1).split('/');
    if (action === 'authorize') {
      const back = new URL(url.searchParams.get('redirect_uri') ?? 'http://invalid.invalid/');
      back.searchParams.set('code', `code-${randomBytes(4).toString('hex')}`);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (action === 'token') {
        const tokens: Record<string, unknown> = { access_token: `at-${randomBytes(12).toString('hex')}`, token_type: 'bearer', expires_in: 3600 };
        if (!WITHOUT_REFRESH_TOKEN.has(template)) tokens.refresh_token = `rt-${randomBytes(12).toString('hex')}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens));
        return;
      }
      if (action !== 'revoke') {
        res.writeHead(404).end();
        return;
      }
      const form = Object.fromEntries(new URLSearchParams(body));
      const request = { template, form, authorization: req.headers.authorization };
      provider.revocations.push(request);
      const before = provider.beforeAnswer;
      provider.beforeAnswer = null;
      void (before?.(request) ?? Promise.resolve()).then(() => answer(provider.answer, res, form, hanging));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return provider;
}

function answer(kind: RevocationAnswer, res: http.ServerResponse, form: Record<string, string>, hanging: Set<http.ServerResponse>): void {
  switch (kind) {
    case 'ok':
      res.writeHead(200).end();
      return;
    case 'no-content':
      res.writeHead(204).end();
      return;
    case 'refuse':
      // Some providers echo what they were sent: the server must not pass it on.
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_client', error_description: `Client authentication failed for token ${form.token} (secret ${form.client_secret})` }));
      return;
    case 'hang':
      hanging.add(res);
      return;
  }
}
