import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendToFrontier,
  consistencyPlan,
  emptyFrontier,
  emptyTreeRoot,
  frontierRoot,
  hashRanges,
  inclusionPlan,
  leafHash,
  nodeHash,
  splitPoint,
  subtreesNeeded,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.ts';

/** MTH straight from RFC 9162 §2.1.1, as the reference every stored shortcut is held to. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = splitPoint(leaves.length);
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

function leavesOf(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
}

/** The store's view: per leaf, the hashes of the subtrees it completed. */
function storeOf(leaves: Buffer[]) {
  const { appended } = appendToFrontier(emptyFrontier, leaves);
  const subtrees = new Map<string, Buffer>();
  for (const { leafIndex, completed } of appended) {
    subtrees.set(`0:${leafIndex}`, leaves[leafIndex] as Buffer);
    completed.forEach((hash, i) => {
      const level = i + 1;
      subtrees.set(`${level}:${(leafIndex + 1) / 2 ** level - 1}`, hash);
    });
  }
  return subtrees;
}

describe('the Merkle log (RFC 9162)', () => {
  const all = leavesOf(70);
  const subtrees = storeOf(all);

  it('keeps the root of every size equal to the RFC definition, appending in any grouping', () => {
    expect(frontierRoot(emptyFrontier).equals(emptyTreeRoot)).toBe(true);
    let frontier = emptyFrontier;
    let appended = 0;
    for (const group of [1, 2, 3, 5, 8, 13, 21, 17]) {
      frontier = appendToFrontier(frontier, all.slice(appended, appended + group)).frontier;
      appended += group;
      expect(frontier.size).toBe(appended);
      expect(frontierRoot(frontier).equals(referenceRoot(all.slice(0, appended)))).toBe(true);
    }
  });

  it('proves every leaf of every tree size up to 70, and refuses a wrong leaf, index or root', () => {
    let checked = 0;
    for (let n = 1; n <= 70; n += 1) {
      const root = referenceRoot(all.slice(0, n));
      for (let m = 0; m < n; m += 1) {
        const plan = inclusionPlan(m, n);
        const path = hashRanges(plan, subtrees);
        expect(verifyInclusion(m, n, all[m] as Buffer, path, root)).toBe(true);
        expect(verifyInclusion(m, n, all[(m + 1) % 70] as Buffer, path, root)).toBe(false);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, all[m] as Buffer, path, root)).toBe(false);
        expect(verifyInclusion(m, n, all[m] as Buffer, path, randomBytes(32))).toBe(false);
        checked += 1;
      }
    }
    expect(checked).toBe((70 * 71) / 2);
  });

  it('proves every pair of sizes consistent, and refuses a rewritten past', () => {
    const roots = Array.from({ length: 71 }, (_, n) => referenceRoot(all.slice(0, n)));
    const rewritten = [...all];
    rewritten[3] = leafHash(Buffer.from('rewritten'));
    for (let second = 1; second <= 70; second += 1) {
      for (let first = 1; first <= second; first += 1) {
        const proof = hashRanges(consistencyPlan(first, second), subtrees);
        const ok = verifyConsistency(first, second, roots[first] as Buffer, roots[second] as Buffer, proof);
        expect(ok, `${first} → ${second}`).toBe(true);
        if (first > 3 && first < second) {
          // A log that changed leaf 3 after publishing `first` cannot prove itself consistent.
          const forged = hashRanges(consistencyPlan(first, second), storeOf(rewritten));
          const forgedRoot = referenceRoot(rewritten.slice(0, second));
          expect(verifyConsistency(first, second, roots[first] as Buffer, forgedRoot, forged)).toBe(false);
        }
      }
    }
  });

  it('needs only stored subtrees for its proofs, and few of them', () => {
    const needed = subtreesNeeded(inclusionPlan(123_456, 1_000_003));
    expect(needed.length).toBeLessThanOrEqual(40);
    expect(() => inclusionPlan(5, 5)).toThrow(RangeError);
    expect(() => consistencyPlan(6, 5)).toThrow(RangeError);
  });
});
