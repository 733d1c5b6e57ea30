// The one place that touches encryption keys: AES-256-GCM for every secret at
// rest (client secrets, credentials, PKCE verifiers), a fresh IV per value, the
// table, column and row identity as associated data (a value copied to another
// row or column does not open), and the key's id in each value so that a
// previous key can still open it while a rotation is under way.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** Bound to table, column and row: the only format a server opens. */
const PREFIX = 'enc:v2:';
/**
 * Bound to the column only (before row binding): such a value could be copied
 * to another row and open there, so it opens only for the start-up re-seal
 * (encryption.ts), never for a read.
 */
const COLUMN_ONLY_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * A sealed value that does not open for the row it was read from: moved from
 * another row or column, altered, of the old column-only format, or plaintext
 * where a key is set. Never served; the faces log it as tampering. The message
 * names the table, column and row identity, never the value.
 */
export class SealedValueRefusedError extends SecretBoxError {
  override name = 'SealedValueRefusedError';

  constructor(
    readonly column: SealedColumn,
    /** The row identity, by column name (config key, connection id, state): not secrets. */
    readonly row: Record<string, string>,
    readonly reason: string,
  ) {
    super(`a value in ${column.name} did not open for its row (${Object.entries(row).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}): ${reason}`);
  }
}

/**
 * A column of sealed values and the columns that identify a row of its table:
 * the associated data of each value names all of them, so a value opens only in
 * the row it was sealed for.
 */
export class SealedColumn {
  readonly name: string;
  /** The table and column, length-prefixed: the start of every value's associated data (built once). */
  private readonly head: Buffer;

  constructor(
    readonly table: string,
    readonly column: string,
    /** One or two columns (the row identity's parts are passed as arguments, without an array per call). */
    readonly identity: readonly [string] | readonly [string, string],
  ) {
    this.name = `${table}.${column}`;
    this.head = Buffer.alloc(8 + Buffer.byteLength(table) + Buffer.byteLength(column));
    let at = this.head.writeUInt32BE(Buffer.byteLength(table), 0);
    at += this.head.write(table, at);
    at = this.head.writeUInt32BE(Buffer.byteLength(column), at);
    this.head.write(column, at);
  }

  /**
   * The associated data for a row: table, column and each identity part, each
   * prefixed by its length in bytes, so that no two different rows share it
   * (("a:b", "c") and ("a", "b:c") differ). One buffer per value.
   */
  associatedData(first: string, second: string | undefined): Buffer {
    if ((second === undefined) !== (this.identity.length === 1)) {
      throw new SecretBoxError(`${this.name} is identified by ${this.identity.join(', ')}`);
    }
    const firstBytes = Buffer.byteLength(first);
    const secondBytes = second === undefined ? -4 : Buffer.byteLength(second);
    const data = Buffer.allocUnsafe(this.head.length + 8 + firstBytes + secondBytes);
    this.head.copy(data, 0);
    let at = data.writeUInt32BE(firstBytes, this.head.length);
    at += data.write(first, at);
    if (second !== undefined) {
      at = data.writeUInt32BE(secondBytes, at);
      data.write(second, at);
    }
    return data;
  }

  rowOf(first: string, second: string | undefined): Record<string, string> {
    const row: Record<string, string> = { [this.identity[0]]: first };
    if (this.identity[1] !== undefined && second !== undefined) row[this.identity[1]] = second;
    return row;
  }
}

/** Every column that holds a secret, with its row identity. */
export const SEALED = {
  clientSecret: new SealedColumn('provider_configs', 'client_secret', ['key']),
  credentials: new SealedColumn('connections', 'credentials', ['provider_config_key', 'connection_id']),
  codeVerifier: new SealedColumn('oauth_sessions', 'code_verifier', ['state']),
  requestTokenSecret: new SealedColumn('oauth_sessions', 'request_token_secret', ['state']),
  webhookSecret: new SealedColumn('webhook_endpoints', 'secret', ['public_id']),
} as const;

