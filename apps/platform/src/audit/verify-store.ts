import { canonicalJson, type Keyring, sha256 } from '@credit/crypto';
import { asBuffer, type DatabaseHandle } from '@credit/db';
import {
  chainHolds,
  records,
  recordVersionLeaf,
  recordVersions,
  type TombstoneStatement,
  versionRef,
} from '@credit/ingest/verification';
import type { CheckpointView } from '@credit/schema';
import {
  accessValueHash,
  appendToFrontier,
  checkpointSignatureType,
  decodeLeaf,
  emptyAccessChain,
  emptyFrontier,
  encodeLeaf,
  extendAccessChain,
  type Frontier,
  frontierRoot,
  leafHash,
  mapRootOf,
  payloadCommitment,
  tombstoneSignatureType,
} from '@credit/transparency';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { JSONWebKeySet } from 'jose';
import type { AuditReport, Finding } from './findings.ts';
import { checkReadModels } from './read-models.ts';
import { detachedVerifier } from './signatures.ts';

type Bytes = Buffer | Uint8Array;
const batchSize = 2000;

export interface AuditOptions {
  /** Checkpoints published earlier (e.g. kept by an auditor from GET /v1/transparency/checkpoint). */
  checkpoints: readonly CheckpointView[];
  /** The platform's published keys (/.well-known/jwks.json). */
  jwks: JSONWebKeySet;
  /** Rows newer than this may legitimately not be in a signed checkpoint yet. */
  settledBefore?: Date;
}

/**
 * Checks a database against checkpoints published earlier, as an auditor outside the platform
 * would: the log must still hash to every published root, every record version and access row
 * must match its leaf (and every leaf its row), erased content must have a valid tombstone, and
 * decisions logged from the other services must still open against their events, and the read
 * models callers are served from must be what the store and those decisions say.
 */
