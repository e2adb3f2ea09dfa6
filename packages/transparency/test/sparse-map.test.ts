import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  accessValueOf,
  emptyMapHash,
  keyBit,
  type MapChange,
  type MapNode,
  type MapNodeReader,
  type MapPosition,
  mapBranchHash,
  mapLeafHash,
  mapRootOf,
  positionId,
  proveKey,
  updateMap,
  verifyMapProof,
} from '../src/index.ts';

/** The canonical root of a key set, computed from scratch. */
function referenceRoot(entries: MapChange[], depth = 0): Buffer {
  if (entries.length === 0) return emptyMapHash;
  if (entries.length === 1) {
    const only = entries[0] as MapChange;
    return mapLeafHash(only.key, only.valueHash);
  }
  return mapBranchHash(
    referenceRoot(
      entries.filter((e) => keyBit(e.key, depth) === 0),
      depth + 1,
    ),
    referenceRoot(
      entries.filter((e) => keyBit(e.key, depth) === 1),
      depth + 1,
    ),
  );
}

/** Versioned node storage as the database keeps it: every write under its revision. */
class MemoryNodes implements MapNodeReader {
  readonly versions = new Map<string, { revision: number; node: MapNode }[]>();
  reads = 0;
  async read(positions: readonly MapPosition[], revision?: number) {
    this.reads += 1;
    const out = new Map<string, MapNode>();
    for (const position of positions) {
      const id = positionId(position);
      const found = (this.versions.get(id) ?? []).filter(
        (v) => revision === undefined || v.revision <= revision,
      );
      const newest = found[found.length - 1];
      if (newest) out.set(id, newest.node);
    }
    return out;
  }
  async apply(changes: MapChange[], revision: number) {
    const { root, written } = await updateMap(this, changes);
    for (const w of written) {
      const id = positionId(w);
      this.versions.set(id, [...(this.versions.get(id) ?? []), { revision, node: w.node }]);
    }
    return root;
  }
}

const change = (key: Buffer): MapChange => ({ key, valueHash: accessValueOf([randomBytes(32)]) });

describe('the sparse Merkle map of access histories', () => {
  it('matches the from-scratch root after batched updates, and proves old revisions', async () => {
    const store = new MemoryNodes();
    const state = new Map<string, MapChange>();
    const roots: Buffer[] = [];
    for (let revision = 1; revision <= 12; revision += 1) {
      const batch: MapChange[] = [];
      for (let i = 0; i < 25; i += 1) batch.push(change(randomBytes(32)));
      // Existing keys change value too, as a subject is read again.
      for (const existing of [...state.values()].slice(0, 5)) batch.push(change(existing.key));
      const root = await store.apply(batch, revision);
      for (const c of batch) state.set(c.key.toString('hex'), c);
      expect(root.equals(referenceRoot([...state.values()]))).toBe(true);
      expect(mapRootOf([...state.values()]).equals(root)).toBe(true);
      roots.push(root);
    }
    // Every key proves its newest value; at revision 3 a later key proves absent.
    for (const entry of state.values()) {
      const proof = await proveKey(store, entry.key);
      expect(verifyMapProof(roots[11] as Buffer, entry.key, proof)?.toString('hex')).toBe(
        entry.valueHash.toString('hex'),
      );
    }
    const late = [...state.values()].at(-1) as MapChange;
    const old = await proveKey(store, late.key, 3);
    expect(verifyMapProof(roots[2] as Buffer, late.key, old)).toBeNull();
  });

  it('proves absence, and refuses a changed value, a wrong root or a dropped sibling', async () => {
    const store = new MemoryNodes();
    const entries = Array.from({ length: 200 }, () => change(randomBytes(32)));
    const root = await store.apply(entries, 1);
    const stranger = randomBytes(32);
    expect(verifyMapProof(root, stranger, await proveKey(store, stranger))).toBeNull();

    const target = entries[17] as MapChange;
    const proof = await proveKey(store, target.key);
    expect(proof.siblings.length).toBeLessThan(24);
    expect(store.reads).toBeLessThan(10);
    if (proof.terminal.kind !== 'leaf') throw new Error('expected a leaf');
    const tampered = { ...proof, terminal: { ...proof.terminal, valueHash: randomBytes(32) } };
    expect(verifyMapProof(root, target.key, tampered)).toBe(false);
    expect(verifyMapProof(randomBytes(32), target.key, proof)).toBe(false);
    expect(verifyMapProof(root, target.key, { ...proof, siblings: proof.siblings.slice(1) })).toBe(false);
    // A proof for one key does not pass as absence of another on a different path. (A random key
    // shares the target's path with odds 1 in 2^depth, and then the leaf rightly proves it absent:
    // the key on the other side of the root cannot.)
    const elsewhere = Buffer.from(target.key);
    elsewhere[0] = (elsewhere[0] as number) ^ 0x80;
    expect(verifyMapProof(root, elsewhere, proof)).toBe(false);
  });

  it('derives an access value that changes with any hidden, added or reordered entry', () => {
    const leaves = Array.from({ length: 4 }, () => randomBytes(32));
    const value = accessValueOf(leaves);
    expect(accessValueOf([...leaves]).equals(value)).toBe(true);
    expect(accessValueOf(leaves.slice(1)).equals(value)).toBe(false);
    expect(accessValueOf([...leaves, randomBytes(32)]).equals(value)).toBe(false);
    expect(accessValueOf([leaves[1], leaves[0], leaves[2], leaves[3]] as Buffer[]).equals(value)).toBe(false);
  });
});
