// References for bench/proxy.ts: a bare Node reverse proxy (node:http both
// ways, a keep-alive agent) that forwards every request to the upstream with a
// fixed Authorization header and pipes the answer back. No authentication of
// the caller, no header policy. With a database URL as third argument it first
// reads the connection's row (as the floor of bench/floor-server.ts does, the
// credentials left sealed): the least a proxy that looks up credentials does.
import http from 'node:http';
import pg from 'pg';

const [port, upstream, databaseUrl] = [Number(process.argv[2]), new URL(process.argv[3]!), process.argv[4]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 10 }) : null;

function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers = { ...req.headers, host: upstream.host, authorization: 'Bearer bench-api-key' };
  const outgoing = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url!.replace(/^\/proxy/, ''), headers, agent }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    answer.pipe(res);
  });
  outgoing.on('error', () => res.destroy());
  req.pipe(outgoing);
}

http
  .createServer((req, res) => {
    if (!pool) return forward(req, res);
    pool
      .query({ name: 'bare-read', text: 'SELECT credentials FROM connections WHERE provider_config_key = $1 AND connection_id = $2', values: [req.headers['provider-config-key'], req.headers['connection-id']] })
      .then(() => forward(req, res), () => res.destroy());
  })
  .listen(port, '127.0.0.1');
