import { canonicalJson, type PlatformSigner, sha256 } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { appendEvents } from '@credit/events';
import { type ErasureReason, type RecordErased, recordErasedType } from '@credit/schema';
import { tombstoneSignatureType } from '@credit/transparency';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import {
  erasureOrders,
  ingestOutbox,
  ingestSchemaName,
  records,
  recordVersions,
  tombstones,
} from '../db/schema.ts';
import { appendLeaves } from '../transparency/log-store.ts';
import { findVersionLeaves } from '../transparency/record-leaf.ts';

/** Why content may be erased, and the law that says so. */
export const erasureBases: Record<ErasureReason, string> = {
  retention_expired:
    '《中华人民共和国个人信息保护法》第四十七条（保存期限已届满）；《征信业管理条例》第十六条（不良信息保存期限届满后予以删除）',
  objection_upheld:
    '《中华人民共和国个人信息保护法》第四十六条（更正、补充）；异议信息经核实确有错误的，行业主管部门负责修正并更正发布',
};

export const tombstoneFormat = 'credit-platform/tombstone/v1';

export interface TombstoneStatement {
  format: typeof tombstoneFormat;
  recordId: string;
  provider: string;
  versions: number[];
  /** The log leaves of the erased versions: what the tombstone vouches for. */
  leaves: number[];
  reason: ErasureReason;
  legalBasis: string;
  erasedAt: string;
  objectionId: string | null;
}

export interface ErasureOrder {
  subjectKey: Buffer;
  recordId: string;
  versions: number[];
  reason: ErasureReason;
  objectionId: string | null;
}

/**
 * Erases the content of the given versions in the caller's transaction: data, salt, names and
 * consent reference from the rows, the same from their outbox events; then signs a tombstone,
 * logs it, keeps it, and announces `record.erased`. Versions already erased are skipped; when
 * nothing is left to erase, nothing happens (so an order can be retried safely).
 */
export async function eraseVersions(
  tx: Executor,
  signer: PlatformSigner,
  order: ErasureOrder,
  now: Date,
): Promise<TombstoneStatement | undefined> {
  await tx.execute(sql`SET LOCAL credit.erasure = 'on'`);
  const erased = await tx
    .update(recordVersions)
    .set({
      data: null,
      contentSalt: null,
      relatedPersons: [],
      subjectNameCipher: Buffer.alloc(0),
      subjectNameMac: null,
      consentRef: null,
      fingerprint: Buffer.alloc(0),
      // How severe the item was, and the department's own words about it, go with the content.
      severity: null,
      reason: null,
      erasedAt: now,
    })
    .where(
      and(
        eq(recordVersions.subjectKey, order.subjectKey),
        eq(recordVersions.recordId, order.recordId),
        inArray(recordVersions.version, order.versions),
        isNull(recordVersions.erasedAt),
      ),
    )
    .returning({ version: recordVersions.version, provider: recordVersions.providerCode });
  if (erased.length === 0) return undefined;
  const versions = erased.map((e) => e.version).sort((a, b) => a - b);

  // The outbox carried the same content to the other services: it goes too. The event stays,
  // marked erased, so that a consumer reading the feed later (a lagging projection, a replay)
  // knows not to build anything from it.
  await tx.execute(sql`
    UPDATE ingest.events
    SET payload = payload
      || jsonb_build_object('data', '{}'::jsonb, 'relatedPersons', '[]'::jsonb, 'severity', null,
           'reason', null, 'consentRef', null, 'erased', true)
      || jsonb_build_object('subject', (payload->'subject') || jsonb_build_object('nameCipher', ''))
    WHERE subject_key = ${order.subjectKey} AND aggregate_id = ${order.recordId}
      AND type IN ('record.created', 'record.corrected', 'record.withdrawn')
      AND (payload->>'version')::int = ANY(${sql.param(versions)}::int[])`);

  const leaves = await findVersionLeaves(
    tx,
    versions.map((version) => ({ subjectKey: order.subjectKey, recordId: order.recordId, version })),
  );
  const statement: TombstoneStatement = {
    format: tombstoneFormat,
    recordId: order.recordId,
    provider: (erased[0] as { provider: string }).provider,
    versions,
    leaves: [...leaves.values()].map((l) => l.leafIndex).sort((a, b) => a - b),
    reason: order.reason,
    legalBasis: erasureBases[order.reason],
    erasedAt: now.toISOString(),
    objectionId: order.objectionId,
  };
  const text = canonicalJson(statement);
  const signature = await signer.signDetached(text, tombstoneSignatureType);
  const [leaf] = await appendLeaves(
    tx,
    [
      {
        body: {
          kind: 'tombstone',
          recordId: order.recordId,
          versions,
          reason: order.reason,
          legalBasis: statement.legalBasis,
          erasedAt: statement.erasedAt,
          statementDigest: sha256(text, '\n', signature).toString('hex'),
        },
        subjectKey: order.subjectKey,
        ref: `tombstone:${order.recordId}:${versions.join(',')}`,
      },
    ],
    now,
  );
  if (!leaf) throw new Error('the tombstone was not logged');
  await tx.insert(tombstones).values({
    subjectKey: order.subjectKey,
    recordId: order.recordId,
    leafIndex: leaf.leafIndex,
    statement: text,
    signature,
    erasedAt: now,
  });
  const payload: RecordErased = {
    recordId: order.recordId,
    versions,
    reason: order.reason,
    legalBasis: statement.legalBasis,
    erasedAt: statement.erasedAt,
    tombstoneLeafIndex: leaf.leafIndex,
  };
  await appendEvents(
    tx,
    ingestOutbox,
    ingestSchemaName,
    [{ type: recordErasedType, subjectKey: order.subjectKey, aggregateId: order.recordId, payload }],
    now,
  );
  return statement;
}

