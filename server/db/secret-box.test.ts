import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseEncryptionKey, SecretBox } from './secret-box.js';

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

describe('the secret box', () => {
  it('seals with a fresh IV each time and opens what it sealed', () => {
    const box = new SecretBox(key);
    const first = box.seal('top secret', 'connections.credentials');
    const second = box.seal('top secret', 'connections.credentials');
    expect(first).not.toBe(second);
    expect(first).not.toContain('top secret');
    expect(first.startsWith('enc:v1:')).toBe(true);
    expect(box.open(first, 'connections.credentials')).toBe('top secret');
  });

  it('refuses a value moved to another column, or altered', () => {
    const box = new SecretBox(key);
    // Many seals, so that every IV, ciphertext and tag the test meets is refused, not one lucky draw.
    for (let round = 0; round < 200; round++) {
      const sealed = box.seal('top secret', 'provider_configs.client_secret');
      expect(() => box.open(sealed, 'connections.credentials')).toThrow(/failed authentication/);
      for (const part of ['iv', 'ciphertext', 'tag'] as const) {
        const altered = flipBit(sealed, part, round);
        expect(altered).not.toBe(sealed);
        expect(() => box.open(altered, 'provider_configs.client_secret')).toThrow(/failed authentication/);
      }
    }
  });

  it('opens values of the previous key during a rotation, and names a missing key', () => {
    const old = new SecretBox(other);
    const sealed = old.seal('rotating', 'c');
    expect(new SecretBox(key, other).open(sealed, 'c')).toBe('rotating');
    expect(() => new SecretBox(key).open(sealed, 'c')).toThrow(/encrypted with a key this server does not have/);
  });

  it('stores plaintext without a key, and passes plaintext through when opening', () => {
    expect(SecretBox.plaintext().seal('visible', 'c')).toBe('visible');
    expect(new SecretBox(key).open('written before encryption', 'c')).toBe('written before encryption');
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
