import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { sealColumnOnly } from '../../test/support/column-only-seal.js';
import { parseEncryptionKey, SEALED, SealedValueRefusedError, SecretBox } from './secret-box.js';

const key = randomBytes(32);
const other = randomBytes(32);

/**
 * The sealed value with one bit flipped in its IV, ciphertext or tag. Edited
 * on the decoded bytes: a character swapped at the end of the base64 can land
 * in its padding bits and leave the bytes as they were.
 */
function flipBit(sealed: string, part: 'iv' | 'ciphertext' | 'tag', round: number): string {
  const head = sealed.slice(0, sealed.lastIndexOf(':') + 1);
  const bytes = Buffer.from(sealed.slice(head.length), 'base64url');
  const ranges = { iv: [0, 12], ciphertext: [12, bytes.length - 16], tag: [bytes.length - 16, bytes.length] };
  const [start, end] = ranges[part];
  bytes[start! + (round % (end! - start!))]! ^= 1 << round % 8;
  return `${head}${bytes.toString('base64url')}`;
}

const { credentials, clientSecret, codeVerifier } = SEALED;

describe('the secret box', () => {
  it('seals with a fresh IV each time and opens what it sealed, for the same row', () => {
    const box = new SecretBox(key);
    const first = box.seal('top secret', credentials, 'github', 'user-1');
    const second = box.seal('top secret', credentials, 'github', 'user-1');
    expect(first).not.toBe(second);
    expect(first).not.toContain('top secret');
    expect(first.startsWith('enc:v2:')).toBe(true);
    expect(box.open(first, credentials, 'github', 'user-1')).toBe('top secret');
  });

  it('refuses a value sealed for one row when read from another row of the same column', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('tokens of user-1', credentials, 'github', 'user-1');
    for (const [providerConfigKey, connectionId] of [['github', 'user-2'], ['gitlab', 'user-1'], ['github', 'user-1 '], ['githu', 'buser-1']]) {
      expect(() => box.open(sealed, credentials, providerConfigKey!, connectionId!)).toThrow(SealedValueRefusedError);
    }
    const secret = box.seal('client secret of a', clientSecret, 'a');
    expect(() => box.open(secret, clientSecret, 'b')).toThrow(/provider_configs\.client_secret did not open for its row \(key="b"\): failed authentication/);
    const verifier = box.seal('verifier', codeVerifier, 'state-1');
    expect(() => box.open(verifier, codeVerifier, 'state-2')).toThrow(SealedValueRefusedError);
  });

  it('binds the row identity unambiguously: ("a:b", "c") is not ("a", "b:c"), nor a differently split pair', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('tokens', credentials, 'a:b', 'c');
    expect(() => box.open(sealed, credentials, 'a', 'b:c')).toThrow(SealedValueRefusedError);
    expect(() => box.open(box.seal('tokens', credentials, 'ab', 'c'), credentials, 'a', 'bc')).toThrow(SealedValueRefusedError);
    expect(credentials.associatedData('a:b', 'c').equals(credentials.associatedData('a', 'b:c'))).toBe(false);
    expect(credentials.associatedData('é', 'x').equals(credentials.associatedData('é', 'x'))).toBe(true);
  });

  it('refuses a value moved to another column, or altered', () => {
    const box = new SecretBox(key);
    // Many seals, so that every IV, ciphertext and tag the test meets is refused, not one lucky draw.
    for (let round = 0; round < 200; round++) {
      const sealed = box.seal('top secret', clientSecret, 'github');
      expect(() => box.open(sealed, codeVerifier, 'github')).toThrow(/failed authentication/);
      for (const part of ['iv', 'ciphertext', 'tag'] as const) {
        const altered = flipBit(sealed, part, round);
        expect(altered).not.toBe(sealed);
        expect(() => box.open(altered, clientSecret, 'github')).toThrow(/failed authentication/);
      }
    }
  });

  it('refuses the old column-only format on reads, and opens it only for the start-up re-seal', () => {
    const box = new SecretBox(key);
    const old = sealColumnOnly('old tokens', 'connections.credentials', key);
    expect(() => box.open(old, credentials, 'github', 'user-1')).toThrow(/old column-only format/);
    expect(box.open(old, credentials, 'github', 'user-1', { plaintext: false, columnOnly: true })).toBe('old tokens');
    // Still bound to its column: not even the re-seal opens it as another column's value.
    expect(() => box.open(old, clientSecret, 'github', undefined, { plaintext: false, columnOnly: true })).toThrow(/failed authentication/);
  });

  it('opens values of the previous key during a rotation, and names a missing key', () => {
    const sealed = new SecretBox(other).seal('rotating', clientSecret, 'k');
    expect(new SecretBox(key, other).open(sealed, clientSecret, 'k')).toBe('rotating');
    expect(() => new SecretBox(key).open(sealed, clientSecret, 'k')).toThrow(/encrypted with a key this server does not have/);
  });

  it('stores plaintext without a key; with a key, plaintext opens only for the first encryption', () => {
    expect(SecretBox.plaintext().seal('visible', clientSecret, 'k')).toBe('visible');
    expect(SecretBox.plaintext().open('visible', clientSecret, 'k')).toBe('visible');
    expect(() => new SecretBox(key).open('written into the row by hand', clientSecret, 'k')).toThrow(/not sealed, with encryption on/);
    expect(new SecretBox(key).open('written before encryption', clientSecret, 'k', undefined, { plaintext: true, columnOnly: false })).toBe('written before encryption');
  });

  it('names the table, column and row of a refused value, never the value', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('the-access-token', credentials, 'github', 'user-1');
    let refused: unknown;
    try {
      box.open(sealed, credentials, 'github', 'user-2');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SealedValueRefusedError);
    expect((refused as SealedValueRefusedError).row).toEqual({ provider_config_key: 'github', connection_id: 'user-2' });
    expect(String((refused as Error).message)).not.toContain(sealed.slice(7));
    expect(String((refused as Error).message)).not.toContain('the-access-token');
  });

  it('fingerprints keys without revealing them', () => {
    const box = new SecretBox(key);
    expect(box.currentFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(box.currentFingerprint()).not.toContain(key.toString('hex'));
    expect(box.hasKeyWithFingerprint(box.currentFingerprint()!)).toBe(true);
    expect(new SecretBox(other).hasKeyWithFingerprint(box.currentFingerprint()!)).toBe(false);
  });

  it('accepts only base64 of 32 bytes as a key', () => {
    expect(parseEncryptionKey(key.toString('base64'))).toEqual(key);
    expect(parseEncryptionKey(randomBytes(16).toString('base64'))).toBeNull();
    expect(parseEncryptionKey('not base64 at all!')).toBeNull();
  });
});