type LockedVersion = { version: number; status: string; operation: string; receivedAt: Date };

async function lockVersions(tx: Executor, subjectKey: Buffer, recordId: string): Promise<LockedVersion[]> {
  return tx
    .select({
      version: recordVersions.version,
      status: recordVersions.status,
      operation: recordVersions.operation,
      receivedAt: recordVersions.receivedAt,
    })
    .from(recordVersions)
    .where(and(eq(recordVersions.subjectKey, subjectKey), eq(recordVersions.recordId, recordId)))
    .orderBy(asc(recordVersions.version))
    .for('update');
}

/**
 * The versions holding the objected content: those up to the objected one, and the withdrawals
 * that follow them, since a withdrawal carries the content it withdraws forward unchanged. A
 * correction ends the run: what comes after it carries the corrected content.
 */
export function carryingObjected<T extends { version: number; operation: string }>(
  versions: readonly T[],
  upToVersion: number,
): T[] {
  const carrying: T[] = [];
  for (const version of versions) {
    if (version.version > upToVersion && version.operation !== 'withdraw') break;
    carrying.push(version);
  }
  return carrying;
}

/** Records an upheld objection's erasure, to be carried out once the record is corrected. */
export async function orderErasure(
  tx: Executor,
  recordId: string,
  objectionId: string,
  now: Date,
): Promise<void> {
  const [record] = await tx.select().from(records).where(eq(records.recordId, recordId));
  if (!record) return;
  const [latest] = await tx
    .select({ version: recordVersions.version })
    .from(recordVersions)
    .where(and(eq(recordVersions.subjectKey, record.subjectKey), eq(recordVersions.recordId, recordId)))
    .orderBy(desc(recordVersions.version))
    .limit(1);
  if (!latest) return;
  await tx
    .insert(erasureOrders)
    .values({
      subjectKey: record.subjectKey,
      recordId,
      objectionId,
      upToVersion: latest.version,
      orderedAt: now,
    })
    .onConflictDoNothing();
}

export interface ErasureRun {
  retentionExpired: number;
  objectionsUpheld: number;
  pending: number;
}

/**
 * One pass of the erasure job: records whose newest version's display ended more than the
 * retention period ago lose their content entirely; upheld objections are carried out on the
 * versions objected to once a newer version (the correction) or a withdrawal exists. Each record
 * is its own transaction, so a failure costs one record and the next pass retries it.
 */
