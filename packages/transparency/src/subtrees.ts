import { nodeHash } from './log-hash.ts';

/**
 * A perfect subtree of the log: `level` is its height (0 = one leaf) and `index` its position
 * among the subtrees of that height, so it covers leaves [index·2^level, (index+1)·2^level).
 * Every hash a proof needs is a fold over perfect subtrees, and each of those is fixed forever
 * the moment its last leaf is appended — which is why the store keeps them on that leaf's row.
 */
export interface SubtreeRef {
  level: number;
  index: number;
}

export function subtreeStart(ref: SubtreeRef): number {
  return ref.index * 2 ** ref.level;
}

/** The leaf whose append completes the subtree: the subtree's hash is stored on its row. */
export function subtreeLastLeaf(ref: SubtreeRef): number {
  return (ref.index + 1) * 2 ** ref.level - 1;
}

/**
 * The perfect subtrees that tile [start, end), largest first. Valid for the ranges RFC 9162's
 * recursion produces, whose start is a multiple of the largest power of two not above the size.
 */
export function decomposeRange(start: number, end: number): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  let position = start;
  let remaining = end - start;
  while (remaining > 0) {
    let level = Math.floor(Math.log2(remaining));
    while (2 ** level > remaining) level -= 1;
    while (2 ** (level + 1) <= remaining) level += 1;
    // The recursion guarantees alignment; a misaligned range would hash differently, so refuse.
    if (position % 2 ** level !== 0) throw new RangeError(`range [${start}, ${end}) is not aligned`);
    refs.push({ level, index: position / 2 ** level });
    position += 2 ** level;
    remaining -= 2 ** level;
  }
  return refs;
}

/** MTH of a range from the hashes of its tiling subtrees (largest first): a right fold. */
export function foldSubtrees(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) throw new RangeError('an empty range has no subtree hash');
  let acc: Buffer = Buffer.from(hashes[hashes.length - 1] as Uint8Array);
  for (let i = hashes.length - 2; i >= 0; i -= 1) acc = nodeHash(hashes[i] as Uint8Array, acc);
  return acc;
}

/** How many perfect subtrees (of height ≥ 1) the leaf at `leafIndex` completes. */
export function subtreesCompletedBy(leafIndex: number): number {
  let count = 0;
  let n = leafIndex;
  while (n % 2 === 1) {
    count += 1;
    n = (n - 1) / 2;
  }
  return count;
}
