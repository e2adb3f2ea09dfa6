import { bytea, defineJobRuns, instant, signingSecretTable } from '@credit/db';
import { defineOutbox, defineSubjectIdentities } from '@credit/events';
import type { DeclarationAccepted, IntermediaryIndustry, ListKind } from '@credit/schema';
import { bigint, boolean, date, integer, jsonb, pgSchema, text, uuid } from 'drizzle-orm/pg-core';

/** The query service owns the `query` schema (migrations/query). */
export const querySchemaName = 'query';
const query = pgSchema(querySchemaName);

export const subjects = defineSubjectIdentities(querySchemaName);

/** Accesses and authorisations, announced for the transparency log. */
export const queryOutbox = defineOutbox(querySchemaName);

export interface RelatedPersonRef {
  role: string;
  subjectKey: string;
  recordId: string;
}

export const records = query.table('records', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  version: integer('version').notNull(),
  status: text('status').$type<'active' | 'withdrawn'>().notNull(),
  providerCode: text('provider_code').notNull(),
  sourceId: text('source_id').notNull(),
  category: text('category').notNull(),
  classCode: text('class_code').notNull(),
  subjectKind: text('subject_kind').notNull(),
  occurredAt: instant('occurred_at').notNull(),
  /** The plain date the fact was dated with, read back as such (occurred_at orders it). */
  occurredOn: date('occurred_on', { mode: 'string' }),
  receivedAt: instant('received_at').notNull(),
  severity: text('severity').$type<'minor' | 'general' | 'serious'>(),
  publicity: text('publicity').$type<'public' | 'authorised' | 'government'>().notNull(),
  displayUntil: instant('display_until'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  relatedPersons: jsonb('related_persons').$type<RelatedPersonRef[]>().notNull(),
  origin: text('origin').$type<'pushed' | 'linked'>().notNull(),
  linkedFrom: jsonb('linked_from').$type<{ recordId: string; role: string } | null>(),
  reasonCode: text('reason_code'),
  reason: text('reason'),
  hash: text('hash').notNull(),
  disputed: boolean('disputed').notNull().default(false),
  repairedAt: instant('repaired_at'),
  /** The written consent the version cites for its consent-gated values (收入、存款…), if any. */
  consentRef: text('consent_ref'),
  /** Set by an upheld objection: versions received before it are withheld from all but the subject. */
  withheldSince: instant('withheld_since'),
  /** Its open-data lines after the subject's cells, when open data may show it (migrations/query/0029). */
  exportCsv: text('export_csv'),
  exportJson: text('export_json'),
  exportStamp: text('export_stamp'),
  exportDigest: bytea('export_digest'),
});

/** The repair service's marks on a record, kept even before the record is projected (migrations/query/0005_record_marks.sql). */
export const recordMarks = query.table('record_marks', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  disputed: boolean('disputed').notNull().default(false),
  withheldSince: instant('withheld_since'),
  repairedAt: instant('repaired_at'),
  updatedAt: instant('updated_at').notNull(),
});

/**
 * Evaluations (a grade rule's or a department's industry evaluation) under objection
 * (migrations/query: evaluation_marks), kept apart from the grades since the repair feed and the
 * sanctions feed are read separately: a grade reads disputed while its evaluation's mark is.
 */
