import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { freshRandomBytes } from './random-pool.ts';

export const hashLength = 32;
/** The chain's first link: version 1 of every record hashes onto this. */
export const genesisHash: Buffer = Buffer.alloc(hashLength);

export function sha256(...parts: (string | Uint8Array)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function newSalt(): Buffer {
  return freshRandomBytes(16);
}

/**
 * A salted commitment to content: proves what the content was without revealing it, and stays
 * verifiable after the content and salt are lawfully erased (the commitment alone remains).
 */
export function contentCommitment(salt: Uint8Array, content: unknown): Buffer {
  return commitmentOfCanonical(salt, canonicalJson(content));
}

/** The same commitment, from content already in canonical JSON (hot paths compute it once). */
export function commitmentOfCanonical(salt: Uint8Array, canonical: string): Buffer {
  return sha256('credit-platform/content/v1\n', salt, canonical);
}

/** One link of a hash chain: the previous link and this version's header (which holds the commitment). */
export function chainHash(previous: Uint8Array, header: Record<string, unknown>): Buffer {
  return sha256('credit-platform/chain/v1\n', previous, canonicalJson(header));
}

/** Unsalted digest of canonical content, for recognising an identical resubmission. */
export function fingerprint(content: unknown): Buffer {
  return sha256('credit-platform/fingerprint/v1\n', canonicalJson(content));
}
