// The sealed format of the release before row binding (enc:v1: AES-256-GCM with
// only the column's name as associated data), written here independently of
// server/db/secret-box.ts, so that tests can lay down a database as that
// release left it.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

export function sealColumnOnly(plaintext: string, column: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(column));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `enc:v1:${keyFingerprint(key).slice(0, 12)}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** What encryption_state.key_fingerprint holds for a key. */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('nango encryption key fingerprint').digest('hex');
}
