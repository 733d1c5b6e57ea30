// A TCP proxy on loopback between the server and the test's Postgres, so that
// a test can take the database away from one server (refuse and drop its
// connections, as a stopped Postgres does) or freeze it (accept, but answer
// nothing, as a SIGSTOPped or partitioned one does) without touching the run's
// one Postgres, which other test files share.
import net from 'node:net';

export interface TcpProxy {
  /** The database URL, through the proxy. */
  url: string;
  /** Drops every connection and refuses new ones. */
  stop(): Promise<void>;
  /** Accepts again, on the same port. */
  start(): Promise<void>;
  /** Keeps connections open but passes no byte either way. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  const pairs = new Set<[net.Socket, net.Socket]>();
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    if (frozen) for (const socket of pair) socket.pause();
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    await closed;
  };
  return {
    url: url.toString(),
    stop,
    start: () => listen(port),
    freeze: () => {
      frozen = true;
      for (const pair of pairs) for (const socket of pair) socket.pause();
    },
    thaw: () => {
      frozen = false;
      for (const pair of pairs) for (const socket of pair) socket.resume();
    },
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
