import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DevIssuer } from '@credit/auth';
import { catalogueEntries, generateCitizenId, seededRandom } from '@credit/schema';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { copyLines, escapeCopy } from './copy-rows.ts';
import { medianBy } from './measure.ts';
import { runScript } from './processes.ts';
import { benchUscc } from './world.ts';

const total = Number(process.env.BENCH_RECORDS ?? 20_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 1_000);
const clients = Number(process.env.BENCH_CLIENTS ?? 2);
/** Pushes of `total` records, each followed by COPY of the rows it stored; the median round is kept. */
const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? 5);
const provider = 'bench-intake';

/** The record store's tables a push writes, in the order the baseline copies them. */
const storedTables = [
  'records',
  'subjects',
  'record_versions',
  'events',
  'log_leaves',
  'log_subject_leaves',
] as const;

export interface IngestFigures {
  records: number;
  batchSize: number;
  clients: number;
  /** The ingest service alone, in its own process (the round with the median ratio). */
  ingestSeconds: number;
  /** COPY, in one transaction, of exactly the rows that push stored, into tables defined like the store's. */
  copyStoredSeconds: number;
  storedRows: number;
  /** COPY of the pushed records as they arrived, one row each, into a plain table. */
  copyRawSeconds: number;
  /** The same number of other records pushed to the all-in-one process, projections running. */
  allInOneSeconds: number;
  /** How long the projections took to catch up after the push to the ingest service alone. */
  settleSeconds: number;
  /** Every round, in the order they ran (absent from runs before the fifth session). */
  rounds?: { ingestSeconds: number; copyStoredSeconds: number; storedRows: number }[];
}

/** Records across the entries an organisation can carry, with valid identifiers, 1 in 5 naming a legal representative. */
function generate(count: number, prefix: string, offset: number) {
  const random = seededRandom(20_261_121 + offset);
  // Independent records only: one naming another record (a breach its commitment) would be refused.
  const entries = catalogueEntries.filter(
    (e) => e.subjectKinds.includes('legal_person') && !e.consentGatedFields.length && !e.refersTo,
  );
  return Array.from({ length: count }, (_, n) => {
    const i = n + offset;
    const entry = entries[i % entries.length] as (typeof entries)[number];
    const record: Record<string, unknown> = {
      sourceId: `${prefix}-${i}`,
      category: entry.code,
      subject: { kind: 'legal_person', id: benchUscc(i, '370700'), name: `淄博第${i}号有限公司` },
      occurredAt: '2025-10-20',
      data: entry.sample,
    };
    if (entry.allowsRelatedPersons && i % 5 === 0) {
      // Born before 1950, so never one of the world's persons (bench/world.ts).
      record.relatedPersons = [
        { role: 'legal_representative', id: generateCitizenId(random, 1935, 1949), name: '张三' },
      ];
    }
    return record;
  });
}

