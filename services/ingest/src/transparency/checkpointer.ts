import type { PlatformSigner } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { appendEvents } from '@credit/events';
import { type CheckpointIssued, checkpointIssuedType } from '@credit/schema';
import {
  accessValueHash,
  type CheckpointBody,
  checkpointBytes,
  checkpointFormat,
  checkpointSignatureType,
  emptyAccessChain,
  emptyMapHash,
  extendAccessChain,
  updateMap,
} from '@credit/transparency';
import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import {
  accessHeads,
  ingestOutbox,
  ingestSchemaName,
  logCheckpoints,
  logLeaves,
  logSubjectLeaves,
} from '../db/schema.ts';
import { readHead } from './log-store.ts';
import { mapNodeReader, writeMapNodes } from './map-store.ts';

export interface SignedCheckpoint {
  body: CheckpointBody;
  signature: string;
}

export type CheckpointRow = typeof logCheckpoints.$inferSelect;

export function signedCheckpointOf(row: CheckpointRow): SignedCheckpoint {
  return { body: JSON.parse(row.body) as CheckpointBody, signature: row.signature };
}

export async function latestCheckpoint(db: Executor): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(logCheckpoints).orderBy(desc(logCheckpoints.treeSize)).limit(1);
  return row;
}

export async function checkpointAt(db: Executor, treeSize: number): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(logCheckpoints).where(eq(logCheckpoints.treeSize, treeSize));
  return row;
}

/**
 * Folds the access leaves appended since the last checkpoint into each subject's chain and the
 * map. The chain runs in leaf order, so the map is a pure function of the log: anyone holding the
 * leaves and who they concern can recompute every root.
 */
async function advanceAccessMap(tx: Executor, from: number, to: number): Promise<Buffer | undefined> {
  const accesses = await tx
    .select({ subjectKey: logSubjectLeaves.subjectKey, leafIndex: logSubjectLeaves.leafIndex })
    .from(logSubjectLeaves)
    .where(
      and(
        eq(logSubjectLeaves.kind, 'access'),
        gte(logSubjectLeaves.leafIndex, from),
        lt(logSubjectLeaves.leafIndex, to),
      ),
    )
    .orderBy(logSubjectLeaves.leafIndex);
  if (accesses.length === 0) return undefined;
  const hashes = new Map(
    (
      await tx
        .select({ leafIndex: logLeaves.leafIndex, leafHash: logLeaves.leafHash })
        .from(logLeaves)
        .where(
          inArray(
            logLeaves.leafIndex,
            accesses.map((a) => a.leafIndex),
          ),
        )
    ).map((row) => [row.leafIndex, row.leafHash]),
  );
  const subjects = [...new Map(accesses.map((a) => [a.subjectKey.toString('hex'), a.subjectKey])).values()];
  const heads = new Map(
    (await tx.select().from(accessHeads).where(inArray(accessHeads.subjectKey, subjects))).map((h) => [
      h.subjectKey.toString('hex'),
      { count: h.accessCount, head: h.head },
    ]),
  );
  for (const access of accesses) {
    const id = access.subjectKey.toString('hex');
    const state = heads.get(id) ?? { count: 0, head: emptyAccessChain };
    const leafHash = hashes.get(access.leafIndex);
    if (!leafHash) throw new Error(`access leaf ${access.leafIndex} is missing from the log`);
    heads.set(id, { count: state.count + 1, head: extendAccessChain(state.head, leafHash) });
  }
  const touched = subjects.map((key) => ({
    key,
    ...(heads.get(key.toString('hex')) as { count: number; head: Buffer }),
  }));
  await tx
    .insert(accessHeads)
    .values(touched.map((t) => ({ subjectKey: t.key, accessCount: t.count, head: t.head, treeSize: to })))
    .onConflictDoUpdate({
      target: accessHeads.subjectKey,
      set: {
        accessCount: sql`excluded.access_count`,
        head: sql`excluded.head`,
        treeSize: sql`excluded.tree_size`,
      },
    });
  const { root, written } = await updateMap(
    mapNodeReader(tx),
    touched.map((t) => ({ key: t.key, valueHash: accessValueHash(t.count, t.head) })),
  );
  await writeMapNodes(tx, written, to);
  return root;
}

/**
 * Issues a checkpoint when the log has grown since the last one. One issuer at a time (an
 * advisory lock), so several instances may run the job; the head read is the committed one, so
 * every leaf a checkpoint counts is durable.
 */
export async function issueCheckpoint(
  db: Database,
  signer: PlatformSigner,
  origin: string,
  now: Date,
): Promise<CheckpointRow | undefined> {
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended('ingest.log_checkpoints', 0))`);
    const head = await readHead(tx);
    const last = await latestCheckpoint(tx);
    if (head.treeSize === 0 || (last && last.treeSize >= head.treeSize)) return undefined;
    const from = last?.treeSize ?? 0;
    const mapRoot = (await advanceAccessMap(tx, from, head.treeSize)) ?? last?.mapRoot ?? emptyMapHash;
    const body: CheckpointBody = {
      format: checkpointFormat,
      origin,
      treeSize: head.treeSize,
      rootHash: head.root.toString('hex'),
      mapRoot: mapRoot.toString('hex'),
      issuedAt: now.toISOString(),
    };
    const text = checkpointBytes(body);
    const row: CheckpointRow = {
      treeSize: head.treeSize,
      rootHash: head.root,
      mapRoot,
      issuedAt: now,
      body: text,
      signature: await signer.signDetached(text, checkpointSignatureType),
    };
    await tx.insert(logCheckpoints).values(row);
    // Followers that cut snapshots of what they applied (open data) cite the checkpoint: the
    // event follows on the feed every record event whose leaf it covers. It concerns no subject.
    const announced: CheckpointIssued = {
      treeSize: row.treeSize,
      rootHash: body.rootHash,
      issuedAt: body.issuedAt,
      body: text,
      signature: row.signature,
    };
    await appendEvents(
      tx,
      ingestOutbox,
      ingestSchemaName,
      [
        {
          type: checkpointIssuedType,
          subjectKey: Buffer.alloc(0),
          aggregateId: `checkpoint-${row.treeSize}`,
          payload: announced,
        },
      ],
      now,
    );
    return row;
  });
}
