import { createHash } from 'node:crypto';

/**
 * RFC 9162 §2.1.1 hashing: leaves and interior nodes carry different one-byte prefixes, so no
 * leaf can ever be passed off as a subtree (the second-preimage attack on plain Merkle trees).
 */
export const hashSize = 32;

export function leafHash(leafInput: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(0)).update(leafInput).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string. */
export const emptyTreeRoot: Buffer = createHash('sha256').digest();

/** The largest power of two strictly smaller than n (n ≥ 2): where RFC 9162 splits a range. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
