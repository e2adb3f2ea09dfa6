import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevIssuer } from '@credit/auth';
import { catalogueEntries, generateCitizenId, seededRandom } from '@credit/schema';
import type pg from 'pg';
import { copyLines } from './copy-rows.ts';
import { runScript } from './processes.ts';
import { benchUscc } from './world.ts';

const total = Number(process.env.BENCH_RECORDS ?? 20_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 1_000);
const clients = Number(process.env.BENCH_CLIENTS ?? 2);

export interface IngestFigures {
  records: number;
  batchSize: number;
  clients: number;
  copySeconds: number;
  ingestSeconds: number;
  settleSeconds: number;
}

/** Records across the entries an organisation can carry, with valid identifiers, 1 in 5 naming a legal representative. */
function generate(count: number) {
  const random = seededRandom(20_261_121);
  const entries = catalogueEntries.filter(
    (e) => e.subjectKinds.includes('legal_person') && !e.consentGatedFields.length,
  );
  return Array.from({ length: count }, (_, i) => {
    const entry = entries[i % entries.length] as (typeof entries)[number];
    const record: Record<string, unknown> = {
      sourceId: `BENCH-${i}`,
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

const escapeCopy = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

/**
 * Batch ingest over HTTP from a separate process, beside raw COPY of the same rows into a plain
 * table of the same database; then waits until every service has applied the new records, so
 * the next measurements do not share the machine with that work.
 */
export async function runIngestBench(options: {
  url: string;
  workDir: string;
  base: string;
  issuer: DevIssuer;
  loaders: pg.Client[];
}): Promise<IngestFigures> {
  const records = generate(total);
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
  const copySeconds = Number(process.hrtime.bigint() - copyStart) / 1e9;

  const admin = await options.issuer.sign({ roles: ['admin'], org: 'credit-office', ttlSeconds: 3600 });
  const registered = await fetch(`${options.base}/v1/providers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      code: 'bench-intake',
      name: 'bench-intake',
      categories: [...new Set(records.map((r) => r.category as string))],
    }),
  });
  if (registered.status !== 201) throw new Error(`provider: ${registered.status} ${await registered.text()}`);
  const token = await options.issuer.sign({ roles: ['provider'], org: 'bench-intake', ttlSeconds: 3600 });
  const file = join(options.workDir, 'ingest.ndjson');
  const batches: string[] = [];
  for (let i = 0; i < records.length; i += batchSize)
    batches.push(
      records
        .slice(i, i + batchSize)
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
  await writeFile(file, `${batches.join('\n\n')}\n`);
  const out = await runScript('bench/ingest-client.ts', {}, [
    JSON.stringify({ url: options.base, token, file, clients }),
  ]);
  const result = JSON.parse(out.trim()) as { created: number; refused: number; seconds: number };
  if (result.created !== total) throw new Error(`only ${result.created} of ${total} records were created`);

  const settleStart = Date.now();
  for (;;) {
    const pending = await client.query(`
      SELECT count(*)::int AS n FROM (
        SELECT tx_id, seq FROM query.event_cursors WHERE source = 'ingest'
        UNION ALL SELECT tx_id, seq FROM sanctions.event_cursors WHERE source = 'ingest'
        UNION ALL SELECT tx_id, seq FROM repair.event_cursors WHERE source = 'ingest'
      ) c
      WHERE EXISTS (SELECT 1 FROM ingest.events e WHERE (e.tx_id, e.seq) > (c.tx_id, c.seq) AND e.type LIKE 'record.%')`);
    if (pending.rows[0].n === 0) break;
    if (Date.now() - settleStart > 900_000)
      throw new Error('consumers did not settle after the ingest phase');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    records: total,
    batchSize,
    clients,
    copySeconds,
    ingestSeconds: result.seconds,
    settleSeconds: (Date.now() - settleStart) / 1000,
  };
}
