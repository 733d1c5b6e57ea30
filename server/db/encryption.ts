// Encryption at rest across the database: the start-up check of the key, the
// first encryption of plaintext values, the one-time re-seal of column-bound
// values to row-bound ones, and key rotation. Each runs in one transaction
// under an advisory lock, so instances starting together and a rotation never
// interleave.
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { inTransaction } from './pool.js';
import { SEALED, SealedValueRefusedError, type Legacy, type SecretBox } from './secret-box.js';

/** The format every value is sealed in: 2, bound to table, column and row (secret-box.ts). */
const FORMAT_VERSION = 2;

/** The column that orders each table's rows for the batches (unique, never null). */
const ORDER_BY: Record<string, string> = { provider_configs: 'key', connections: 'id', oauth_sessions: 'state', webhook_endpoints: 'public_id' };

const LOCK_KEY = 7_310_421_877; // any constant: "encryption"
const BATCH = 500;

export class EncryptionKeyError extends Error {
  override name = 'EncryptionKeyError';
}

const StateRow = z.object({ keyFingerprint: z.string(), formatVersion: z.number() });
type State = z.infer<typeof StateRow>;
const ValueRow = z.object({ rowKey: z.string(), first: z.string(), second: z.string().nullable(), value: z.string() });

export interface Resealed {
  /** Values sealed (or sealed again) by this run. */
  values: number;
  /**
   * Values that did not open for their row (tampered with, or plaintext where
   * everything was sealed): left as they are, so that reading them fails, and
   * named (table, column, row identity) for the operator.
   */
  refused: SealedValueRefusedError[];
}

export interface Prepared {
  /** Plaintext values sealed because a key is set for the first time. */
  encryptedValues: number;
  /** Column-bound (`enc:v1:`) values re-sealed for their row, once after the upgrade. */
  resealedValues: number;
  refused: SealedValueRefusedError[];
}

/**
 * Checks the configured key against the database; the first time a key is set,
 * seals the existing plaintext; the first time this version starts on values
 * sealed for their column only, re-seals them for their row, after which no
 * server opens that format. Throws EncryptionKeyError naming the problem.
 */
export async function prepareEncryption(pool: DatabasePool, box: SecretBox): Promise<Prepared> {
  return inTransaction(pool, async (transaction) => {
    await lock(transaction);
    const state = await readState(transaction);
    const current = box.currentFingerprint();
    if (!current) {
      if (state) {
        throw new EncryptionKeyError(
          `The database holds encrypted secrets (key fingerprint ${short(state.keyFingerprint)}): set NANGO_ENCRYPTION_KEY to the key they were encrypted with.`,
        );
      }
      return { encryptedValues: 0, resealedValues: 0, refused: [] };
    }
    if (state && !box.hasKeyWithFingerprint(state.keyFingerprint)) {
      throw new EncryptionKeyError(
        `NANGO_ENCRYPTION_KEY is not the key this database was encrypted with (stored fingerprint ${short(state.keyFingerprint)}, ` +
          `this key ${short(current)}). Set the original key; to change keys, run \`npm run db:rotate-key\`.`,
      );
    }
    if (state && state.formatVersion >= FORMAT_VERSION) return { encryptedValues: 0, resealedValues: 0, refused: [] };
    const { values, refused } = await resealAll(transaction, box, legacyFor(state));
    await writeState(transaction, current);
    return state ? { encryptedValues: 0, resealedValues: values, refused } : { encryptedValues: values, resealedValues: 0, refused };
  });
}

/**
 * Re-encrypts every secret under the box's current key (reading with the
 * previous one), in one transaction: readers see all old or all new values,
 * and servers that hold both keys read either.
 */
