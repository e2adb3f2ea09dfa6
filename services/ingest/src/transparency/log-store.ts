import { bulkInsert, type Executor } from '@credit/db';
import {
  appendToFrontier,
  consistencyPlan,
  encodeLeaf,
  type Frontier,
  frontierRoot,
  hashRanges,
  hashSize,
  inclusionPlan,
  type LeafBody,
  leafHash,
  type SubtreeRef,
  subtreeLastLeaf,
  subtreesNeeded,
} from '@credit/transparency';
import { and, eq, inArray } from 'drizzle-orm';
import { logHead, logLeaves, logOpenings, logSubjectLeaves } from '../db/schema.ts';

/** A leaf on its way into the log, with what the store keeps beside it. */
export interface PendingLeaf {
  body: LeafBody;
  /** Who the entry is about; null for entries about no subject. */
  subjectKey: Buffer | null;
  /** What the leaf logs, e.g. `rec_…:2`, an access entry id or an event id. */
  ref: string;
  /** The salt opening a decision leaf's commitment. */
  salt?: Buffer;
}

export interface AppendedRef {
  leafIndex: number;
  leafHash: Buffer;
  ref: string;
}

function splitHashes(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += hashSize)
    out.push(bytes.subarray(offset, offset + hashSize));
  return out;
}

/**
 * Appends leaves at the end of the caller's transaction. The head row's lock orders appenders:
 * indexes are dense and a leaf is visible exactly when the write it logs commits, so the log and
 * what it logs can never disagree. Call it last, to hold the lock for as short a time as possible.
 */
export async function appendLeaves(
  tx: Executor,
  leaves: readonly PendingLeaf[],
  now: Date,
): Promise<AppendedRef[]> {
  if (leaves.length === 0) return [];
  const inputs = leaves.map((leaf) => encodeLeaf(leaf.body));
  const hashes = inputs.map((input) => leafHash(input));
  const [head] = await tx.select().from(logHead).where(eq(logHead.logId, 1)).for('update');
  if (!head) throw new Error('the transparency log has no head row; run the migrations');
  const before: Frontier = { size: head.treeSize, hashes: splitHashes(head.frontier) };
  const { frontier, appended } = appendToFrontier(before, hashes);

  await bulkInsert(
    tx,
    logLeaves,
    appended.map((a, i) => ({
      leafIndex: a.leafIndex,
      leafHash: hashes[i] as Buffer,
      leafInput: inputs[i] as Buffer,
      kind: (leaves[i] as PendingLeaf).body.kind,
      subtreeHashes: Buffer.concat(a.completed),
      appendedAt: now,
    })),
  );
  const aboutSubjects = appended.flatMap((a, i) => {
    const leaf = leaves[i] as PendingLeaf;
    return leaf.subjectKey
      ? [{ subjectKey: leaf.subjectKey, leafIndex: a.leafIndex, kind: leaf.body.kind, ref: leaf.ref }]
      : [];
  });
  if (aboutSubjects.length > 0) await bulkInsert(tx, logSubjectLeaves, aboutSubjects);
  const openings = appended.flatMap((a, i) => {
    const salt = (leaves[i] as PendingLeaf).salt;
    return salt ? [{ leafIndex: a.leafIndex, salt }] : [];
  });
  if (openings.length > 0) await bulkInsert(tx, logOpenings, openings);
  await tx
    .update(logHead)
    .set({ treeSize: frontier.size, frontier: Buffer.concat(frontier.hashes), updatedAt: now })
    .where(eq(logHead.logId, 1));
  return appended.map((a, i) => ({
    leafIndex: a.leafIndex,
    leafHash: hashes[i] as Buffer,
    ref: (leaves[i] as PendingLeaf).ref,
  }));
}

/** The committed head: size and root. */
export async function readHead(db: Executor): Promise<{ treeSize: number; root: Buffer; updatedAt: Date }> {
  const [head] = await db.select().from(logHead).where(eq(logHead.logId, 1));
  if (!head) throw new Error('the transparency log has no head row; run the migrations');
  return {
    treeSize: head.treeSize,
    root: frontierRoot({ size: head.treeSize, hashes: splitHashes(head.frontier) }),
    updatedAt: head.updatedAt,
  };
}

