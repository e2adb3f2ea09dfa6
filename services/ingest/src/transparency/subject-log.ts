import type { Executor } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { toPage } from '@credit/schema';
import { hashRanges, inclusionPlan, proveKey, subtreesNeeded } from '@credit/transparency';
import { and, asc, count, eq, gt, lt } from 'drizzle-orm';
import { logSubjectLeaves } from '../db/schema.ts';
import { type CheckpointRow, checkpointAt, latestCheckpoint } from './checkpointer.ts';
import { readLeaves, readSubtrees } from './log-store.ts';
import { mapNodeReader } from './map-store.ts';

/** The checkpoint a subject's question is asked against: the one named, or the newest. */
export async function chosenCheckpoint(db: Executor, treeSize: number | undefined): Promise<CheckpointRow> {
  const row = treeSize === undefined ? await latestCheckpoint(db) : await checkpointAt(db, treeSize);
  if (!row) {
    throw new ProblemError(
      'not_found',
      treeSize === undefined
        ? 'no checkpoint has been issued yet'
        : `no checkpoint was issued at tree size ${treeSize}`,
    );
  }
  return row;
}

export interface SubjectLeaf {
  leafIndex: number;
  leafHash: Buffer;
  leafInput: Buffer;
  kind: string;
  appendedAt: Date;
  ref: string;
  path: Buffer[];
}

/**
 * A page of the leaves about a subject inside a checkpoint, each with its inclusion path. The
 * paths share most subtrees, so they are fetched together in one probe.
 */
export async function subjectLeaves(
  db: Executor,
  subjectKey: Buffer,
  treeSize: number,
  options: { kind?: string; after: number; limit: number },
): Promise<{ items: SubjectLeaf[]; next?: string }> {
  const filters = [
    eq(logSubjectLeaves.subjectKey, subjectKey),
    gt(logSubjectLeaves.leafIndex, options.after),
    lt(logSubjectLeaves.leafIndex, treeSize),
  ];
  if (options.kind) filters.push(eq(logSubjectLeaves.kind, options.kind));
  const probe = await db
    .select({ leafIndex: logSubjectLeaves.leafIndex, ref: logSubjectLeaves.ref })
    .from(logSubjectLeaves)
    .where(and(...filters))
    .orderBy(asc(logSubjectLeaves.leafIndex))
    .limit(options.limit + 1);
  const { items: refs, next } = toPage(probe, options.limit, (r) => [r.leafIndex]);
  const leaves = await readLeaves(
    db,
    refs.map((r) => r.leafIndex),
  );
  const plans = new Map(leaves.map((leaf) => [leaf.leafIndex, inclusionPlan(leaf.leafIndex, treeSize)]));
  const subtrees = await readSubtrees(db, subtreesNeeded([...plans.values()].flat()));
  const refOf = new Map(refs.map((r) => [r.leafIndex, r.ref]));
  const items = leaves.map((leaf) => ({
    ...leaf,
    ref: refOf.get(leaf.leafIndex) as string,
    path: hashRanges(plans.get(leaf.leafIndex) ?? [], subtrees),
  }));
  return next === undefined ? { items } : { items, next };
}

/** How many accesses to the subject the checkpoint counts, and the map proof of their value. */
export async function accessMapProof(db: Executor, subjectKey: Buffer, treeSize: number) {
  const [counted] = await db
    .select({ n: count() })
    .from(logSubjectLeaves)
    .where(
      and(
        eq(logSubjectLeaves.subjectKey, subjectKey),
        eq(logSubjectLeaves.kind, 'access'),
        lt(logSubjectLeaves.leafIndex, treeSize),
      ),
    );
  const proof = await proveKey(mapNodeReader(db), subjectKey, treeSize);
  return { count: counted?.n ?? 0, proof };
}