export const evaluationMarks = query.table('evaluation_marks', {
  subjectKey: bytea('subject_key').notNull(),
  evaluationId: text('evaluation_id').notNull(),
  disputed: boolean('disputed').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const agencies = query.table('agencies', {
  uscc: text('uscc').primaryKey(),
  name: text('name').notNull(),
  licenceNumber: text('licence_number').notNull(),
  licenceValidUntil: date('licence_valid_until', { mode: 'string' }).notNull(),
  status: text('status').$type<'active' | 'suspended'>().notNull(),
  statusReason: text('status_reason'),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const departments = query.table('departments', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  remit: text('remit').array().notNull(),
  status: text('status').$type<'active' | 'suspended'>().notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const authorisations = query.table('authorisations', {
  subjectKey: bytea('subject_key').notNull(),
  authorisationId: text('authorisation_id').notNull(),
  agencyUscc: text('agency_uscc').notNull(),
  purpose: text('purpose').notNull(),
  scope: text('scope').array(),
  /** A plain date: only facts from the start of this day in Shanghai on. */
  historyFrom: date('history_from', { mode: 'string' }),
  expiresAt: instant('expires_at').notNull(),
  maxUses: integer('max_uses'),
  uses: integer('uses').notNull().default(0),
  origin: text('origin').$type<'platform' | 'identity_provider'>().notNull(),
  grantedAt: instant('granted_at').notNull(),
  revokedAt: instant('revoked_at'),
});

export const accessLog = query.table('access_log', {
  subjectKey: bytea('subject_key').notNull(),
  entryNo: bigint('entry_no', { mode: 'number' }).notNull(),
  entryId: text('entry_id').notNull(),
  accessedAt: instant('accessed_at').notNull(),
  role: text('role').notNull(),
  org: text('org'),
  tokenSubject: text('token_subject').notNull(),
  purpose: text('purpose'),
  authorisationId: text('authorisation_id'),
  reportId: text('report_id'),
  channel: text('channel').$type<'rest' | 'graphql'>().notNull(),
  records: jsonb('records').$type<{ id: string; version: number }[]>().notNull(),
  prevHash: bytea('prev_hash').notNull(),
  hash: bytea('hash').notNull(),
  reportDigest: bytea('report_digest'),
});

/** Each subject's newest access-log entry (migrations/query/0020_partitioned_access_log.sql). */
export const accessLogHeads = query.table('access_log_heads', {
  subjectKey: bytea('subject_key').primaryKey(),
  entryNo: bigint('entry_no', { mode: 'number' }).notNull(),
  hash: bytea('hash').notNull(),
  accessedAt: instant('accessed_at').notNull(),
});

/** Every signed report issued, by number, for its verification (migrations/query/0012_issued_reports.sql). */
export const issuedReports = query.table('issued_reports', {
  reportId: text('report_id').primaryKey(),
  subjectKey: bytea('subject_key').notNull(),
  issuedAt: instant('issued_at').notNull(),
  audience: text('audience').notNull(),
  recipientRole: text('recipient_role').notNull(),
  recipientOrg: text('recipient_org'),
  purpose: text('purpose'),
  subjectLabel: text('subject_label').notNull(),
  digest: bytea('digest').notNull(),
  keyId: text('key_id').notNull(),
});

export const listEntries = query.table('list_entries', {
  subjectKey: bytea('subject_key').notNull(),
  entryId: text('entry_id').notNull(),
  listKind: text('list_kind').$type<ListKind>().notNull(),
  domain: text('domain').notNull(),
  status: text('status').notNull(),
  validFrom: instant('valid_from'),
  validUntil: instant('valid_until'),
  endReason: text('end_reason'),
  measures: text('measures').array().notNull(),
  updatedAt: instant('updated_at').notNull(),
  /** Its open-data lines after the subject's cells, when open data may show it (migrations/query/0029). */
  exportCsv: text('export_csv'),
  exportJson: text('export_json'),
  exportStamp: text('export_stamp'),
  exportDigest: bytea('export_digest'),
});

export const recipientNotices = query.table('recipient_notices', {
  org: text('org').notNull(),
  noticeId: text('notice_id').notNull(),
  role: text('role').notNull(),
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  kind: text('kind').notNull(),
  occurredAt: instant('occurred_at').notNull(),
  createdAt: instant('created_at').notNull(),
});

/** Consents and their scope, from the ingest feed (migrations/query/0007_consent_scope.sql). */
export const consents = query.table('consents', {
  subjectKey: bytea('subject_key').notNull(),
  consentId: text('consent_id').notNull(),
  providerCode: text('provider_code').notNull(),
  purposes: text('purposes').array().notNull(),
  recipients: jsonb('recipients').$type<{ kind: 'agency' | 'department'; id: string }[]>().notNull(),
  validUntil: instant('valid_until'),
  revokedAt: instant('revoked_at'),
  grantedAt: instant('granted_at').notNull(),
});

/** Each subject's grade per domain and year, from the sanctions feed (migrations/query/0009_grades.sql). */
export const grades = query.table('grades', {
  subjectKey: bytea('subject_key').notNull(),
  domain: text('domain').notNull(),
  year: integer('year').notNull(),
  grade: text('grade').notNull(),
  evaluationId: text('evaluation_id').notNull(),
  ruleCode: text('rule_code').notNull(),
  department: text('department').notNull(),
  status: text('status').$type<'assigned' | 'withdrawn'>().notNull(),
  updatedAt: instant('updated_at').notNull(),
  /** An industry evaluation's end of validity; null for a grade rule's grade (it stands by its year). */
  validUntil: instant('valid_until'),
});

/** Every grade assignment and withdrawal: the grade history. */
export const gradeChanges = query.table('grade_changes', {
  subjectKey: bytea('subject_key').notNull(),
  eventId: uuid('event_id').notNull(),
  change: text('change').$type<'assigned' | 'withdrawn'>().notNull(),
  domain: text('domain').notNull(),
  year: integer('year').notNull(),
  grade: text('grade').notNull(),
  evaluationId: text('evaluation_id').notNull(),
  ruleCode: text('rule_code').notNull(),
  department: text('department').notNull(),
  at: instant('at').notNull(),
  feedSeq: bigint('feed_seq', { mode: 'number' }).notNull(),
});

/** The names organisations are found by (migrations/query/0010_organisation_names.sql); never persons. */
export const organisationNames = query.table('organisation_names', {
  subjectKey: bytea('subject_key').notNull(),
  nameKey: text('name_key').notNull(),
  name: text('name').notNull(),
  uscc: text('uscc').notNull(),
  kind: text('kind').notNull(),
  core: text('core').notNull(),
  regions: text('regions').array().notNull(),
  legalForm: text('legal_form'),
  branch: text('branch'),
  grams: text('grams').array().notNull(),
  registeredAt: instant('registered_at'),
  isCurrent: boolean('is_current').notNull().default(false),
  firstSeen: instant('first_seen').notNull(),
  lastSeen: instant('last_seen').notNull(),
});

/** The record versions that carried each indexed name (migrations/query: organisation_name_sightings). */
export const organisationNameSightings = query.table('organisation_name_sightings', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  version: integer('version').notNull(),
  nameKey: text('name_key').notNull(),
  name: text('name').notNull(),
  registered: boolean('registered').notNull(),
  seenAt: instant('seen_at').notNull(),
});

/** How many indexed names hold each n-gram, to look a query up by its rarer ones. */
export const nameGramCounts = query.table('name_gram_counts', {
  gram: text('gram').primaryKey(),
  names: bigint('names', { mode: 'number' }).notNull(),
});

/**
 * The exchange log (migrations/query/0017_exchange.sql): every public change the upper platforms
 * receive, in one order. Positions are taken under one lock by the transactions that append, so
 * they commit in order and a reader past position p never misses a later-committed smaller one.
 */
export const exchangeLog = query.table('exchange_log', {
  position: bigint('position', { mode: 'number' }).notNull(),
  itemId: text('item_id').notNull(),
  subjectKey: bytea('subject_key').notNull(),
  subjectKind: text('subject_kind').notNull(),
  refKind: text('ref_kind').$type<'record' | 'list_entry'>().notNull(),
  refId: text('ref_id').notNull(),
  refVersion: integer('ref_version').notNull(),
  operation: text('operation').$type<'upsert' | 'delete'>().notNull(),
  /** The feed event type the change comes from (record.created, list.entry.exited, …). */
  cause: text('cause').notNull(),
  preset: text('preset').notNull(),
  /** What the national row is built from, without the subject's identity (null for a deletion). */
  content: jsonb('content').$type<Record<string, unknown> | null>(),
  sourceEventId: uuid('source_event_id').notNull(),
  createdAt: instant('created_at').notNull(),
});

export const exchangeReceivers = query.table('exchange_receivers', {
  receiverId: text('receiver_id').notNull(),
  name: text('name').notNull(),
  url: text('url').notNull(),
  format: text('format').notNull(),
  /** A secret in clear, only on rows from before 0025 until the service's start seals it. */
  plainSecret: text('secret'),
  /** The signing secret, sealed (@credit/crypto sealSigningSecret) for `query.exchange_receivers/<id>`. */
  secretCipher: bytea('secret_cipher'),
  keyId: text('key_id'),
  enabled: boolean('enabled').notNull(),
  /** The last log position the receiver acknowledged (or a replay moved it back to). */
  cursor: bigint('cursor', { mode: 'number' }).notNull(),
  /** The highest position it ever acknowledged: batches at or below it are replays. */
  highWater: bigint('high_water', { mode: 'number' }).notNull(),
  nextBatchNo: bigint('next_batch_no', { mode: 'number' }).notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** The receivers' signing secrets, for sealing, rotation and the start's sealing of old rows. */
export const receiverSecrets = signingSecretTable('query.exchange_receivers', 'receiver_id');

export const exchangeBatches = query.table('exchange_batches', {
  receiverId: text('receiver_id').notNull(),
  batchNo: bigint('batch_no', { mode: 'number' }).notNull(),
  batchId: text('batch_id').notNull(),
  firstPosition: bigint('first_position', { mode: 'number' }).notNull(),
  lastPosition: bigint('last_position', { mode: 'number' }).notNull(),
  itemCount: integer('item_count').notNull(),
  replay: boolean('replay').notNull(),
  status: text('status').$type<'open' | 'acknowledged' | 'superseded'>().notNull(),
  attempts: integer('attempts').notNull(),
  nextAttemptAt: instant('next_attempt_at').notNull(),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  refusedCount: integer('refused_count').notNull(),
  createdAt: instant('created_at').notNull(),
  lastAttemptAt: instant('last_attempt_at'),
  acknowledgedAt: instant('acknowledged_at'),
});

export const exchangeRefusals = query.table('exchange_refusals', {
  receiverId: text('receiver_id').notNull(),
  batchNo: bigint('batch_no', { mode: 'number' }).notNull(),
  position: bigint('position', { mode: 'number' }).notNull(),
  itemId: text('item_id').notNull(),
  code: text('code'),
  reason: text('reason').notNull(),
});

export const jobRuns = defineJobRuns(querySchemaName);

/** Transparency checkpoints the ingest feed announced (migrations/query/0018_open_data.sql). */
export const checkpointsSeen = query.table('checkpoints_seen', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  rootHash: text('root_hash').notNull(),
  issuedAt: instant('issued_at').notNull(),
  body: text('body').notNull(),
  signature: text('signature').notNull(),
});

/** Each day's open-data cut and its signed manifest. */
export const openDataCuts = query.table('open_data_cuts', {
  day: date('day', { mode: 'string' }).primaryKey(),
  previousDay: date('previous_day', { mode: 'string' }),
  cutAt: instant('cut_at').notNull(),
  manifest: text('manifest').notNull(),
  signature: text('signature').notNull(),
  /** The attempt whose staged baseline changes are not applied yet (migrations/query/0024). */
  baselinePending: uuid('baseline_pending'),
});

export const openDataFiles = query.table('open_data_files', {
  day: date('day', { mode: 'string' }).notNull(),
  name: text('name').notNull(),
  kind: text('kind').$type<'full' | 'increment'>().notNull(),
  format: text('format').$type<'csv' | 'jsonl'>().notNull(),
  preset: text('preset'),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  sha256: text('sha256').notNull(),
  records: bigint('records', { mode: 'number' }).notNull(),
  chunkBytes: integer('chunk_bytes').notNull(),
});

export const openDataChunks = query.table('open_data_chunks', {
  day: date('day', { mode: 'string' }).notNull(),
  name: text('name').notNull(),
  chunkNo: integer('chunk_no').notNull(),
  content: bytea('content').notNull(),
});

/** What the newest cut published, item by item (its increment's baseline). */
export const openDataPublished = query.table('open_data_published', {
  subjectKey: bytea('subject_key').notNull(),
  itemId: text('item_id').notNull(),
  preset: text('preset').notNull(),
  digest: bytea('digest').notNull(),
});

/** A cut attempt's changes to the baseline, applied once its cut is stored; a null digest leaves it. */
export const openDataStaged = query.table('open_data_staged', {
  attempt: uuid('attempt').notNull(),
  /** The order the cut staged it in, a batch at a time: applied a range of batches a transaction. */
  batch: integer('batch').notNull(),
  subjectKey: bytea('subject_key').notNull(),
  itemId: text('item_id').notNull(),
  preset: text('preset').notNull(),
  digest: bytea('digest'),
});

/** The intermediaries' disclosure column (migrations/query/0021): agencies and accepted declarations. */
export const intermediaries = query.table('intermediaries', {
  subjectKey: bytea('subject_key').primaryKey(),
  industry: text('industry').$type<IntermediaryIndustry>().notNull(),
  department: text('department').notNull(),
  registeredAt: instant('registered_at').notNull(),
});

export const intermediaryDeclarations = query.table('intermediary_declarations', {
  subjectKey: bytea('subject_key').notNull(),
  declarationId: text('declaration_id').notNull(),
  content: jsonb('content').$type<DeclarationAccepted['content']>().notNull(),
  commitment: jsonb('commitment').$type<DeclarationAccepted['commitment']>().notNull(),
  department: text('department').notNull(),
  acceptedAt: instant('accepted_at').notNull(),
});