/** Fetches perfect subtree hashes (keyed `level:index`) with one primary-key probe per subtree. */
export async function readSubtrees(db: Executor, refs: readonly SubtreeRef[]): Promise<Map<string, Buffer>> {
  const byLeaf = new Map<number, SubtreeRef[]>();
  for (const ref of refs) {
    const last = subtreeLastLeaf(ref);
    byLeaf.set(last, [...(byLeaf.get(last) ?? []), ref]);
  }
  const out = new Map<string, Buffer>();
  if (byLeaf.size === 0) return out;
  const rows = await db
    .select({
      leafIndex: logLeaves.leafIndex,
      leafHash: logLeaves.leafHash,
      subtreeHashes: logLeaves.subtreeHashes,
    })
    .from(logLeaves)
    .where(inArray(logLeaves.leafIndex, [...byLeaf.keys()]));
  for (const row of rows) {
    for (const ref of byLeaf.get(row.leafIndex) ?? []) {
      const hash =
        ref.level === 0
          ? row.leafHash
          : row.subtreeHashes.subarray((ref.level - 1) * hashSize, ref.level * hashSize);
      if (hash.length === hashSize) out.set(`${ref.level}:${ref.index}`, hash);
    }
  }
  return out;
}

export async function inclusionProof(db: Executor, leafIndex: number, treeSize: number): Promise<Buffer[]> {
  const plan = inclusionPlan(leafIndex, treeSize);
  return hashRanges(plan, await readSubtrees(db, subtreesNeeded(plan)));
}

export async function consistencyProof(db: Executor, first: number, second: number): Promise<Buffer[]> {
  const plan = consistencyPlan(first, second);
  return hashRanges(plan, await readSubtrees(db, subtreesNeeded(plan)));
}

export interface StoredLeaf {
  leafIndex: number;
  leafHash: Buffer;
  leafInput: Buffer;
  kind: string;
  appendedAt: Date;
}

export async function readLeaves(db: Executor, indexes: readonly number[]): Promise<StoredLeaf[]> {
  if (indexes.length === 0) return [];
  return db
    .select({
      leafIndex: logLeaves.leafIndex,
      leafHash: logLeaves.leafHash,
      leafInput: logLeaves.leafInput,
      kind: logLeaves.kind,
      appendedAt: logLeaves.appendedAt,
    })
    .from(logLeaves)
    .where(inArray(logLeaves.leafIndex, [...indexes]))
    .orderBy(logLeaves.leafIndex);
}

/**
 * The leaves logged for a subject under the given refs (e.g. a record's versions). Two probes,
 * not a join: the subject index and the tree are distributed differently.
 */
export async function leavesByRef(
  db: Executor,
  subjectKey: Buffer,
  refs: readonly string[],
): Promise<Map<string, { leafIndex: number; leafHash: Buffer }>> {
  const out = new Map<string, { leafIndex: number; leafHash: Buffer }>();
  if (refs.length === 0) return out;
  const rows = await db
    .select({ ref: logSubjectLeaves.ref, leafIndex: logSubjectLeaves.leafIndex })
    .from(logSubjectLeaves)
    .where(and(eq(logSubjectLeaves.subjectKey, subjectKey), inArray(logSubjectLeaves.ref, [...refs])));
  const hashes = new Map(
    (
      await db
        .select({ leafIndex: logLeaves.leafIndex, leafHash: logLeaves.leafHash })
        .from(logLeaves)
        .where(
          inArray(
            logLeaves.leafIndex,
            rows.map((r) => r.leafIndex),
          ),
        )
    ).map((l) => [l.leafIndex, l.leafHash]),
  );
  for (const row of rows) {
    const leafHash = hashes.get(row.leafIndex);
    if (leafHash) out.set(row.ref, { leafIndex: row.leafIndex, leafHash });
  }
  return out;
}
