// Encryption at rest across the database: the start-up check of the key, the
// first encryption of plaintext values, and key rotation. Each runs in one
// transaction under an advisory lock, so instances starting together and a
// rotation never interleave.
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { inTransaction } from './pool.js';
import type { SecretBox } from './secret-box.js';

/** Every column that holds a secret, with the column that orders its rows. */
const SECRET_COLUMNS = [
  { table: 'provider_configs', column: 'client_secret', key: 'id' },
  { table: 'connections', column: 'credentials', key: 'id' },
  { table: 'oauth_sessions', column: 'code_verifier', key: 'state' },
  { table: 'oauth_sessions', column: 'request_token_secret', key: 'state' },
] as const;

const LOCK_KEY = 7_310_421_877; // any constant: "encryption"
const BATCH = 500;

export class EncryptionKeyError extends Error {
  override name = 'EncryptionKeyError';
}

const StateRow = z.object({ keyFingerprint: z.string() });
const ValueRow = z.object({ rowKey: z.string(), value: z.string() });

/**
 * Checks the configured key against the database, and encrypts existing
 * plaintext the first time a key is set. Throws EncryptionKeyError naming the problem.
 */
export async function prepareEncryption(pool: DatabasePool, box: SecretBox): Promise<{ encryptedValues: number }> {
  return inTransaction(pool, async (transaction) => {
    await lock(transaction);
    const state = await readState(transaction);
    const current = box.currentFingerprint();
    if (!current) {
      if (state) {
        throw new EncryptionKeyError(
          `The database holds encrypted secrets (key fingerprint ${short(state)}): set NANGO_ENCRYPTION_KEY to the key they were encrypted with.`,
        );
      }
      return { encryptedValues: 0 };
    }
    if (state && !box.hasKeyWithFingerprint(state)) {
      throw new EncryptionKeyError(
        `NANGO_ENCRYPTION_KEY is not the key this database was encrypted with (stored fingerprint ${short(state)}, ` +
          `this key ${short(current)}). Set the original key; to change keys, run \`npm run db:rotate-key\`.`,
      );
    }
    if (state) return { encryptedValues: 0 };
    const encryptedValues = await resealAll(transaction, box);
    await writeState(transaction, current);
    return { encryptedValues };
  });
}

/**
 * Re-encrypts every secret under the box's current key (reading with the
 * previous one), in one transaction: readers see all old or all new values,
 * and servers that hold both keys read either.
 */
export async function rotateEncryptionKey(pool: DatabasePool, box: SecretBox): Promise<{ reencryptedValues: number }> {
  const current = box.currentFingerprint();
  if (!current) throw new EncryptionKeyError('Set NANGO_ENCRYPTION_KEY to the new key (and NANGO_ENCRYPTION_KEY_PREVIOUS to the old one).');
  return inTransaction(pool, async (transaction) => {
    await lock(transaction);
    const state = await readState(transaction);
    if (state && !box.hasKeyWithFingerprint(state)) {
      throw new EncryptionKeyError(
        `Neither NANGO_ENCRYPTION_KEY nor NANGO_ENCRYPTION_KEY_PREVIOUS is the key this database is encrypted with (fingerprint ${short(state)}).`,
      );
    }
    const reencryptedValues = await resealAll(transaction, box);
    await writeState(transaction, current);
    return { reencryptedValues };
  });
}

/** Opens every value (plaintext or sealed by any known key) and seals it with the current key. */
async function resealAll(transaction: CommonQueryMethods, box: SecretBox): Promise<number> {
  let count = 0;
  for (const { table, column, key } of SECRET_COLUMNS) {
    const context = `${table}.${column}`;
    let after = '';
    for (;;) {
      const rows = await transaction.any(sql.type(ValueRow)`
        SELECT ${sql.identifier([key])}::text AS "rowKey", ${sql.identifier([column])} AS value
        FROM ${sql.identifier([table])}
        WHERE ${sql.identifier([column])} IS NOT NULL AND ${sql.identifier([key])}::text > ${after}
        ORDER BY ${sql.identifier([key])}::text
        LIMIT ${BATCH}
      `);
      for (const row of rows) {
        const sealed = box.seal(box.open(row.value, context), context);
        await transaction.query(sql.unsafe`
          UPDATE ${sql.identifier([table])} SET ${sql.identifier([column])} = ${sealed}
          WHERE ${sql.identifier([key])}::text = ${row.rowKey}
        `);
        count += 1;
      }
      if (rows.length < BATCH) break;
      after = rows.at(-1)!.rowKey;
    }
  }
  return count;
}

async function lock(transaction: CommonQueryMethods): Promise<void> {
  await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
}

async function readState(transaction: CommonQueryMethods): Promise<string | null> {
  const row = await transaction.maybeOne(sql.type(StateRow)`SELECT key_fingerprint AS "keyFingerprint" FROM encryption_state`);
  return row?.keyFingerprint ?? null;
}

async function writeState(transaction: CommonQueryMethods, fingerprint: string): Promise<void> {
  await transaction.query(sql.unsafe`
    INSERT INTO encryption_state (singleton, key_fingerprint) VALUES (true, ${fingerprint})
    ON CONFLICT (singleton) DO UPDATE SET key_fingerprint = EXCLUDED.key_fingerprint, updated_at = now()
  `);
}

function short(fingerprint: string): string {
  return `${fingerprint.slice(0, 12)}…`;
}
