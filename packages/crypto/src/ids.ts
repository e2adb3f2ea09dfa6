import { freshRandomBytes } from './random-pool.ts';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** Crockford-style lower-case base32; ids stay short, URL-safe and unambiguous when read aloud. */
export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** A random, time-ordered id with a type prefix: 6 bytes of milliseconds then 10 random bytes. */
export function newId(prefix: string, now: number = Date.now()): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(now, 0, 6);
  freshRandomBytes(10).copy(bytes, 6);
  return `${prefix}_${base32(bytes)}`;
}

/** An id derived from a keyed digest (the first 16 bytes), for ids that must be reproducible. */
export function idFromDigest(prefix: string, digest: Uint8Array): string {
  return `${prefix}_${base32(digest.subarray(0, 16))}`;
}
