import { nodeHash, splitPoint } from './log-hash.ts';
import { decomposeRange, foldSubtrees, type SubtreeRef } from './subtrees.ts';

/** A proof element before hashing: MTH of the leaves [start, end). */
export interface RangeNeeded {
  start: number;
  end: number;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), as the ranges whose hashes form it (deepest first). */
export function inclusionPlan(leafIndex: number, treeSize: number): RangeNeeded[] {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0)
    throw new RangeError('leaf index and tree size must be non-negative integers');
  if (leafIndex >= treeSize) throw new RangeError('the leaf is not in a tree of that size');
  const path: RangeNeeded[] = [];
  const walk = (m: number, start: number, n: number): void => {
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, k);
      path.push({ start: start + k, end: start + n });
    } else {
      walk(m - k, start + k, n - k);
      path.push({ start, end: start + k });
    }
  };
  walk(leafIndex, 0, treeSize);
  return path;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]), as ranges (deepest first). Empty when m = n or m = 0. */
export function consistencyPlan(first: number, second: number): RangeNeeded[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0)
    throw new RangeError('tree sizes must be non-negative integers');
  if (first > second) throw new RangeError('the first tree must not be larger than the second');
  if (first === 0 || first === second) return [];
  const proof: RangeNeeded[] = [];
  const sub = (m: number, start: number, n: number, whole: boolean): void => {
    if (m === n) {
      if (!whole) proof.push({ start, end: start + n });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, k, whole);
      proof.push({ start: start + k, end: start + n });
    } else {
      sub(m - k, start + k, n - k, false);
      proof.push({ start, end: start + k });
    }
  };
  sub(first, 0, second, true);
  return proof;
}

/** Every perfect subtree the ranges need, deduplicated: what a store must fetch in one go. */
export function subtreesNeeded(ranges: readonly RangeNeeded[]): SubtreeRef[] {
  const seen = new Map<string, SubtreeRef>();
  for (const range of ranges)
    for (const ref of decomposeRange(range.start, range.end)) seen.set(`${ref.level}:${ref.index}`, ref);
  return [...seen.values()];
}

/** Hashes each range from fetched subtree hashes (keyed `level:index`). */
export function hashRanges(ranges: readonly RangeNeeded[], subtrees: ReadonlyMap<string, Buffer>): Buffer[] {
  return ranges.map((range) =>
    foldSubtrees(
      decomposeRange(range.start, range.end).map((ref) => {
        const hash = subtrees.get(`${ref.level}:${ref.index}`);
        if (!hash) throw new Error(`subtree ${ref.level}:${ref.index} is missing from the store`);
        return hash;
      }),
    ),
  );
}

function isOdd(n: bigint): boolean {
  return (n & 1n) === 1n;
}

/** RFC 9162 §2.1.3.2: true when `leaf` is at `leafIndex` in the tree of `treeSize` with `root`. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leafIndex < 0 || leafIndex >= treeSize) return false;
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize - 1);
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0n) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(Buffer.from(root));
}

/** RFC 9162 §2.1.4.2: true when the tree of `second` leaves extends the tree of `first`. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(Buffer.from(secondRoot));
  // Every tree extends the empty tree; there is nothing to prove.
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = [...proof];
  const firstBig = BigInt(first);
  if ((firstBig & (firstBig - 1n)) === 0n) path.unshift(firstRoot);
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  while (isOdd(fn)) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(path[0] as Uint8Array);
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(Buffer.from(firstRoot)) && sr.equals(Buffer.from(secondRoot)) && sn === 0n;
}
