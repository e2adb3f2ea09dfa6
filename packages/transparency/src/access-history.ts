import { createHash } from 'node:crypto';

/**
 * The value the access map holds for a subject: how many access leaves name them and a hash
 * chain over those leaves in log order. Anyone holding the list can recompute it; a list with an
 * entry hidden, added or reordered gives another value, which the signed map root then refutes.
 */
export const emptyAccessChain: Buffer = Buffer.alloc(32);

export function extendAccessChain(head: Uint8Array, leafHash: Uint8Array): Buffer {
  return createHash('sha256')
    .update('credit-platform/access-chain/v1\n')
    .update(head)
    .update(leafHash)
    .digest();
}

export function accessValueHash(count: number, head: Uint8Array): Buffer {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(count));
  return createHash('sha256')
    .update('credit-platform/access-history/v1\n')
    .update(counter)
    .update(head)
    .digest();
}

/** The value a complete list of access leaf hashes (in log order) must produce. */
export function accessValueOf(leafHashes: readonly Uint8Array[]): Buffer {
  let head: Buffer = emptyAccessChain;
  for (const leaf of leafHashes) head = extendAccessChain(head, leaf);
  return accessValueHash(leafHashes.length, head);
}
