// The one place that touches encryption keys: AES-256-GCM for every secret at
// rest (client secrets, credentials, PKCE verifiers), a fresh IV per value, the
// column as associated data (a value cannot be moved to another column), and
// the key's id in each value so that a previous key can still open it while a
// rotation is under way.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

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

  isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  /** Encrypts for `column`; without a key, stores the plaintext (local development). */
  seal(plaintext: string, column: string): string {
    if (!this.current || !this.currentId) return plaintext;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(Buffer.from(column));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Decrypts a sealed value; plaintext (written before encryption was enabled) comes back as it is. */
  open(stored: string, column: string): string {
    if (!this.isSealed(stored)) return stored;
    const [id, payload] = stored.slice(PREFIX.length).split(':');
    const key = id ? this.keys.get(id) : undefined;
    if (!key || !payload) {
      throw new SecretBoxError(`a value in ${column} was encrypted with a key this server does not have (key id ${id ?? '?'})`);
    }
    const bytes = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(column));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`a value in ${column} failed authentication: it was altered, or moved from another column`);
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
