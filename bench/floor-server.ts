// The floor: a bare node:http + pg server doing the same single-row read as a
// token read (credentials by config key and connection id), nothing else.
// With 'pipelined' as third argument it reads on two connections in pg's
// pipeline mode, as the server's read connections do, instead of a pool of ten:
// a reference row that shows what that technique alone buys a bare server.
import http from 'node:http';
import pg from 'pg';

const [databaseUrl, port, mode] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const query = await reader(mode === 'pipelined');

http
  .createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://floor');
    const connectionId = decodeURIComponent(url.pathname.split('/')[2] ?? '');
    const { rows } = await query({
      name: 'floor-read',
      text: 'SELECT credentials, expires_at FROM connections WHERE provider_config_key = $1 AND connection_id = $2',
      values: [url.searchParams.get('provider_config_key'), connectionId],
    });
    res.setHeader('content-type', 'application/json');
    // The row as it is (encrypted when the server runs with a key): the floor does no work of ours.
    res.end(rows[0] ? JSON.stringify({ credentials: rows[0].credentials, expires_at: rows[0].expires_at }) : '{}');
  })
  .listen(port, () => console.log('floor listening on', port));

async function reader(pipelined: boolean): Promise<(config: pg.QueryConfig) => Promise<pg.QueryResult>> {
  if (!pipelined) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    return (config) => pool.query(config);
  }
  const clients = [0, 1].map(() => new pg.Client({ connectionString: databaseUrl, pipeline: true }));
  await Promise.all(clients.map((client) => client.connect()));
  let turn = 0;
  return (config) => clients[(turn = 1 - turn)]!.query(config);
}

// Exit normally on SIGTERM, so that --cpu-prof writes the floor's profile too.
process.on('SIGTERM', () => process.exit(0));