/** Posts the records as NDJSON batches from a separate process; returns its wall-clock seconds. */
async function push(
  records: Record<string, unknown>[],
  options: { base: string; token: string; file: string },
): Promise<number> {
  const batches: string[] = [];
  for (let i = 0; i < records.length; i += batchSize)
    batches.push(
      records
        .slice(i, i + batchSize)
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
  await writeFile(options.file, `${batches.join('\n\n')}\n`);
  const out = await runScript('bench/ingest-client.ts', {}, [
    JSON.stringify({ url: options.base, token: options.token, file: options.file, clients }),
  ]);
  const result = JSON.parse(out.trim()) as { created: number; refused: number; seconds: number };
  if (result.created !== records.length)
    throw new Error(`only ${result.created} of ${records.length} records were created`);
  return result.seconds;
}

/** Waits until every service has applied every record event; returns the seconds it took. */
async function settle(client: pg.ClientBase): Promise<number> {
  const started = Date.now();
  for (;;) {
    const pending = await client.query(`
      SELECT count(*)::int AS n FROM (
        SELECT tx_id, seq FROM query.event_cursors WHERE source = 'ingest'
        UNION ALL SELECT tx_id, seq FROM sanctions.event_cursors WHERE source = 'ingest'
        UNION ALL SELECT tx_id, seq FROM repair.event_cursors WHERE source = 'ingest'
      ) c
      WHERE EXISTS (SELECT 1 FROM ingest.events e WHERE (e.tx_id, e.seq) > (c.tx_id, c.seq) AND e.type LIKE 'record.%')`);
    if (pending.rows[0].n === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > 900_000) throw new Error('consumers did not settle after the ingest phase');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Reads a query's rows in COPY text format, as the chunks the server sent. */
async function exportRows(client: pg.ClientBase, query: string): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks;
}

/**
 * The physical baseline for a push: the rows it stored (directory, subjects, versions, outbox
 * events, log leaves and their subject index) exported, then copied with COPY into tables created
 * LIKE the store's (same columns, defaults and indexes) in one committed transaction, on a
 * connection with the store's own durability settings. Returns the seconds that took and the rows.
 */
async function copyStoredRows(url: string, exporter: pg.ClientBase, since: Date, prefix: string) {
  await exporter.query(
    `CREATE TEMP TABLE bench_written AS
       SELECT record_id, subject_key FROM ingest.records WHERE provider_code = $1 AND source_id LIKE $2`,
    [provider, `${prefix}-%`],
  );
  const queries: Record<(typeof storedTables)[number], string> = {
    records: `SELECT r.* FROM ingest.records r JOIN bench_written w USING (record_id)`,
    subjects: `SELECT s.* FROM ingest.subjects s WHERE s.subject_key IN (SELECT subject_key FROM bench_written) AND s.created_at >= '${since.toISOString()}'`,
    record_versions: `SELECT v.* FROM ingest.record_versions v JOIN bench_written w USING (subject_key, record_id)`,
    events: `SELECT e.* FROM ingest.events e JOIN bench_written w ON e.subject_key = w.subject_key AND e.aggregate_id = w.record_id`,
    log_subject_leaves: `SELECT l.* FROM ingest.log_subject_leaves l JOIN bench_written w ON l.subject_key = w.subject_key AND l.ref = w.record_id || ':1'`,
    log_leaves: `SELECT l.* FROM ingest.log_leaves l WHERE l.leaf_index IN (SELECT s.leaf_index FROM ingest.log_subject_leaves s JOIN bench_written w ON s.subject_key = w.subject_key AND s.ref = w.record_id || ':1')`,
  };
  const exported = new Map<string, Buffer[]>();
  let rows = 0;
  for (const table of storedTables) {
    const chunks = await exportRows(exporter, queries[table]);
    exported.set(table, chunks);
    // Text COPY ends every row with a newline and escapes the ones inside values.
    for (const chunk of chunks) for (const byte of chunk) if (byte === 0x0a) rows++;
  }
  await exporter.query('DROP TABLE bench_written');
  await exporter.query('DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy');
  for (const table of storedTables)
    await exporter.query(`CREATE TABLE bench_copy.${table} (LIKE ingest.${table} INCLUDING ALL)`);

  const copier = new pg.Client({ connectionString: url });
  await copier.connect();
  try {
    const started = process.hrtime.bigint();
    await copier.query('BEGIN');
    for (const table of storedTables)
      await pipeline(
        Readable.from(exported.get(table) as Buffer[]),
        copier.query(copyFrom(`COPY bench_copy.${table} FROM STDIN`)),
      );
    await copier.query('COMMIT');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, rows };
  } finally {
    await copier.end();
    await exporter.query('DROP SCHEMA bench_copy CASCADE');
  }
}

/**
 * Batch ingest over HTTP from a separate process to the ingest service running alone (as it is
 * deployed at scale), beside COPY of the very rows it stored; then, for comparison, as many other
 * records to the all-in-one process with its projections consuming at the same time.
 */
export async function runIngestBench(options: {
  url: string;
  workDir: string;
  /** The all-in-one server, running when this is called and when it returns. */
  base: string;
  issuer: DevIssuer;
  loaders: pg.Client[];
  stopPlatform: () => Promise<void>;
  startPlatform: () => Promise<void>;
  /** Starts the ingest service alone on `base`'s port and resolves when it is ready; the result stops it. */
  startIngestAlone: () => Promise<() => Promise<void>>;
}): Promise<IngestFigures> {
  const pushes = Array.from({ length: rounds }, (_, r) => generate(total, `BENCH${r}`, r * total));
  const records = pushes[0] as Record<string, unknown>[];
  const [client] = options.loaders as [pg.Client];
  await client.query(
    'CREATE TABLE copy_baseline (source_id text, category text, subject_kind text, subject_id text, subject_name text, occurred_at date, data jsonb, related jsonb)',
  );
  const copyStart = process.hrtime.bigint();
  await copyLines(
    client,
    'COPY copy_baseline FROM STDIN',
    records.map((r) => {
      const subject = r.subject as { kind: string; id: string; name: string };
      return `${[
        r.sourceId,
        r.category,
        subject.kind,
        subject.id,
        subject.name,
        r.occurredAt,
        JSON.stringify(r.data),
        JSON.stringify(r.relatedPersons ?? []),
      ]
        .map((v) => escapeCopy(String(v)))
        .join('\t')}\n`;
    }),
  );
  const copyRawSeconds = Number(process.hrtime.bigint() - copyStart) / 1e9;

  const admin = await options.issuer.sign({ roles: ['admin'], org: 'credit-office', ttlSeconds: 3600 });
  const registered = await fetch(`${options.base}/v1/providers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      code: provider,
      name: provider,
      categories: [...new Set(records.map((r) => r.category as string))],
    }),
  });
  if (registered.status !== 201) throw new Error(`provider: ${registered.status} ${await registered.text()}`);
  const token = await options.issuer.sign({ roles: ['provider'], org: provider, ttlSeconds: 3600 });

  // Each round pushes its own records to the ingest service alone, then copies the rows that push
  // stored: a push and its baseline are seconds apart, so a slow spell of the machine weighs on
  // both. The first round also pays the threads' warm-up, as a freshly started service would.
  await options.stopPlatform();
  const stopIngest = await options.startIngestAlone();
  const measured: NonNullable<IngestFigures['rounds']> = [];
  try {
    for (const [r, round] of pushes.entries()) {
      const since = new Date();
      const ingestSeconds = await push(round, {
        base: options.base,
        token,
        file: join(options.workDir, `ingest-${r}.ndjson`),
      });
      const stored = await copyStoredRows(options.url, client, since, `BENCH${r}`);
      measured.push({ ingestSeconds, copyStoredSeconds: stored.seconds, storedRows: stored.rows });
    }
  } finally {
    await stopIngest();
  }
  const median = medianBy(measured, (round) => round.copyStoredSeconds / round.ingestSeconds);

  await options.startPlatform();
  const settleSeconds = await settle(client);
  const allInOneSeconds = await push(generate(total, 'ALL', rounds * total), {
    base: options.base,
    token,
    file: join(options.workDir, 'ingest-all.ndjson'),
  });
  await settle(client);
  return {
    records: total,
    batchSize,
    clients,
    ingestSeconds: median.ingestSeconds,
    copyStoredSeconds: median.copyStoredSeconds,
    storedRows: median.storedRows,
    rounds: measured,
    copyRawSeconds,
    allInOneSeconds,
    settleSeconds,
  };
}
