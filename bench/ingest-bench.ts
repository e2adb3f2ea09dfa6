/**
 * `npm run bench:ingest`: batch ingest over HTTP against raw COPY of the same rows into the same
 * PostgreSQL database, in the same run, so the figure that matters is the ratio, not the machine.
 * Not part of `npm test`. Uses BENCH_DATABASE_URL (default: the local PostgreSQL, database `test`)
 * to create a throwaway database.
 */
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { baseEnvironmentSchema } from '@credit/config';
import { generateKeyMaterial } from '@credit/crypto';
import { buildPlatformApp, migrationFoldersOf, openRuntime } from '@credit/host';
import { createLogger } from '@credit/http';
import { ingestDefinition } from '@credit/ingest/service';
import { catalogueEntries, generateCitizenId, generateUscc, seededRandom } from '@credit/schema';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const total = Number(process.env.BENCH_RECORDS ?? 20_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 1_000);
const clients = Number(process.env.BENCH_CLIENTS ?? 2);

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Records across the dishonesty and licence entries an organisation can carry, with valid identifiers. */
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
      subject: { kind: 'legal_person', id: generateUscc(random), name: `淄博第${i}号有限公司` },
      occurredAt: '2025-10-20',
      data: entry.sample,
    };
    if (entry.allowsRelatedPersons && i % 5 === 0) {
      record.relatedPersons = [{ role: 'legal_representative', id: generateCitizenId(random), name: '张三' }];
    }
    return record;
  });
}

async function main() {
  const database = `credit_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = withDatabase(adminUrl, database);
  const records = generate(total);
  try {
    // Baseline: the same rows, COPYed into a plain table of the same database.
    const copyClient = new pg.Client({ connectionString: url });
    await copyClient.connect();
    await copyClient.query(
      'CREATE TABLE copy_baseline (source_id text, category text, subject_kind text, subject_id text, subject_name text, occurred_at date, data jsonb, related jsonb)',
    );
    const escapeCopy = (value: string) =>
      value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
    const copyStart = process.hrtime.bigint();
    await pipeline(
      Readable.from(
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
      ),
      copyClient.query(copyFrom('COPY copy_baseline FROM STDIN')),
    );
    const copySeconds = Number(process.hrtime.bigint() - copyStart) / 1e9;
    await copyClient.end();

    // The platform, in process, on the same database, over real HTTP.
    const env = baseEnvironmentSchema.parse({
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      DATA_DIR: `/tmp/${database}`,
      DATABASE_POOL_SIZE: '10',
    });
    const logger = createLogger('warn');
    const services = [ingestDefinition];
    const runtime = await openRuntime(env, migrationFoldersOf(services), logger, {
      keyMaterial: generateKeyMaterial(),
    });
    const app = await buildPlatformApp(runtime, { logger, services });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const issuer = runtime.devIssuer;
    if (!issuer) throw new Error('bench uses the development issuer');
    const adminToken = await issuer.sign({ roles: ['admin'], org: 'bench' });
    await fetch(`${address}/v1/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        code: 'bench',
        name: 'bench',
        categories: [...new Set(records.map((r) => r.category as string))],
      }),
    });
    const token = await issuer.sign({ roles: ['provider'], org: 'bench', ttlSeconds: 3600 });
    const batches: string[] = [];
    for (let i = 0; i < records.length; i += batchSize) {
      batches.push(
        records
          .slice(i, i + batchSize)
          .map((r) => JSON.stringify(r))
          .join('\n'),
      );
    }
    let next = 0;
    let created = 0;
    const ingestStart = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < batches.length) {
          const body = batches[next++] as string;
          const response = await fetch(`${address}/v1/records/batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
            body,
          });
          const result = (await response.json()) as { created: number };
          created += result.created;
        }
      }),
    );
    const ingestSeconds = Number(process.hrtime.bigint() - ingestStart) / 1e9;
    await app.close();
    await runtime.close();
    if (created !== total) throw new Error(`only ${created} of ${total} records were created`);

    const copyRate = total / copySeconds;
    const ingestRate = total / ingestSeconds;
    const rows = [
      ['measure', 'records', 'seconds', 'records/s'],
      ['raw COPY (baseline)', String(total), copySeconds.toFixed(2), copyRate.toFixed(0)],
      [
        `batch ingest (HTTP, ${batchSize}/batch, ${clients} clients)`,
        String(total),
        ingestSeconds.toFixed(2),
        ingestRate.toFixed(0),
      ],
      ['ratio ingest / COPY', '', '', `${((ingestRate / copyRate) * 100).toFixed(1)} %`],
    ];
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
    process.stdout.write(
      `\nIngest benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`,
    );
    for (const row of rows)
      process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')}\n`);
    process.stdout.write(
      'Includes validation, identifier checks, encryption, versions, hash chain, linked records and events.\n',
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
