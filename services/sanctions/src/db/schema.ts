import { bytea, defineJobRuns, instant, signingSecretTable } from '@credit/db';
import { defineOutbox, defineSubjectIdentities } from '@credit/events';
import type { GradeTier, ListKind, RelatedPersonRef } from '@credit/schema';
import { boolean, date, integer, jsonb, numeric, pgSchema, text, uuid } from 'drizzle-orm/pg-core';

/** The sanctions service owns the `sanctions` schema (migrations/sanctions). */
export const sanctionsSchemaName = 'sanctions';
const sanctions = pgSchema(sanctionsSchemaName);

export const records = sanctions.table('records', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  version: integer('version').notNull(),
  status: text('status').$type<'active' | 'withdrawn'>().notNull(),
  category: text('category').notNull(),
  classCode: text('class_code').notNull(),
  subjectKind: text('subject_kind').notNull(),
  occurredAt: instant('occurred_at').notNull(),
  severity: text('severity').$type<'minor' | 'general' | 'serious'>(),
  displayUntil: instant('display_until'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  relatedPersons: jsonb('related_persons').$type<RelatedPersonRef[]>().notNull(),
  providerCode: text('provider_code').notNull(),
  repairedAt: instant('repaired_at'),
});

export const subjects = defineSubjectIdentities(sanctionsSchemaName);

/**
 * When each subject is next due for the daily pass: the first instant its outcome could change by
 * time alone, null when none (migrations/sanctions/0014_evaluation_due.sql).
 */
export const evaluationDue = sanctions.table('evaluation_due', {
  subjectKey: bytea('subject_key').primaryKey(),
  dueAt: instant('due_at'),
});

/** The active rule versions the stored due instants were worked out under. */
export const evaluatedRules = sanctions.table('evaluated_rules', {
  code: text('code').notNull(),
  version: integer('version').notNull(),
});

