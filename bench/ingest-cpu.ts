/**
 * `npm run bench:ingest-cpu`: the Node.js CPU an ingested record costs, stage by stage, without
 * HTTP or the database: parsing its NDJSON line, catalogue validation, keys and fingerprints,
 * sealing and encrypting its version, and serialising its rows for the bulk statements. Each
 * stage runs over the same generated records several times and the fastest pass counts, so a
 * busy machine inflates the figures less than it does wall-clock throughput. Beside it, the
 * same records' JSON.stringify + JSON.parse as a floor no implementation can go below.
 */
import { cpus } from 'node:os';
import { createKeyring, generateKeyMaterial } from '@credit/crypto';
import { bulkDocument } from '@credit/db';
import {
  catalogueEntries,
  generateCitizenId,
  generateUscc,
  seededRandom,
  validateRecordInput,
} from '@credit/schema';
import { ingestOutbox, recordVersions } from '../services/ingest/src/db/schema.ts';
import { prepareRecord } from '../services/ingest/src/domain/prepared-record.ts';
import { pushedVersion } from '../services/ingest/src/domain/record-writer.ts';
import type { BuiltVersion } from '../services/ingest/src/domain/version-builder.ts';

const count = Number(process.env.BENCH_RECORDS ?? 5_000);
const passes = Number(process.env.BENCH_PASSES ?? 5);
const provider = 'bench';
const now = new Date('2026-11-20T08:00:00Z');

function generate(): string[] {
  const random = seededRandom(20_261_122);
  const entries = catalogueEntries.filter(
    (e) => e.subjectKinds.includes('legal_person') && !e.consentGatedFields.length,
  );
  return Array.from({ length: count }, (_, i) => {
    const entry = entries[i % entries.length] as (typeof entries)[number];
    const record: Record<string, unknown> = {
      sourceId: `CPU-${i}`,
      category: entry.code,
      subject: { kind: 'legal_person', id: generateUscc(random), name: `淄博第${i}号有限公司` },
      occurredAt: '2025-10-20',
      data: entry.sample,
    };
    if (entry.allowsRelatedPersons && i % 5 === 0)
      record.relatedPersons = [{ role: 'legal_representative', id: generateCitizenId(random), name: '张三' }];
    return JSON.stringify(record);
  });
}

/** The fastest of `passes` runs of `work` over every record, in µs per record. */
function timed<T>(inputs: readonly T[], work: (input: T, index: number) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < passes; pass++) {
    const started = process.cpuUsage();
    for (let i = 0; i < inputs.length; i++) work(inputs[i] as T, i);
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / inputs.length);
  }
  return best;
}

const keyring = createKeyring(generateKeyMaterial());
const lines = generate();
const raws = lines.map((line) => JSON.parse(line) as unknown);
const validated = raws.map((raw) => {
  const result = validateRecordInput(raw, 'submission', now);
  if (!result.ok) throw new Error(`generated record refused: ${JSON.stringify(result.errors)}`);
  return result.record;
});
const prepared = validated.map((record, i) => prepareRecord(keyring, provider, `CPU-${i}`, record, i));

const versions = prepared.map((item) => pushedVersion(keyring, item, now));
const chunks: BuiltVersion[][] = [];
for (let i = 0; i < versions.length; i += 500) chunks.push(versions.slice(i, i + 500));

const stages: [string, number][] = [
  [
    'floor: JSON.parse + JSON.stringify of the line',
    timed(lines, (line) => JSON.stringify(JSON.parse(line))),
  ],
  ['parse the NDJSON line', timed(lines, (line) => JSON.parse(line))],
  [
    'validate against the catalogue (Zod, identifiers, prohibited fields)',
    timed(raws, (raw) => validateRecordInput(raw, 'submission', now)),
  ],
  [
    'prepare: record id, blind indexes, name MACs, fingerprint',
    timed(validated, (record, i) => prepareRecord(keyring, provider, `CPU-${i}`, record, i)),
  ],
  [
    'seal and encrypt the version, shape its event',
    timed(prepared, (item) => pushedVersion(keyring, item, now)),
  ],
  [
    'serialise version and event rows for the bulk statements',
    timed(chunks, (chunk) => {
      bulkDocument(
        recordVersions,
        chunk.map((v) => v.row),
      );
      bulkDocument(
        ingestOutbox,
        chunk.map((v) => ({
          eventId: '00000000-0000-4000-8000-000000000000',
          type: v.event.type,
          subjectKey: v.event.subjectKey,
          aggregateId: v.event.aggregateId,
          payload: v.event.payload,
          createdAt: now,
        })),
      );
    }) / 500,
  ],
];

const total = stages.slice(1).reduce((sum, [, us]) => sum + us, 0);
const width = Math.max(...stages.map(([name]) => name.length));
process.stdout.write(
  `\nIngest CPU per record, fastest of ${passes} passes over ${count} records — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`,
);
for (const [name, us] of stages)
  process.stdout.write(`${name.padEnd(width)}  ${us.toFixed(1).padStart(7)} µs\n`);
process.stdout.write(
  `${'stages together (without the floor)'.padEnd(width)}  ${total.toFixed(1).padStart(7)} µs\n`,
);
process.stdout.write(
  `${'one core could sustain'.padEnd(width)}  ${Math.round(1e6 / total)
    .toLocaleString('en')
    .padStart(7)} records/s before HTTP, database driver and GC\n`,
);
