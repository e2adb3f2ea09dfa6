import { createHash } from 'node:crypto';

/**
 * A sparse Merkle map over 256-bit keys (the subjects' blind indexes). A subtree holding no key
 * hashes to 32 zero bytes, one holding a single key is that key's leaf wherever it sits, and one
 * holding two or more is a branch: the shape is a function of the key set, so the root commits
 * to exactly the set and a proof shows either a key's value or that it has none. Storage grows
 * with the keys (≈ 2 nodes per key), not with the 2^256 key space.
 */
export const mapKeyBytes = 32;
export const emptyMapHash: Buffer = Buffer.alloc(32);

export function mapLeafHash(key: Uint8Array, valueHash: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(2)).update(key).update(valueHash).digest();
}

export function mapBranchHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

export function keyBit(key: Uint8Array, depth: number): 0 | 1 {
  return (((key[depth >> 3] as number) >> (7 - (depth & 7))) & 1) as 0 | 1;
}

/** The first `depth` bits of the key, the rest of the last byte zeroed: a node's position. */
export function keyPrefix(key: Uint8Array, depth: number): Buffer {
  const bytes = Buffer.from(key.subarray(0, Math.ceil(depth / 8)));
  const spare = bytes.length * 8 - depth;
  if (spare > 0) bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) & (0xff << spare) & 0xff;
  return bytes;
}

function withBit(prefix: Buffer, depth: number, bit: 0 | 1): Buffer {
  const bytes = Buffer.alloc(Math.ceil((depth + 1) / 8));
  prefix.copy(bytes);
  if (bit === 1) bytes[depth >> 3] = (bytes[depth >> 3] as number) | (0x80 >> (depth & 7));
  return bytes;
}

export interface MapPosition {
  depth: number;
  prefix: Buffer;
}

export function positionId(position: MapPosition): string {
  return `${position.depth}:${position.prefix.toString('hex')}`;
}

export type MapNode =
  | { kind: 'leaf'; key: Buffer; valueHash: Buffer; hash: Buffer }
  | { kind: 'branch'; hash: Buffer };

export interface StoredMapNode extends MapPosition {
  node: MapNode;
}

/** Reads nodes by position: the newest at or before `revision` (or the newest of all). */
export interface MapNodeReader {
  read(positions: readonly MapPosition[], revision?: number): Promise<Map<string, MapNode>>;
}

/** How many levels to fetch per round trip: paths in a map of n keys are ≈ log2(n) deep. */
const levelsPerRound = 24;

/** Loads the path of every key (and the siblings along it) down to where each path ends. */
async function loadPaths(
  reader: MapNodeReader,
  keys: readonly Buffer[],
  revision?: number,
): Promise<Map<string, MapNode>> {
  const cache = new Map<string, MapNode>();
  let pending = [...keys];
  let from = 0;
  while (pending.length > 0) {
    const to = Math.min(from + levelsPerRound, mapKeyBytes * 8 + 1);
    const positions = new Map<string, MapPosition>();
    for (const key of pending) {
      for (let depth = from; depth < to; depth += 1) {
        const onPath = { depth, prefix: keyPrefix(key, depth) };
        positions.set(positionId(onPath), onPath);
        if (depth > 0) {
          const parent = keyPrefix(key, depth - 1);
          const sibling = { depth, prefix: withBit(parent, depth - 1, keyBit(key, depth - 1) === 1 ? 0 : 1) };
          positions.set(positionId(sibling), sibling);
        }
      }
    }
    for (const [id, node] of await reader.read([...positions.values()], revision)) cache.set(id, node);
    pending = pending.filter((key) => {
      for (let depth = from; depth < to; depth += 1) {
        const node = cache.get(positionId({ depth, prefix: keyPrefix(key, depth) }));
        if (!node || node.kind === 'leaf') return false;
      }
      return true;
    });
    from = to;
  }
  return cache;
}

function hashOf(node: MapNode | undefined): Buffer {
  return node ? node.hash : emptyMapHash;
}

export interface MapChange {
  key: Buffer;
  valueHash: Buffer;
}

/**
 * Sets the given keys' values (keys are never removed: an access history only grows). Returns the
 * new root and the nodes that changed, to be stored under the new revision.
 */