export const measures = sanctions.table('measures', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  nameEn: text('name_en').notNull(),
  listKind: text('list_kind').$type<ListKind>().notNull(),
  domains: text('domains').array().notNull(),
  subjectScope: text('subject_scope').$type<'organisation' | 'person' | 'any'>().notNull(),
  actions: text('actions').array().notNull(),
  effect: text('effect').$type<'deny' | 'restrict' | 'inspect' | 'priority'>().notNull(),
  legalBasis: text('legal_basis').notNull(),
  implementingDepartment: text('implementing_department').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const rules = sanctions.table('rules', {
  code: text('code').notNull(),
  version: integer('version').notNull(),
  definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
  status: text('status').$type<'active' | 'retired'>().notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: instant('created_at').notNull(),
});

export interface BasisRef {
  recordId: string;
  version: number;
  category: string;
}

export const listEntries = sanctions.table('list_entries', {
  subjectKey: bytea('subject_key').notNull(),
  entryId: text('entry_id').notNull(),
  subjectKind: text('subject_kind').notNull(),
  listKind: text('list_kind').$type<ListKind>().notNull(),
  domain: text('domain').notNull(),
  ruleCode: text('rule_code').notNull(),
  ruleVersion: integer('rule_version').notNull(),
  identifyingDepartment: text('identifying_department').notNull(),
  status: text('status')
    .$type<'awaiting_calendar' | 'noticed' | 'proposed' | 'published' | 'rejected' | 'cancelled' | 'exited'>()
    .notNull(),
  basis: jsonb('basis').$type<BasisRef[]>().notNull(),
  measures: text('measures').array().notNull(),
  proposedAt: instant('proposed_at').notNull(),
  objectionUntil: instant('objection_until'),
  decidedAt: instant('decided_at'),
  decidedBy: text('decided_by'),
  validFrom: instant('valid_from'),
  validUntil: instant('valid_until'),
  endedAt: instant('ended_at'),
  endReason: text('end_reason'),
  parentEntryId: text('parent_entry_id'),
  relatedRole: text('related_role'),
  updatedAt: instant('updated_at').notNull(),
});

export const entryHistory = sanctions.table('entry_history', {
  subjectKey: bytea('subject_key').notNull(),
  entryId: text('entry_id').notNull(),
  seq: integer('seq').notNull(),
  status: text('status').notNull(),
  at: instant('at').notNull(),
  actor: text('actor').notNull(),
  note: text('note'),
});

export const grades = sanctions.table('grades', {
  subjectKey: bytea('subject_key').notNull(),
  domain: text('domain').notNull(),
  year: integer('year').notNull(),
  grade: text('grade').notNull(),
  ruleCode: text('rule_code').notNull(),
  ruleVersion: integer('rule_version').notNull(),
  computedAt: instant('computed_at').notNull(),
  /** Set when no grade rule of the domain holds any more (migrations/sanctions/0007_grade_withdrawal.sql). */
  withdrawnAt: instant('withdrawn_at'),
});

export const checks = sanctions.table('checks', {
  subjectKey: bytea('subject_key').notNull(),
  checkId: text('check_id').notNull(),
  org: text('org').notNull(),
  role: text('role').notNull(),
  action: text('action').notNull(),
  purpose: text('purpose').notNull(),
  decision: text('decision').notNull(),
  entries: jsonb('entries').$type<unknown[]>().notNull(),
  measures: jsonb('measures').$type<unknown[]>().notNull(),
  checkedAt: instant('checked_at').notNull(),
});

export const checkFeedback = sanctions.table('check_feedback', {
  subjectKey: bytea('subject_key').notNull(),
  checkId: text('check_id').notNull(),
  seq: integer('seq').notNull(),
  outcome: text('outcome').notNull(),
  note: text('note'),
  org: text('org').notNull(),
  reportedAt: instant('reported_at').notNull(),
});

export const watches = sanctions.table('watches', {
  subjectKey: bytea('subject_key').notNull(),
  platform: text('platform').notNull(),
  createdAt: instant('created_at').notNull(),
});

export const webhooks = sanctions.table('webhooks', {
  platform: text('platform').primaryKey(),
  url: text('url').notNull(),
  /** A secret in clear, only on rows from before 0015 until the service's start seals it. */
  plainSecret: text('secret'),
  /** The signing secret, sealed (@credit/crypto sealSigningSecret) for `sanctions.webhooks/<platform>`. */
  secretCipher: bytea('secret_cipher'),
  keyId: text('key_id'),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** The webhooks' signing secrets, for sealing, rotation and the start's sealing of old rows. */
export const webhookSecrets = signingSecretTable('sanctions.webhooks', 'platform');

export const webhookDeliveries = sanctions.table('webhook_deliveries', {
  deliveryId: text('delivery_id').primaryKey(),
  platform: text('platform').notNull(),
  eventId: uuid('event_id').notNull(),
  subjectKey: bytea('subject_key').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  status: text('status').$type<'pending' | 'delivered' | 'failing' | 'dead'>().notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: instant('next_attempt_at').notNull(),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  createdAt: instant('created_at').notNull(),
  deliveredAt: instant('delivered_at'),
});

export const jobRuns = defineJobRuns(sanctionsSchemaName);

export const sanctionsOutbox = defineOutbox(sanctionsSchemaName);

export const calendarYears = sanctions.table('calendar_years', {
  year: integer('year').primaryKey(),
  holidays: text('holidays').array().notNull(),
  workdays: text('workdays').array().notNull(),
  loadedAt: instant('loaded_at').notNull(),
});

/** Industry credit evaluations pushed by supervising departments (migrations/sanctions/0011_industry_evaluations.sql). */
export const industryEvaluations = sanctions.table('industry_evaluations', {
  subjectKey: bytea('subject_key').notNull(),
  evaluationId: text('evaluation_id').notNull(),
  subjectKind: text('subject_kind').notNull(),
  industry: text('industry').notNull(),
  department: text('department').notNull(),
  sourceId: text('source_id').notNull(),
  version: integer('version').notNull(),
  grade: text('grade').notNull(),
  tier: text('tier').$type<GradeTier>().notNull(),
  periodFrom: date('period_from', { mode: 'string' }).notNull(),
  periodTo: date('period_to', { mode: 'string' }).notNull(),
  validUntil: instant('valid_until').notNull(),
  basis: text('basis').notNull(),
  receivedAt: instant('received_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const industryEvaluationVersions = sanctions.table('industry_evaluation_versions', {
  subjectKey: bytea('subject_key').notNull(),
  evaluationId: text('evaluation_id').notNull(),
  version: integer('version').notNull(),
  grade: text('grade').notNull(),
  tier: text('tier').notNull(),
  basis: text('basis').notNull(),
  reason: text('reason'),
  objectionId: text('objection_id'),
  actor: text('actor').notNull(),
  at: instant('at').notNull(),
});

/** Graded supervision as data: inspections and measures per tier of a scale. */
export const supervisionTiers = sanctions.table('supervision_tiers', {
  tier: text('tier').$type<GradeTier>().primaryKey(),
  name: text('name').notNull(),
  inspectionsPerYear: numeric('inspections_per_year', { mode: 'number' }).notNull(),
  inspection: text('inspection').notNull(),
  measures: text('measures').array().notNull(),
  legalBasis: text('legal_basis').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** Which department supervises which intermediary industry, from the ingest feed's registry data. */
export const industrySupervisors = sanctions.table('industry_supervisors', {
  department: text('department').notNull(),
  industry: text('industry').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** Organisations registered as intermediaries and their industry, from the ingest feed. */
export const intermediaries = sanctions.table('intermediaries', {
  subjectKey: bytea('subject_key').primaryKey(),
  industry: text('industry').notNull(),
  department: text('department').notNull(),
  registeredAt: instant('registered_at').notNull(),
});

/** Practitioners registered with an agency (subject_key is the agency's), from the ingest feed. */
export const practitioners = sanctions.table('practitioners', {
  subjectKey: bytea('subject_key').notNull(),
  practitionerId: text('practitioner_id').notNull(),
  personKey: bytea('person_key').notNull(),
  responsible: boolean('responsible').notNull(),
  linkedAt: instant('linked_at').notNull(),
});
