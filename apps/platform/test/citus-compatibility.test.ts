import { createTestPlatform, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * The schema stays distributable on Citus (docs/scaling.md): no foreign keys, and every table is
 * either distributed — with its distribution column in every primary key and unique index — or a
 * small reference table replicated to every node. A new table must be classified here.
 */
const distribution: Record<string, string | 'reference'> = {
  'platform.schema_migrations': 'reference',
  'platform.detached_partitions': 'reference',
  'ingest.providers': 'reference',
  'ingest.provider_revisions': 'reference',
  'ingest.subjects': 'subject_key',
  'ingest.records': 'record_id',
  'ingest.record_versions': 'subject_key',
  'ingest.consents': 'subject_key',
  'ingest.consent_revocations': 'subject_key',
  'ingest.intake_outcomes': 'provider_code',
  'ingest.events': 'subject_key',
  'ingest.event_cursors': 'reference',
  'ingest.log_head': 'log_id',
  'ingest.log_leaves': 'leaf_index',
  'ingest.log_subject_leaves': 'subject_key',
  'ingest.log_openings': 'leaf_index',
  'ingest.log_checkpoints': 'tree_size',
  'ingest.map_nodes': 'prefix',
  'ingest.access_heads': 'subject_key',
  'ingest.erasure_orders': 'subject_key',
  'ingest.tombstones': 'subject_key',
  'ingest.intermediaries': 'subject_key',
  // An agency's practitioners and declarations live beside it.
  'ingest.practitioners': 'agency_key',
  'ingest.declarations': 'agency_key',
  'query.event_cursors': 'reference',
  'query.subjects': 'subject_key',
  'query.records': 'subject_key',
  'query.consents': 'subject_key',
  'query.record_marks': 'subject_key',
  'query.agencies': 'reference',
  'query.departments': 'reference',
  'query.authorisations': 'subject_key',
  'query.access_log': 'subject_key',
  'query.access_log_heads': 'subject_key',
  'query.list_entries': 'subject_key',
  'query.organisation_names': 'subject_key',
  'query.organisation_name_sightings': 'subject_key',
  'query.name_gram_counts': 'gram',
  // Looked up by report number alone (a recipient holds nothing else), so distributed by it.
  'query.issued_reports': 'report_id',
  'query.grades': 'subject_key',
  'query.intermediaries': 'subject_key',
  'query.intermediary_declarations': 'subject_key',
  'query.grade_changes': 'subject_key',
  'query.evaluation_marks': 'subject_key',
  'query.recipient_notices': 'org',
  'query.events': 'subject_key',
  // The exchange log is read by position ranges, the ledger by receiver (docs/exchange.md).
  'query.exchange_log': 'position',
  'query.exchange_receivers': 'reference',
  'query.exchange_batches': 'receiver_id',
  'query.exchange_refusals': 'receiver_id',
  // Open data (docs/open-data.md): a day's files and their chunks live together, the published
  // baseline beside the read model it mirrors.
  'query.job_runs': 'reference',
  'query.checkpoints_seen': 'reference',
  'query.open_data_cuts': 'reference',
  'query.open_data_files': 'day',
  'query.open_data_chunks': 'day',
  'query.open_data_published': 'subject_key',
  'query.open_data_staged': 'subject_key',
  'sanctions.event_cursors': 'reference',
  'sanctions.records': 'subject_key',
  'sanctions.subjects': 'subject_key',
  'sanctions.measures': 'reference',
  'sanctions.rules': 'reference',
  'sanctions.list_entries': 'subject_key',
  'sanctions.entry_history': 'subject_key',
  'sanctions.grades': 'subject_key',
  'sanctions.checks': 'subject_key',
  'sanctions.check_feedback': 'subject_key',
  'sanctions.watches': 'subject_key',
  'sanctions.webhooks': 'reference',
  'sanctions.webhook_deliveries': 'delivery_id',
  'sanctions.job_runs': 'reference',
  'sanctions.calendar_years': 'reference',
  // When each subject is next due for the daily pass, beside its records; the rule versions the
  // due instants were worked out under are a handful of rows.
  'sanctions.evaluation_due': 'subject_key',
  'sanctions.evaluated_rules': 'reference',
  // Industry evaluations by subject; which department supervises which industry and the tiers of
  // graded supervision are small registry data (docs/lists-and-grades.md).
  'sanctions.industry_evaluations': 'subject_key',
  'sanctions.industry_evaluation_versions': 'subject_key',
  'sanctions.industry_supervisors': 'reference',
  'sanctions.supervision_tiers': 'reference',
  'sanctions.practitioners': 'subject_key',
  // Registered agencies by their key, beside their practitioners (joined on it).
  'sanctions.intermediaries': 'subject_key',
  'sanctions.events': 'subject_key',
  'repair.event_cursors': 'reference',
  'repair.records': 'subject_key',
  'repair.list_entries': 'subject_key',
  'repair.evaluations': 'subject_key',
  'repair.calendar_years': 'reference',
  'repair.objections': 'subject_key',
  'repair.repairs': 'subject_key',
  'repair.case_history': 'subject_key',
  'repair.awaiting_deadlines': 'subject_key',
  'repair.notices': 'subject_key',
  'repair.job_runs': 'reference',
  'repair.events': 'subject_key',
};

let platform: TestPlatform;
beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
});
afterAll(async () => platform?.close());

describe('Citus compatibility of the migrations', () => {
  it('has no foreign keys', async () => {
    const foreign = await platform.database.query<{ name: string }>(
      `SELECT conrelid::regclass::text AS name FROM pg_constraint WHERE contype = 'f'
       AND connamespace::regnamespace::text IN ('platform', 'ingest', 'query', 'sanctions', 'repair')`,
    );
    expect(foreign).toEqual([]);
  });

  it('classifies every table, and keeps the distribution column in every unique index', async () => {
    const tables = await platform.database.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
       WHERE table_schema IN ('platform', 'ingest', 'query', 'sanctions', 'repair') AND table_type = 'BASE TABLE'
         AND NOT (table_schema || '.' || quote_ident(table_name))::regclass IN (SELECT inhrelid FROM pg_inherits)
       ORDER BY 1`,
    );
    expect(tables.map((t) => t.name).filter((name) => !(name in distribution))).toEqual([]);
    const uniques = await platform.database.query<{ name: string; index: string; columns: string[] }>(
      `SELECT n.nspname || '.' || t.relname AS name, i.relname AS index,
              array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_index x
       JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey)
       WHERE x.indisunique AND n.nspname IN ('ingest', 'query', 'sanctions', 'repair') AND NOT t.relispartition
       GROUP BY 1, 2`,
    );
    const violations = uniques
      .filter(
        (u) => distribution[u.name] !== 'reference' && !u.columns.includes(distribution[u.name] as string),
      )
      .map((u) => `${u.index} on ${u.name} (${u.columns.join(', ')})`);
    expect(violations).toEqual([]);
  });
});
