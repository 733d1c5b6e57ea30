// `npm run db:rotate-key`: re-encrypts every secret under NANGO_ENCRYPTION_KEY
// (the new key), reading with NANGO_ENCRYPTION_KEY_PREVIOUS (the old one), in
// one transaction. Running servers keep reading throughout when they were
// started with both keys; see the README.
import { startEmbeddedPostgres } from './db/embedded.js';
import { EncryptionKeyError, rotateEncryptionKey } from './db/encryption.js';
import { migrate } from './db/migrate.js';
import { createDatabasePool } from './db/pool.js';
import { SecretBox } from './db/secret-box.js';
import { createLogger } from './log.js';
import { loadSettingsOrExit } from './settings.js';

async function main(): Promise<number> {
  const settings = loadSettingsOrExit();
  if (!settings.encryptionKey) {
    console.error('❌ Set NANGO_ENCRYPTION_KEY to the new key, and NANGO_ENCRYPTION_KEY_PREVIOUS to the current one.');
    return 1;
  }
  const logger = createLogger(settings.logLevel === 'info' ? 'warn' : settings.logLevel);
  const embedded = settings.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: settings.dataDir, logger });
  const databaseUrl = settings.databaseUrl ?? embedded!.url;
  try {
    await migrate(databaseUrl, logger);
    const pool = await createDatabasePool(databaseUrl, { answerWithinMs: null });
    try {
      const box = new SecretBox(settings.encryptionKey, settings.previousEncryptionKey ?? null);
      const { reencryptedValues, refused } = await rotateEncryptionKey(pool, box);
      console.log(`✅ ${reencryptedValues} secrets re-encrypted under the new key. Restart the servers with NANGO_ENCRYPTION_KEY only.`);
      // Left under the old key: they did not open for their row (moved or altered), and reading them fails either way.
      for (const value of refused) console.error(`⚠️  tampering: ${value.message}; left as it is`);
      return refused.length > 0 ? 1 : 0;
    } finally {
      await pool.end();
    }
  } catch (error) {
    if (error instanceof EncryptionKeyError) {
      console.error(`❌ ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await embedded?.stop();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`❌ ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
