// The operator's web page on an origin of its own (a loopback port), as a
// browser test's starting point: the SDK is then imported across origins, as
// from a real product's page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppPage {
  url: string;
  close(): Promise<void>;
}

/** Serves `html(request URL)` at every path. */
export async function serveAppPage(html: (url: URL) => string): Promise<AppPage> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(html(new URL(req.url ?? '/', 'http://app')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