export async function runErasure(
  db: Database,
  signer: PlatformSigner,
  options: { now: Date; retentionYears: number; limit?: number },
): Promise<ErasureRun> {
  const limit = options.limit ?? 500;
  const cutoff = new Date(options.now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - options.retentionYears);
  const candidates = await db
    .selectDistinct({ subjectKey: recordVersions.subjectKey, recordId: recordVersions.recordId })
    .from(recordVersions)
    .where(
      and(
        isNull(recordVersions.erasedAt),
        sql`${recordVersions.displayUntil} IS NOT NULL`,
        sql`${recordVersions.displayUntil} < ${cutoff}`,
      ),
    )
    .limit(limit);
  let retentionExpired = 0;
  for (const candidate of candidates) {
    const done = await inTransaction(db, async (tx) => {
      const versions = await tx
        .select({ version: recordVersions.version, displayUntil: recordVersions.displayUntil })
        .from(recordVersions)
        .where(
          and(
            eq(recordVersions.subjectKey, candidate.subjectKey),
            eq(recordVersions.recordId, candidate.recordId),
          ),
        )
        .orderBy(asc(recordVersions.version))
        .for('update');
      const latest = versions.at(-1);
      // A later version may have extended the display: the newest one decides.
      if (!latest?.displayUntil || latest.displayUntil.getTime() >= cutoff.getTime()) return false;
      const statement = await eraseVersions(
        tx,
        signer,
        {
          subjectKey: candidate.subjectKey,
          recordId: candidate.recordId,
          versions: versions.map((v) => v.version),
          reason: 'retention_expired',
          objectionId: null,
        },
        options.now,
      );
      return statement !== undefined;
    });
    if (done) retentionExpired += 1;
  }

  const orders = await db
    .select()
    .from(erasureOrders)
    .where(isNull(erasureOrders.doneAt))
    .orderBy(asc(erasureOrders.orderedAt))
    .limit(limit);
  let objectionsUpheld = 0;
  for (const order of orders) {
    const done = await inTransaction(db, async (tx) => {
      const versions = await lockVersions(tx, order.subjectKey, order.recordId);
      const latest = versions.at(-1);
      if (!latest) return false;
      // Before the correction arrives the objected version is still the record's current
      // content (shown as disputed); a withdrawal ends it as well.
      const superseded = latest.version > order.upToVersion || latest.status === 'withdrawn';
      if (!superseded) return false;
      const objected = carryingObjected(versions, order.upToVersion);
      await eraseVersions(
        tx,
        signer,
        {
          subjectKey: order.subjectKey,
          recordId: order.recordId,
          versions: objected.map((v) => v.version),
          reason: 'objection_upheld',
          objectionId: order.objectionId,
        },
        options.now,
      );
      // The records kept against the persons the record named carry the same content, written
      // in the same transactions as the objected versions: theirs go too.
      const until = Math.max(...objected.map((v) => v.receivedAt.getTime()));
      const linked = await tx
        .select({ subjectKey: records.subjectKey, recordId: records.recordId })
        .from(records)
        .where(eq(records.parentRecordId, order.recordId))
        .orderBy(asc(records.recordId));
      for (const child of linked) {
        const childVersions = await lockVersions(tx, child.subjectKey, child.recordId);
        const same = childVersions.filter((v) => v.receivedAt.getTime() <= until).map((v) => v.version);
        if (same.length === 0) continue;
        await eraseVersions(
          tx,
          signer,
          {
            subjectKey: child.subjectKey,
            recordId: child.recordId,
            versions: same,
            reason: 'objection_upheld',
            objectionId: order.objectionId,
          },
          options.now,
        );
      }
      await tx
        .update(erasureOrders)
        .set({ doneAt: options.now })
        .where(
          and(
            eq(erasureOrders.subjectKey, order.subjectKey),
            eq(erasureOrders.recordId, order.recordId),
            eq(erasureOrders.objectionId, order.objectionId),
          ),
        );
      return true;
    });
    if (done) objectionsUpheld += 1;
  }
  return { retentionExpired, objectionsUpheld, pending: orders.length - objectionsUpheld };
}
