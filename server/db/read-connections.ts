// The connections the hot reads share (the token read and the pages of the
// list). Taken from a pool, every read holds a connection of its own for a
// whole round trip, and Postgres wakes up once per statement. Here concurrent
// reads are written one behind another on a couple of connections in pg's
// pipeline mode (https://node-postgres.com/features/pipelining): Postgres
// answers them in order, and answers that arrive together are read together
// (see the README's performance section for what it bought). Each statement
// still gets its own result or error. The statements sent while the event loop
// handles one batch of ready sockets leave in one write (the socket is corked
// until setImmediate): a write to Postgres on loopback was a fifth of the CPU
// of a page of the list, and it was one system call per statement.
//
// Only reads go through here, so a read whose connection was lost under it
// (Postgres restarted, or ended the session) is sent once more on a fresh one
// instead of failing: a restart of the database costs the reads under way
// nothing when it is back by then.
import net from 'node:net';
import pg from 'pg';
import { DATABASE_TIMEOUT_MS, DatabaseTimeoutError } from './failures.js';
import { fastTypes } from './timestamps.js';

/** Two: one connection would serialize every read in one Postgres process, on a machine with more than one core. */
const CONNECTIONS = 2;
/** A read that takes longer is cancelled by Postgres, so that it cannot hold up the reads behind it for long. */
const STATEMENT_TIMEOUT_MS = 10_000;

/** SQLSTATEs by which Postgres says the session is over: admin_shutdown, crash_shutdown, cannot_connect_now. */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);

export class ReadConnectionsClosedError extends Error {
  override name = 'ReadConnectionsClosedError';
}

export interface ReadConnectionsState {
  open: number;
  connecting: number;
}

interface ReadConnection {
  client: pg.Client;
  /** The client's socket (made here, so that it can be corked). */
  socket: net.Socket;
  /** Corked until the next setImmediate. */
  corked: boolean;
  /** Pending until connected, then null (the hot path checks it and goes straight to the client). */
  ready: Promise<void> | null;
  /** Set when the connection failed or ended: its slot is freed for a new one. */
  lost: boolean;
  /** Statements written, and answered (one ReadyForQuery each): the watchdog's view of progress. */
  sent: number;
  answered: number;
  /** The watchdog's looks in a row that found reads waiting and no answer since the last. */
  quietLooks: number;
  answeredAtLastLook: number;
  /** Ended by the watchdog: the database stopped answering, and its reads are not sent again. */
  stalled: boolean;
}

/**
 * How often the watchdog looks; a connection whose reads get no answer for
 * DATABASE_TIMEOUT_MS is ended, which fails them (pg's own query_timeout would
 * do the same with a timer per read, which cost the token read 2-3 µs).
 */
const WATCHDOG_MS = 1_000;
const QUIET_LOOKS = Math.ceil(DATABASE_TIMEOUT_MS / WATCHDOG_MS);

export class ReadConnections {
  private readonly slots: Array<ReadConnection | undefined> = new Array(CONNECTIONS).fill(undefined);
  private turn = 0;
  private closed = false;
  /** The connections corked in this turn of the event loop, uncorked together. */
  private readonly corked: ReadConnection[] = [];
  private readonly uncorkAll = () => {
    for (const connection of this.corked) {
      connection.corked = false;
      connection.socket.uncork();
    }
    this.corked.length = 0;
  };

  private readonly watchdog = setInterval(() => this.look(), WATCHDOG_MS).unref();

  constructor(
    private readonly connectionString: string,
    /** Told of a connection that failed (it is replaced on the next read). */
    private readonly onError: (error: Error) => void,
  ) {}

  /** Runs one read-only statement (`rowMode: 'array'` for rows as arrays). */
  query<Row extends pg.QueryResultRow>(config: pg.QueryConfig | pg.QueryArrayConfig): Promise<pg.QueryResult<Row>> {
    return this.run<Row>(config as pg.QueryConfig);
  }

  state(): ReadConnectionsState {
    const connections = this.slots.filter((slot) => slot !== undefined);
    const connecting = connections.filter((slot) => slot.ready !== null).length;
    return { open: connections.length - connecting, connecting };
  }