export async function verifyStore(
  handle: DatabaseHandle,
  keyring: Keyring,
  options: AuditOptions,
): Promise<AuditReport> {
  const findings: Finding[] = [];
  const report = (kind: Finding['kind'], where: string, detail: string) =>
    findings.push({ kind, where, detail });
  const verify = detachedVerifier(options.jwks);
  const checked = {
    checkpoints: 0,
    leaves: 0,
    versions: 0,
    tombstones: 0,
    accesses: 0,
    decisions: 0,
    readModelRecords: 0,
    readModelListEntries: 0,
  };

  const published = [...options.checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  for (const cp of published) {
    const { signature, ...body } = cp;
    if (!(await verify(canonicalJson(body), signature, checkpointSignatureType))) {
      report(
        'checkpoint_signature',
        `checkpoint ${cp.treeSize}`,
        'the signature does not verify with the published keys',
      );
    }
    checked.checkpoints += 1;
  }
  const latest = published.at(-1);
  const settledBefore = options.settledBefore ?? (latest ? new Date(latest.issuedAt) : new Date(0));

  // 1. The log itself: every leaf hashes to itself, every stored subtree is right, and the tree
  //    of each published size has the published root.
  const accessSubjects = new Map<number, string>();
  for (let after = -1; ; ) {
    const rows = await handle.query<{ subject_key: Bytes; leaf_index: string | number }>(
      `SELECT subject_key, leaf_index FROM ingest.log_subject_leaves WHERE kind = 'access' AND leaf_index > $1
       ORDER BY leaf_index LIMIT ${batchSize}`,
      [after],
    );
    for (const row of rows)
      accessSubjects.set(Number(row.leaf_index), asBuffer(row.subject_key).toString('hex'));
    if (rows.length < batchSize) break;
    after = Number(rows.at(-1)?.leaf_index);
  }
  const chains = new Map<string, { count: number; head: Buffer }>();
  const mapRoot = () =>
    mapRootOf(
      [...chains.entries()].map(([key, state]) => ({
        key: Buffer.from(key, 'hex'),
        valueHash: accessValueHash(state.count, state.head),
      })),
    );
  let frontier: Frontier = emptyFrontier;
  let next = 0;
  const checkAt = (size: number) => {
    for (const cp of published.filter((c) => c.treeSize === size)) {
      if (!frontierRoot(frontier).equals(Buffer.from(cp.rootHash, 'hex'))) {
        report(
          'root_mismatch',
          `checkpoint ${cp.treeSize}`,
          'the log no longer hashes to the published root',
        );
      }
      if (!mapRoot().equals(Buffer.from(cp.mapRoot, 'hex'))) {
        report(
          'map_root_mismatch',
          `checkpoint ${cp.treeSize}`,
          'the access histories no longer give the published map root',
        );
      }
    }
  };
  for (;;) {
    const rows = await handle.query<{
      leaf_index: string | number;
      leaf_hash: Bytes;
      leaf_input: Bytes;
      subtree_hashes: Bytes;
    }>(
      `SELECT leaf_index, leaf_hash, leaf_input, subtree_hashes FROM ingest.log_leaves
       WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT ${batchSize}`,
      [next],
    );
    for (const row of rows) {
      const index = Number(row.leaf_index);
      if (index !== next) {
        report('leaf_missing', `leaves ${next}–${index - 1}`, 'leaves are missing from the log');
        // Without them no later root can match; stop hashing, the rest is reported below.
        next = Number.POSITIVE_INFINITY;
        break;
      }
      const computed = leafHash(asBuffer(row.leaf_input));
      if (!computed.equals(asBuffer(row.leaf_hash))) {
        report('leaf_hash', `leaf ${index}`, 'the stored leaf input does not hash to the stored leaf hash');
      }
      const { frontier: grown, appended } = appendToFrontier(frontier, [computed]);
      frontier = grown;
      if (!Buffer.concat(appended[0]?.completed ?? []).equals(asBuffer(row.subtree_hashes))) {
        report('subtree_hash', `leaf ${index}`, 'the subtree hashes stored with this leaf were altered');
      }
      const subject = accessSubjects.get(index);
      if (subject) {
        const state = chains.get(subject) ?? { count: 0, head: emptyAccessChain };
        chains.set(subject, { count: state.count + 1, head: extendAccessChain(state.head, computed) });
      }
      next = index + 1;
      checked.leaves += 1;
      checkAt(next);
    }
    if (rows.length < batchSize || !Number.isFinite(next)) break;
  }
  for (const cp of published) {
    if (cp.treeSize > frontier.size && Number.isFinite(next)) {
      report('log_shorter', `checkpoint ${cp.treeSize}`, `the log holds only ${frontier.size} leaves`);
    }
  }

  // 2. Record versions against their leaves, and leaves against their rows.
  const db = handle.db;
  let cursor: { key: Buffer; id: string; version: number } | undefined;
  for (;;) {
    const rows = await db
      .select()
      .from(recordVersions)
      .where(
        cursor
          ? sql`(${recordVersions.subjectKey}, ${recordVersions.recordId}, ${recordVersions.version}) > (${cursor.key}, ${cursor.id}, ${cursor.version})`
          : undefined,
      )
      .orderBy(asc(recordVersions.subjectKey), asc(recordVersions.recordId), asc(recordVersions.version))
      .limit(batchSize);
    if (rows.length === 0) break;
    const last = rows.at(-1) as (typeof rows)[number];
    cursor = { key: last.subjectKey, id: last.recordId, version: last.version };
    const ids = [...new Set(rows.map((r) => r.recordId))];
    const directory = new Map(
      (await db.select().from(records).where(inArray(records.recordId, ids))).map((r) => [r.recordId, r]),
    );
    const leaves = await leavesOf(
      handle,
      rows.map((r) => ({ subjectKey: r.subjectKey, ref: versionRef(r.recordId, r.version) })),
    );
    const byRecord = new Map<string, typeof rows>();
    for (const row of rows) byRecord.set(row.recordId, [...(byRecord.get(row.recordId) ?? []), row]);
    for (const row of rows) {
      const where = `ingest.record_versions ${row.recordId} v${row.version}`;
      const logged = leaves.get(`${row.subjectKey.toString('hex')}/${versionRef(row.recordId, row.version)}`);
      if (!logged) {
        if (row.receivedAt.getTime() < settledBefore.getTime())
          report('version_unlogged', where, 'no leaf logs this version');
      } else if (!leafHash(encodeLeaf(recordVersionLeaf(row))).equals(logged)) {
        report('version_changed', where, 'the row no longer matches the leaf that logged it');
      }
      if (row.erasedAt === null && row.contentSalt === null) {
        report('erased_without_tombstone', where, 'the content is gone but the version was never erased');
      }
      checked.versions += 1;
    }
    for (const [recordId, versions] of byRecord) {
      const record = directory.get(recordId);
      // A record continued from the previous batch was read whole there.
      if (!record || versions[0]?.version !== 1) continue;
      const whole =
        recordId === last.recordId && rows.length === batchSize
          ? await db
              .select()
              .from(recordVersions)
              .where(
                and(eq(recordVersions.subjectKey, record.subjectKey), eq(recordVersions.recordId, recordId)),
              )
              .orderBy(asc(recordVersions.version))
          : versions;
      if (!chainHolds(keyring, record, whole)) {
        report(
          'version_chain',
          `ingest.record_versions ${recordId}`,
          'a version’s content or chain link was altered',
        );
      }
    }
  }
  await checkVersionLeavesHaveRows(handle, report);

  // 3. Erasures must be lawful: a valid signed tombstone for every erased version.
  checked.tombstones = await checkTombstones(handle, verify, report);

  // 4. Accesses (query.access_log) against their leaves, both ways.
  checked.accesses = await checkAccesses(handle, settledBefore, report);

  // 5. Decisions logged from the other services still open against their events.
  checked.decisions = await checkDecisions(handle, report);

  // 6. What callers are served (the query read models) against the store and the decisions.
  Object.assign(checked, await checkReadModels(db, report));

  return { findings, checked };
}

/** Leaf hashes of (subject, ref) pairs, keyed `subjectHex/ref`. */
async function leavesOf(
  handle: DatabaseHandle,
  wanted: { subjectKey: Buffer; ref: string }[],
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (wanted.length === 0) return out;
  const rows = await handle.query<{ subject_key: Bytes; ref: string; leaf_hash: Bytes }>(
    `SELECT s.subject_key, s.ref, l.leaf_hash
     FROM unnest($1::text[], $2::text[]) AS w(key_hex, ref)
     JOIN ingest.log_subject_leaves s ON s.subject_key = decode(w.key_hex, 'hex') AND s.ref = w.ref
     JOIN ingest.log_leaves l ON l.leaf_index = s.leaf_index`,
    [wanted.map((w) => w.subjectKey.toString('hex')), wanted.map((w) => w.ref)],
  );
  for (const row of rows)
    out.set(`${asBuffer(row.subject_key).toString('hex')}/${row.ref}`, asBuffer(row.leaf_hash));
  return out;
}

async function checkVersionLeavesHaveRows(
  handle: DatabaseHandle,
  report: (kind: Finding['kind'], where: string, detail: string) => void,
): Promise<void> {
  for (let after = -1; ; ) {
    const rows = await handle.query<{ leaf_index: string | number; ref: string; present: boolean }>(
      `SELECT s.leaf_index, s.ref, EXISTS (
         SELECT 1 FROM ingest.record_versions v
         WHERE v.subject_key = s.subject_key AND v.record_id = split_part(s.ref, ':', 1)
           AND v.version = split_part(s.ref, ':', 2)::int) AS present
       FROM ingest.log_subject_leaves s
       WHERE s.kind = 'record.version' AND s.leaf_index > $1 ORDER BY s.leaf_index LIMIT ${batchSize}`,
      [after],
    );
    for (const row of rows) {
      if (!row.present)
        report(
          'version_deleted',
          `leaf ${Number(row.leaf_index)}`,
          `the version it logs (${row.ref}) is gone`,
        );
    }
    if (rows.length < batchSize) return;
    after = Number(rows.at(-1)?.leaf_index);
  }
}

async function checkTombstones(
  handle: DatabaseHandle,
  verify: ReturnType<typeof detachedVerifier>,
  report: (kind: Finding['kind'], where: string, detail: string) => void,
): Promise<number> {
  const erased = await handle.query<{ subject_key: Bytes; record_id: string; version: number }>(
    `SELECT subject_key, record_id, version FROM ingest.record_versions WHERE erased_at IS NOT NULL`,
  );
  const stones = await handle.query<{
    subject_key: Bytes;
    record_id: string;
    leaf_index: string | number;
    statement: string;
    signature: string;
    leaf_input: Bytes | null;
  }>(
    `SELECT t.subject_key, t.record_id, t.leaf_index, t.statement, t.signature, l.leaf_input
     FROM ingest.tombstones t LEFT JOIN ingest.log_leaves l ON l.leaf_index = t.leaf_index`,
  );
  const covered = new Set<string>();
  for (const stone of stones) {
    const where = `ingest.tombstones ${stone.record_id} leaf ${Number(stone.leaf_index)}`;
    const signed = await verify(stone.statement, stone.signature, tombstoneSignatureType);
    const leaf = stone.leaf_input
      ? (decodeLeaf(asBuffer(stone.leaf_input)) as unknown as Record<string, unknown>)
      : undefined;
    const digest = sha256(stone.statement, '\n', stone.signature).toString('hex');
    if (!signed || leaf?.kind !== 'tombstone' || leaf.statementDigest !== digest) {
      report(
        'tombstone_invalid',
        where,
        'the tombstone is not signed by the platform or not the one in the log',
      );
      continue;
    }
    const statement = JSON.parse(stone.statement) as TombstoneStatement;
    for (const version of statement.versions)
      covered.add(`${asBuffer(stone.subject_key).toString('hex')}/${statement.recordId}:${version}`);
  }
  for (const row of erased) {
    const key = `${asBuffer(row.subject_key).toString('hex')}/${row.record_id}:${row.version}`;
    if (!covered.has(key)) {
      report(
        'erased_without_tombstone',
        `ingest.record_versions ${row.record_id} v${row.version}`,
        'erased without a valid signed tombstone',
      );
    }
  }
  return stones.length;
}

async function checkAccesses(
  handle: DatabaseHandle,
  settledBefore: Date,
  report: (kind: Finding['kind'], where: string, detail: string) => void,
): Promise<number> {
  let count = 0;
  for (let after = -1; ; ) {
    const rows = await handle.query<{
      leaf_index: string | number;
      ref: string;
      leaf_hash: Bytes;
      entry_id: string | null;
      accessed_at: Date | string | null;
      role: string | null;
      org: string | null;
      channel: string | null;
      hash: Bytes | null;
    }>(
      `SELECT s.leaf_index, s.ref, l.leaf_hash, a.entry_id, a.accessed_at, a.role, a.org, a.channel, a.hash
       FROM ingest.log_subject_leaves s
       JOIN ingest.log_leaves l ON l.leaf_index = s.leaf_index
       LEFT JOIN query.access_log a ON a.subject_key = s.subject_key AND a.entry_id = s.ref
       WHERE s.kind = 'access' AND s.leaf_index > $1 ORDER BY s.leaf_index LIMIT ${batchSize}`,
      [after],
    );
    for (const row of rows) {
      const where = `query.access_log ${row.ref}`;
      if (!row.entry_id || !row.accessed_at || !row.role || !row.channel || !row.hash) {
        report(
          'access_deleted',
          where,
          `the access logged at leaf ${Number(row.leaf_index)} is gone from the access log`,
        );
        continue;
      }
      const leaf = encodeLeaf({
        kind: 'access',
        entryId: row.entry_id,
        accessedAt: new Date(row.accessed_at).toISOString(),
        role: row.role,
        org: row.org,
        channel: row.channel,
        entryHash: asBuffer(row.hash).toString('hex'),
      });
      if (!leafHash(leaf).equals(asBuffer(row.leaf_hash)))
        report('access_changed', where, 'the access row no longer matches its leaf');
      count += 1;
    }
    if (rows.length < batchSize) break;
    after = Number(rows.at(-1)?.leaf_index);
  }
  const unlogged = await handle.query<{ entry_id: string }>(
    `SELECT a.entry_id FROM query.access_log a
     WHERE a.accessed_at < $1 AND NOT EXISTS (
       SELECT 1 FROM ingest.log_subject_leaves s WHERE s.subject_key = a.subject_key AND s.ref = a.entry_id)`,
    [settledBefore],
  );
  for (const row of unlogged)
    report('access_unlogged', `query.access_log ${row.entry_id}`, 'an access no leaf logs');
  return count;
}

async function checkDecisions(
  handle: DatabaseHandle,
  report: (kind: Finding['kind'], where: string, detail: string) => void,
): Promise<number> {
  // Months of an outbox that retention detached (docs/scaling.md): their events are gone by
  // rule. A decision is logged moments after its event, so a day's margin past the month's end
  // covers a transparency consumer that was behind at the turn of the month.
  const retired = new Map(
    (
      await handle.query<{ table_name: string; upper_bound: Date | string }>(
        `SELECT table_name, max(upper_bound) AS upper_bound FROM platform.detached_partitions
         WHERE table_name LIKE '%.events' GROUP BY table_name`,
      )
    ).map((row) => [row.table_name, new Date(row.upper_bound).getTime() + 86_400_000]),
  );
  let count = 0;
  for (let after = -1; ; ) {
    const rows = await handle.query<{
      leaf_index: string | number;
      leaf_input: Bytes;
      salt: Bytes | null;
      subject_key: Bytes | null;
      appended_at: Date | string;
    }>(
      `SELECT l.leaf_index, l.leaf_input, o.salt, s.subject_key, l.appended_at
       FROM ingest.log_leaves l
       LEFT JOIN ingest.log_openings o ON o.leaf_index = l.leaf_index
       LEFT JOIN ingest.log_subject_leaves s ON s.leaf_index = l.leaf_index
       WHERE l.kind = 'decision' AND l.leaf_index > $1 ORDER BY l.leaf_index LIMIT ${batchSize}`,
      [after],
    );
    for (const row of rows) {
      const leaf = decodeLeaf(asBuffer(row.leaf_input)) as unknown as {
        service: string;
        eventId: string;
        commitment: string;
      };
      if (!row.salt || !['query', 'sanctions', 'repair'].includes(leaf.service)) continue;
      const [event] = await handle.query<{ payload: unknown }>(
        `SELECT payload FROM "${leaf.service}".events WHERE event_id = $1 ${row.subject_key ? 'AND subject_key = $2' : ''}`,
        row.subject_key ? [leaf.eventId, asBuffer(row.subject_key)] : [leaf.eventId],
      );
      const where = `${leaf.service}.events ${leaf.eventId}`;
      if (!event && new Date(row.appended_at).getTime() < (retired.get(`${leaf.service}.events`) ?? 0)) {
        count += 1;
        continue;
      }
      if (!event)
        report(
          'decision_source_missing',
          where,
          `the event logged at leaf ${Number(row.leaf_index)} is gone`,
        );
      else if (
        !payloadCommitment(asBuffer(row.salt), parsed(event.payload)).equals(
          Buffer.from(leaf.commitment, 'hex'),
        )
      ) {
        report('decision_changed', where, 'the event no longer matches the commitment in its leaf');
      }
      count += 1;
    }
    if (rows.length < batchSize) break;
    after = Number(rows.at(-1)?.leaf_index);
  }
  return count;
}

function parsed(payload: unknown): unknown {
  return typeof payload === 'string' ? JSON.parse(payload) : payload;
}
