import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { freshRandomBytes } from './random-pool.ts';

const ivLength = 12;
const tagLength = 16;

/**
 * The platform's secret keys. The blind-index key turns identifiers into stable lookup keys
 * (HMAC-SHA256) so the database never needs a plaintext identity number to find a subject. The
 * encryption keys (AES-256-GCM) protect identity numbers and names at rest; each ciphertext
 * names its key id so keys can rotate without re-encrypting everything at once.
 */
export interface Keyring {
  blindIndexKeyId: string;
  activeEncryptionKeyId: string;
  /** HMAC-SHA256 of `domain` and `value` under the blind-index key. */
  blindIndex(domain: string, value: string): Buffer;
  encrypt(plaintext: string, associatedData: Uint8Array): { keyId: string; ciphertext: Buffer };
  decrypt(keyId: string, ciphertext: Uint8Array, associatedData: Uint8Array): string;
  /**
   * The same plaintext under the active key (key rotation). A ciphertext already under the
   * active key is returned as it is: rewrapping twice never encrypts a ciphertext.
   */
  rewrap(
    keyId: string,
    ciphertext: Uint8Array,
    associatedData: Uint8Array,
  ): { keyId: string; ciphertext: Buffer };
  hasEncryptionKey(keyId: string): boolean;
  /** Every encryption key id, the active one first. */
  encryptionKeyIds(): string[];
}

export interface KeyMaterial {
  blindIndexKey: { id: string; key: Buffer };
  /** First is active for new encryptions; the others remain for decrypting older rows. */
  encryptionKeys: { id: string; key: Buffer }[];
}

export function createKeyring(material: KeyMaterial): Keyring {
  const { blindIndexKey } = material;
  if (blindIndexKey.key.length < 32) throw new Error('the blind-index key must be at least 32 bytes');
  // Key objects, not raw buffers: Node then imports each key once instead of on every HMAC and
  // cipher, which was a third of their cost on the ingest path.
  const blindKey = createSecretKey(blindIndexKey.key);
  const encryptionKeys = new Map<string, KeyObject>();
  for (const { id, key } of material.encryptionKeys) {
    if (key.length !== 32) throw new Error(`encryption key '${id}' must be 32 bytes (AES-256)`);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`encryption key id '${id}' is not a short token`);
    encryptionKeys.set(id, createSecretKey(key));
  }
  const active = material.encryptionKeys[0];
  if (!active) throw new Error('at least one encryption key is required');
  const activeKey = encryptionKeys.get(active.id) as KeyObject;

  const encrypt = (plaintext: string, associatedData: Uint8Array) => {
    const iv = freshRandomBytes(ivLength);
    const cipher = createCipheriv('aes-256-gcm', activeKey, iv);
    cipher.setAAD(associatedData);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: active.id, ciphertext: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  };
  const decrypt = (keyId: string, ciphertext: Uint8Array, associatedData: Uint8Array) => {
    const key = encryptionKeys.get(keyId);
    if (!key) throw new Error(`no encryption key '${keyId}' in the keyring`);
    const data = Buffer.from(ciphertext);
    const iv = data.subarray(0, ivLength);
    const tag = data.subarray(data.length - tagLength);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(data.subarray(ivLength, data.length - tagLength)),
      decipher.final(),
    ]).toString('utf8');
  };

  return {
    blindIndexKeyId: blindIndexKey.id,
    activeEncryptionKeyId: active.id,
    blindIndex(domain, value) {
      return createHmac('sha256', blindKey).update(`${domain}\0${value}`).digest();
    },
    encrypt,
    decrypt,
    rewrap(keyId, ciphertext, associatedData) {
      if (keyId === active.id) return { keyId, ciphertext: Buffer.from(ciphertext) };
      return encrypt(decrypt(keyId, ciphertext, associatedData), associatedData);
    },
    hasEncryptionKey(keyId) {
      return encryptionKeys.has(keyId);
    },
    encryptionKeyIds() {
      return [...encryptionKeys.keys()];
    },
  };
}

/**
 * Associated data of an identity ciphertext: which field it is and whose, so a ciphertext copied
 * to another subject's row, or from an identifier column into a name column, fails to open.
 */
export function identityAad(field: 'identifier' | 'name', subjectKey: Uint8Array): Buffer {
  const prefix = aadPrefixes[field];
  const aad = Buffer.allocUnsafe(prefix.length + subjectKey.length);
  prefix.copy(aad, 0);
  aad.set(subjectKey, prefix.length);
  return aad;
}

const aadPrefixes = { identifier: Buffer.from('identifier:'), name: Buffer.from('name:') } as const;

/**
 * Associated data of a signing secret (a receiver's HMAC key): the row it belongs to, as
 * `schema.table/id`, so a ciphertext copied onto another receiver's row fails to open.
 */
export function signingSecretAad(owner: string): Buffer {
  return Buffer.from(`signing-secret:${owner}`, 'utf8');
}

/** A receiver's signing secret sealed under the active key, for its row `owner`. */
export function sealSigningSecret(
  keyring: Keyring,
  owner: string,
  secret: string,
): { keyId: string; ciphertext: Buffer } {
  return keyring.encrypt(secret, signingSecretAad(owner));
}

/** The signing secret of `owner`'s row, opened only to sign a delivery; throws if it does not open. */
export function openSigningSecret(
  keyring: Keyring,
  owner: string,
  keyId: string,
  ciphertext: Uint8Array,
): string {
  return keyring.decrypt(keyId, ciphertext, signingSecretAad(owner));
}

export function generateKeyMaterial(): KeyMaterial {
  return {
    blindIndexKey: { id: 'bi1', key: randomBytes(32) },
    encryptionKeys: [{ id: 'k1', key: randomBytes(32) }],
  };
}