/** What the start-up re-seal accepts besides row-bound values (encryption.ts). */
export interface Legacy {
  /** Values written before a key was set. */
  plaintext: boolean;
  /** `enc:v1:` values, bound to their column only. */
  columnOnly: boolean;
}

const NO_LEGACY: Legacy = { plaintext: false, columnOnly: false };

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string | null;

  /** `current` encrypts; `previous` (during a rotation) only decrypts. Both raw 32-byte keys. */
  constructor(
    private readonly current: Buffer | null,
    previous: Buffer | null = null,
  ) {
    for (const key of [current, previous]) {
      if (key && key.length !== 32) throw new SecretBoxError('an encryption key must be 32 bytes');
      if (key) this.keys.set(keyId(key), key);
    }
    this.currentId = current ? keyId(current) : null;
  }

  static plaintext(): SecretBox {
    return new SecretBox(null);
  }

  get encrypts(): boolean {
    return this.current !== null;
  }

  /** A stable, non-reversible identifier of the current key, stored to catch a wrong key at start-up. */
  currentFingerprint(): string | null {
    return this.current ? fingerprint(this.current) : null;
  }

  hasKeyWithFingerprint(stored: string): boolean {
    return [...this.keys.values()].some((key) => fingerprint(key) === stored);
  }

  /** Encrypts for one row of `column`; without a key, stores the plaintext (local development). */
  seal(plaintext: string, column: SealedColumn, first: string, second?: string): string {
    if (!this.current || !this.currentId) return plaintext;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(column.associatedData(first, second));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /**
   * Decrypts a value sealed for this row of `column`. Without a key, plaintext
   * comes back as it is; with one, every stored value is sealed for its row
   * (the start-up re-seal sees to it), so anything else is refused:
   * SealedValueRefusedError. `legacy` is for that re-seal only.
   */
  open(stored: string, column: SealedColumn, first: string, second?: string, legacy: Legacy = NO_LEGACY): string {
    if (stored.startsWith(PREFIX)) return this.decrypt(stored, PREFIX.length, column, column.associatedData(first, second), first, second);
    if (stored.startsWith(COLUMN_ONLY_PREFIX)) {
      if (!legacy.columnOnly) throw new SealedValueRefusedError(column, column.rowOf(first, second), 'sealed in the old column-only format, which this database no longer holds');
      return this.decrypt(stored, COLUMN_ONLY_PREFIX.length, column, Buffer.from(column.name), first, second);
    }
    if (this.current && !legacy.plaintext) throw new SealedValueRefusedError(column, column.rowOf(first, second), 'not sealed, with encryption on');
    return stored;
  }

  private decrypt(stored: string, from: number, column: SealedColumn, associatedData: Buffer, first: string, second: string | undefined): string {
    const separator = stored.indexOf(':', from);
    const id = separator === -1 ? '' : stored.slice(from, separator);
    const key = this.keys.get(id);
    if (!key || separator === -1) {
      throw new SecretBoxError(`a value in ${column.name} was encrypted with a key this server does not have (key id ${id || '?'})`);
    }
    const bytes = Buffer.from(stored.slice(separator + 1), 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealedValueRefusedError(column, column.rowOf(first, second), 'too short to be sealed');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedValueRefusedError(column, column.rowOf(first, second), 'failed authentication: altered, or moved from another row or column');
    }
  }
}

/** Parses NANGO_ENCRYPTION_KEY: base64 of exactly 32 bytes. Null when the problem is with the value. */
export function parseEncryptionKey(base64: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) return null;
  const key = Buffer.from(base64, 'base64');
  return key.length === 32 ? key : null;
}

function fingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('nango encryption key fingerprint').digest('hex');
}

function keyId(key: Buffer): string {
  return fingerprint(key).slice(0, 12);
}
