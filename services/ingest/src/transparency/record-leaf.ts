import { asBuffer, type Executor, resultRows } from '@credit/db';
import type { RecordVersionLeaf } from '@credit/transparency';
import { sql } from 'drizzle-orm';
import type { recordVersions } from '../db/schema.ts';
import type { PendingLeaf } from './log-store.ts';

type VersionRow = typeof recordVersions.$inferInsert;

/** How the log names a record version beside the subject: `rec_…:3`. */
export function versionRef(recordId: string, version: number): string {
  return `${recordId}:${version}`;
}

/**
 * The leaf of a record version: its header and commitments, nothing readable about the subject.
 * The verification tool rebuilds it from the stored row, so any later change to the row shows.
 */
export function recordVersionLeaf(row: VersionRow): RecordVersionLeaf {
  return {
    kind: 'record.version',
    recordId: row.recordId,
    version: row.version,
    operation: row.operation,
    status: row.status,
    provider: row.providerCode,
    category: row.category,
    receivedAt: row.receivedAt.toISOString(),
    commitment: row.contentCommitment.toString('hex'),
    chainHash: row.hash.toString('hex'),
  };
}

export function pendingVersionLeaf(row: VersionRow): PendingLeaf {
  return {
    body: recordVersionLeaf(row),
    subjectKey: row.subjectKey,
    ref: versionRef(row.recordId, row.version),
  };
}

export interface LeafRef {
  leafIndex: number;
  leafHash: Buffer;
}

/** The leaves of versions already on file (identical resubmissions), found in one statement. */
export async function findVersionLeaves(
  db: Executor,
  versions: readonly { subjectKey: Buffer; recordId: string; version: number }[],
): Promise<Map<string, LeafRef>> {
  const out = new Map<string, LeafRef>();
  if (versions.length === 0) return out;
  const keys = versions.map((v) => v.subjectKey.toString('hex'));
  const refs = versions.map((v) => versionRef(v.recordId, v.version));
  const found = resultRows<{ ref: string; leaf_index: string | number }>(
    await db.execute(sql`
      SELECT s.ref, s.leaf_index FROM ingest.log_subject_leaves s
      JOIN unnest(${sql.param(keys)}::text[], ${sql.param(refs)}::text[]) AS wanted(key_hex, ref)
        ON s.subject_key = decode(wanted.key_hex, 'hex') AND s.ref = wanted.ref`),
  );
  if (found.length === 0) return out;
  const indexes = found.map((f) => Number(f.leaf_index));
  const hashes = new Map(
    resultRows<{ leaf_index: string | number; leaf_hash: Buffer | Uint8Array }>(
      await db.execute(
        sql`SELECT leaf_index, leaf_hash FROM ingest.log_leaves WHERE leaf_index = ANY(${sql.param(indexes)}::bigint[])`,
      ),
    ).map((row) => [Number(row.leaf_index), asBuffer(row.leaf_hash)]),
  );
  for (const f of found) {
    const leafHash = hashes.get(Number(f.leaf_index));
    if (leafHash) out.set(f.ref, { leafIndex: Number(f.leaf_index), leafHash });
  }
  return out;
}
