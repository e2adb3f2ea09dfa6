import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, identityAad } from '../src/keyring.ts';

describe('the keyring', () => {
  const blindKey = randomBytes(32);
  const keyring = createKeyring({
    blindIndexKey: { id: 'bi1', key: blindKey },
    encryptionKeys: [
      { id: 'k2', key: randomBytes(32) },
      { id: 'k1', key: randomBytes(32) },
    ],
  });

  it('computes blind indexes as HMAC-SHA256 over domain, NUL, value: stored keys stay findable', () => {
    for (const [domain, value] of [
      ['subject', '91370300MA3C0XXX7R'],
      ['name', '张三'],
      ['', ''],
      ['fingerprint', 'é\u{1F600}\0x'],
    ] as const) {
      const expected = createHmac('sha256', blindKey).update(domain).update('\0').update(value).digest();
      expect(keyring.blindIndex(domain, value).equals(expected)).toBe(true);
    }
  });

  it('encrypts under the active key with fresh nonces, and opens only with the same associated data', () => {
    const aad = identityAad('name', Buffer.alloc(32, 7));
    const first = keyring.encrypt('张三', aad);
    const second = keyring.encrypt('张三', aad);
    expect(first.keyId).toBe('k2');
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(keyring.decrypt(first.keyId, first.ciphertext, aad)).toBe('张三');
    expect(() =>
      keyring.decrypt(first.keyId, first.ciphertext, identityAad('identifier', Buffer.alloc(32, 7))),
    ).toThrow();
  });
});
