// `npm start`: settings → server, and a clean stop on SIGINT/SIGTERM.
import { EmbeddedDatabaseError, releaseSignalHandlers } from './db/embedded.js';
import { EncryptionKeyError } from './db/encryption.js';
import { createLogger, errorSummary } from './log.js';
import { loadSettingsOrExit } from './settings.js';
import { startServer } from './start.js';

async function main(): Promise<void> {
  const settings = loadSettingsOrExit();
  const logger = createLogger(settings.logLevel);
  let server;
  try {
    server = await startServer(settings, logger);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseError || error instanceof EncryptionKeyError) {
      logger.fatal(error.message);
    } else {
      logger.fatal({ err: errorSummary(error) }, 'the server could not start');
    }
    process.exit(1);
  }
  logger.info(
    { port: server.port, serverUrl: settings.serverUrl },
    `Nango token service listening on http://localhost:${server.port} (GraphiQL at http://localhost:${server.port}/graphql)`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing the requests under way');
    server
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: errorSummary(error) }, 'error while stopping');
        process.exit(1);
      });
  };
  releaseSignalHandlers();
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