export async function rotateEncryptionKey(pool: DatabasePool, box: SecretBox): Promise<{ reencryptedValues: number; refused: SealedValueRefusedError[] }> {
  const current = box.currentFingerprint();
  if (!current) throw new EncryptionKeyError('Set NANGO_ENCRYPTION_KEY to the new key (and NANGO_ENCRYPTION_KEY_PREVIOUS to the old one).');
  return inTransaction(pool, async (transaction) => {
    await lock(transaction);
    const state = await readState(transaction);
    if (state && !box.hasKeyWithFingerprint(state.keyFingerprint)) {
      throw new EncryptionKeyError(
        `Neither NANGO_ENCRYPTION_KEY nor NANGO_ENCRYPTION_KEY_PREVIOUS is the key this database is encrypted with (fingerprint ${short(state.keyFingerprint)}).`,
      );
    }
    const { values, refused } = await resealAll(transaction, box, legacyFor(state));
    await writeState(transaction, current);
    return { reencryptedValues: values, refused };
  });
}

/**
 * What the database may hold besides row-bound values: plaintext before any key
 * was set; column-bound values until this version has re-sealed them. Nothing
 * else, so a value written into a row since then (plaintext, or an old-format
 * value from another row) is refused here as on a read.
 */
function legacyFor(state: State | null): Legacy {
  return { plaintext: state === null, columnOnly: state !== null && state.formatVersion < FORMAT_VERSION };
}

/** Opens every value (as `legacy` allows, by any known key) and seals it for its row with the current key. */
async function resealAll(transaction: CommonQueryMethods, box: SecretBox, legacy: Legacy): Promise<Resealed> {
  let values = 0;
  const refused: SealedValueRefusedError[] = [];
  for (const sealed of Object.values(SEALED)) {
    const { table, column } = sealed;
    const order = ORDER_BY[table]!;
    const [first, second] = sealed.identity;
    let after = '';
    for (;;) {
      const rows = await transaction.any(sql.type(ValueRow)`
        SELECT ${sql.identifier([order])}::text AS "rowKey", ${sql.identifier([first])} AS first,
          ${second ? sql.identifier([second]) : sql.fragment`NULL::text`} AS second, ${sql.identifier([column])} AS value
        FROM ${sql.identifier([table])}
        WHERE ${sql.identifier([column])} IS NOT NULL AND ${sql.identifier([order])}::text > ${after}
        ORDER BY ${sql.identifier([order])}::text
        LIMIT ${BATCH}
      `);
      for (const row of rows) {
        const identity = [row.first, row.second ?? undefined] as const;
        let plaintext: string;
        try {
          plaintext = box.open(row.value, sealed, ...identity, legacy);
        } catch (error) {
          if (!(error instanceof SealedValueRefusedError)) throw error;
          refused.push(error);
          continue;
        }
        await transaction.query(sql.unsafe`
          UPDATE ${sql.identifier([table])} SET ${sql.identifier([column])} = ${box.seal(plaintext, sealed, ...identity)}
          WHERE ${sql.identifier([order])}::text = ${row.rowKey}
        `);
        values += 1;
      }
      if (rows.length < BATCH) break;
      after = rows.at(-1)!.rowKey;
    }
  }
  return { values, refused };
}

async function lock(transaction: CommonQueryMethods): Promise<void> {
  await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
}

async function readState(transaction: CommonQueryMethods): Promise<State | null> {
  return transaction.maybeOne(sql.type(StateRow)`SELECT key_fingerprint AS "keyFingerprint", format_version AS "formatVersion" FROM encryption_state`);
}

async function writeState(transaction: CommonQueryMethods, fingerprint: string): Promise<void> {
  await transaction.query(sql.unsafe`
    INSERT INTO encryption_state (singleton, key_fingerprint, format_version) VALUES (true, ${fingerprint}, ${FORMAT_VERSION})
    ON CONFLICT (singleton) DO UPDATE SET key_fingerprint = EXCLUDED.key_fingerprint, format_version = EXCLUDED.format_version, updated_at = now()
  `);
}

function short(fingerprint: string): string {
  return `${fingerprint.slice(0, 12)}…`;
}
