import { emptyTreeRoot, nodeHash } from './log-hash.ts';
import { foldSubtrees } from './subtrees.ts';

/**
 * The compact state of a log of `size` leaves: the roots of its perfect subtrees, largest first
 * (one per set bit of `size`). It is all an appender needs — at most 64 hashes, whatever the size.
 */
export interface Frontier {
  size: number;
  hashes: Buffer[];
}

export const emptyFrontier: Frontier = { size: 0, hashes: [] };

export interface AppendedLeaf {
  leafIndex: number;
  /** Hashes of the perfect subtrees this leaf completes, heights 1, 2, … (stored with the leaf). */
  completed: Buffer[];
}

/** Appends leaf hashes; returns the new frontier and, per leaf, the subtrees it completed. */
export function appendToFrontier(
  frontier: Frontier,
  leafHashes: readonly Buffer[],
): { frontier: Frontier; appended: AppendedLeaf[] } {
  const hashes = [...frontier.hashes];
  let size = frontier.size;
  const appended: AppendedLeaf[] = [];
  for (const leaf of leafHashes) {
    const completed: Buffer[] = [];
    let carry = leaf;
    let n = size;
    // Each trailing one bit of the old size is a subtree of that height now paired with `carry`.
    while (n % 2 === 1) {
      const left = hashes.pop() as Buffer;
      carry = nodeHash(left, carry);
      completed.push(carry);
      n = (n - 1) / 2;
    }
    hashes.push(carry);
    appended.push({ leafIndex: size, completed });
    size += 1;
  }
  return { frontier: { size, hashes }, appended };
}

export function frontierRoot(frontier: Frontier): Buffer {
  return frontier.hashes.length === 0 ? emptyTreeRoot : foldSubtrees(frontier.hashes);
}
