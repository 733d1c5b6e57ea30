// The floor: a bare node:http + pg server doing the same single-row read as a
// token read (credentials by config key and connection id), nothing else.
import http from 'node:http';
import pg from 'pg';

const [databaseUrl, port] = [process.argv[2], Number(process.argv[3])];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

http
  .createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://floor');
    const connectionId = decodeURIComponent(url.pathname.split('/')[2] ?? '');
    const { rows } = await pool.query({
      name: 'floor-read',
      text: 'SELECT credentials, expires_at FROM connections WHERE provider_config_key = $1 AND connection_id = $2',
      values: [url.searchParams.get('provider_config_key'), connectionId],
    });
    res.setHeader('content-type', 'application/json');
    // The row as it is (encrypted when the server runs with a key): the floor does no work of ours.
    res.end(rows[0] ? JSON.stringify({ credentials: rows[0].credentials, expires_at: rows[0].expires_at }) : '{}');
  })
  .listen(port, () => console.log('floor listening on', port));

// Exit normally on SIGTERM, so that --cpu-prof writes the floor's profile too.
process.on('SIGTERM', () => process.exit(0));