  /** Waits for the reads under way, then closes the connections; later reads are refused. */
  async end(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const connections = this.slots.splice(0, CONNECTIONS, ...new Array<undefined>(CONNECTIONS));
    await Promise.all(
      connections.map(async (connection) => {
        if (!connection) return;
        await connection.ready?.catch(() => undefined);
        if (!connection.lost) await connection.client.end();
      }),
    );
  }

  /**
   * `retrySlot`, on the one retry: the slot of the connection just lost, where the read is
   * sent again on a new connection (not the other slot's, which may be going down too).
   */
  private run<Row extends pg.QueryResultRow>(config: pg.QueryConfig, retrySlot?: number): Promise<pg.QueryResult<Row>> {
    if (this.closed) return Promise.reject(new ReadConnectionsClosedError('the read connections are closed'));
    const slot = retrySlot ?? (this.turn = (this.turn + 1) % CONNECTIONS);
    const connection = this.slots[slot] ?? this.open(slot);
    let result: Promise<pg.QueryResult<Row>>;
    if (connection.ready === null) {
      if (!connection.corked) this.cork(connection);
      connection.sent++;
      result = connection.client.query<Row>(config);
    } else {
      result = connection.ready.then(() => {
        connection.sent++;
        return connection.client.query<Row>(config);
      });
    }
    if (retrySlot !== undefined) return result;
    return result.catch((error: unknown) => {
      const sessionEnded = error instanceof pg.DatabaseError && error.code !== undefined && SESSION_ENDED.has(error.code);
      if (connection.stalled) throw new DatabaseTimeoutError(`the database gave no answer to a read within ${DATABASE_TIMEOUT_MS} ms`, { cause: error });
      if (!connection.lost && !sessionEnded) throw error;
      this.retire(connection);
      return this.run<Row>(config, slot);
    });
  }

  private cork(connection: ReadConnection): void {
    connection.corked = true;
    connection.socket.cork();
    if (this.corked.push(connection) === 1) setImmediate(this.uncorkAll);
  }

  private open(slot: number): ReadConnection {
    const socket = new net.Socket();
    const client = new pg.Client({
      stream: () => socket,
      connectionString: this.connectionString,
      types: fastTypes,
      pipeline: true,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      // A database that does not answer (frozen, or gone without a word) fails the reads waiting
      // for it instead of holding them: here for a new connection, and the watchdog for reads.
      connectionTimeoutMillis: DATABASE_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'nango-reads',
    });
    const connection: ReadConnection = { client, socket, corked: false, ready: null, lost: false, sent: 0, answered: 0, quietLooks: 0, answeredAtLastLook: 0, stalled: false };
    connection.ready = client.connect().then(
      () => {
        connection.ready = null;
        // Each statement in the pipeline ends with its own ReadyForQuery (the connection's own came before this).
        (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => connection.answered++);
      },
      (error: unknown) => {
        this.retire(connection);
        throw error;
      },
    );
    // Without an 'error' listener, a connection that drops would bring the process down.
    client.on('error', (error) => {
      this.retire(connection);
      this.onError(error);
    });
    client.on('end', () => this.retire(connection));
    this.slots[slot] = connection;
    return connection;
  }

  /** Ends the connections whose reads have waited DATABASE_TIMEOUT_MS without an answer (a frozen or silent database). */
  private look(): void {
    for (const connection of this.slots) {
      if (!connection || connection.ready !== null || connection.lost) continue;
      const waiting = connection.sent > connection.answered;
      connection.quietLooks = waiting && connection.answered === connection.answeredAtLastLook ? connection.quietLooks + 1 : 0;
      connection.answeredAtLastLook = connection.answered;
      if (connection.quietLooks >= QUIET_LOOKS) {
        connection.stalled = true;
        this.onError(new DatabaseTimeoutError(`a read connection got no answer for ${DATABASE_TIMEOUT_MS} ms: ended`));
        this.retire(connection);
        connection.socket.destroy();
      }
    }
  }

  /** Frees the connection's slot; the next read there opens a new one. */
  private retire(connection: ReadConnection): void {
    const slot = this.slots.indexOf(connection);
    if (slot !== -1) this.slots[slot] = undefined;
    if (connection.lost) return;
    connection.lost = true;
    // A session that Postgres ended closes its socket too; this makes sure of it.
    connection.client.end().catch(() => undefined);
  }
}
