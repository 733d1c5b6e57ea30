// The API both proxies in bench/proxy.ts call: a small JSON answer for any path,
// and at /large a download of the size asked for (?mb=), written as fast as
// the reader takes it.
import http from 'node:http';

const port = Number(process.argv[2]);
const ANSWER = JSON.stringify({ id: 42, login: 'octocat', type: 'User', site_admin: false, name: 'The Octocat', company: '@github', public_repos: 8 });
const CHUNK = Buffer.alloc(64 * 1024, 97);

http
  .createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/large') {
      let left = Number(url.searchParams.get('mb') ?? 100) * 1024 * 1024;
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(left));
      const write = () => {
        while (left > 0) {
          const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
          left -= chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
      return;
    }
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(ANSWER);
  })
  .listen(port, '127.0.0.1');