export async function updateMap(
  reader: MapNodeReader,
  changes: readonly MapChange[],
): Promise<{ root: Buffer; written: StoredMapNode[] }> {
  const latest = new Map<string, MapChange>();
  for (const change of changes) latest.set(change.key.toString('hex'), change);
  const unique = [...latest.values()];
  const cache = await loadPaths(
    reader,
    unique.map((c) => c.key),
  );
  const written: StoredMapNode[] = [];
  const emit = (position: MapPosition, node: MapNode): MapNode => {
    const before = cache.get(positionId(position));
    if (!before?.hash.equals(node.hash)) written.push({ ...position, node });
    return node;
  };

  const build = (position: MapPosition, entries: MapChange[]): MapNode | undefined => {
    if (entries.length === 0) return undefined;
    if (entries.length === 1) {
      const only = entries[0] as MapChange;
      return emit(position, {
        kind: 'leaf',
        key: only.key,
        valueHash: only.valueHash,
        hash: mapLeafHash(only.key, only.valueHash),
      });
    }
    const { depth, prefix } = position;
    const left = build(
      { depth: depth + 1, prefix: withBit(prefix, depth, 0) },
      entries.filter((e) => keyBit(e.key, depth) === 0),
    );
    const right = build(
      { depth: depth + 1, prefix: withBit(prefix, depth, 1) },
      entries.filter((e) => keyBit(e.key, depth) === 1),
    );
    return emit(position, { kind: 'branch', hash: mapBranchHash(hashOf(left), hashOf(right)) });
  };

  const rebuild = (position: MapPosition, entries: MapChange[]): MapNode | undefined => {
    const current = cache.get(positionId(position));
    if (!current || current.kind === 'leaf') {
      const merged = new Map<string, MapChange>();
      if (current?.kind === 'leaf')
        merged.set(current.key.toString('hex'), { key: current.key, valueHash: current.valueHash });
      for (const entry of entries) merged.set(entry.key.toString('hex'), entry);
      return build(position, [...merged.values()]);
    }
    const { depth, prefix } = position;
    const children = ([0, 1] as const).map((bit) => {
      const child = { depth: depth + 1, prefix: withBit(prefix, depth, bit) };
      const mine = entries.filter((e) => keyBit(e.key, depth) === bit);
      return mine.length > 0 ? rebuild(child, mine) : cache.get(positionId(child));
    });
    return emit(position, { kind: 'branch', hash: mapBranchHash(hashOf(children[0]), hashOf(children[1])) });
  };

  const top = { depth: 0, prefix: Buffer.alloc(0) };
  if (unique.length === 0) return { root: hashOf((await reader.read([top])).get(positionId(top))), written };
  return { root: hashOf(rebuild(top, unique)), written };
}

/** A key's proof: sibling hashes from the root down, and what the path ends in. */
export interface MapProof {
  siblings: Buffer[];
  terminal: { kind: 'leaf'; key: Buffer; valueHash: Buffer } | { kind: 'empty' };
}

export async function proveKey(reader: MapNodeReader, key: Buffer, revision?: number): Promise<MapProof> {
  const cache = await loadPaths(reader, [key], revision);
  const siblings: Buffer[] = [];
  for (let depth = 0; ; depth += 1) {
    const node = cache.get(positionId({ depth, prefix: keyPrefix(key, depth) }));
    if (!node) return { siblings, terminal: { kind: 'empty' } };
    if (node.kind === 'leaf')
      return { siblings, terminal: { kind: 'leaf', key: node.key, valueHash: node.valueHash } };
    const parent = keyPrefix(key, depth);
    const sibling = { depth: depth + 1, prefix: withBit(parent, depth, keyBit(key, depth) === 1 ? 0 : 1) };
    siblings.push(hashOf(cache.get(positionId(sibling))));
  }
}

/**
 * Checks a proof against a signed map root. Returns the key's value hash, `null` when the proof
 * shows the key has no value, or `false` when the proof does not hold.
 */
export function verifyMapProof(root: Uint8Array, key: Uint8Array, proof: MapProof): Buffer | null | false {
  const depth = proof.siblings.length;
  if (depth > mapKeyBytes * 8) return false;
  let hash: Buffer;
  if (proof.terminal.kind === 'leaf') {
    // A leaf met on the way to another key must share the path walked so far.
    if (!keyPrefix(proof.terminal.key, depth).equals(keyPrefix(key, depth))) return false;
    hash = mapLeafHash(proof.terminal.key, proof.terminal.valueHash);
  } else {
    hash = emptyMapHash;
  }
  for (let level = depth - 1; level >= 0; level -= 1) {
    const sibling = proof.siblings[level] as Buffer;
    hash = keyBit(key, level) === 1 ? mapBranchHash(sibling, hash) : mapBranchHash(hash, sibling);
  }
  if (!hash.equals(Buffer.from(root))) return false;
  if (proof.terminal.kind === 'leaf' && proof.terminal.key.equals(Buffer.from(key)))
    return proof.terminal.valueHash;
  return null;
}

/**
 * The root of a map holding exactly these entries, computed from scratch in memory: what an
 * auditor recomputes from the log to check the roots a checkpoint signed.
 */
export function mapRootOf(entries: readonly MapChange[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.key, b.key));
  const build = (from: number, to: number, depth: number): Buffer => {
    if (from === to) return emptyMapHash;
    if (to - from === 1) {
      const only = sorted[from] as MapChange;
      return mapLeafHash(only.key, only.valueHash);
    }
    // Sorted keys: those with bit 0 at this depth come first.
    let split = from;
    while (split < to && keyBit((sorted[split] as MapChange).key, depth) === 0) split += 1;
    return mapBranchHash(build(from, split, depth + 1), build(split, to, depth + 1));
  };
  return build(0, sorted.length, 0);
}
