import { bytea, defineJobRuns, instant } from '@credit/db';
import { defineOutbox } from '@credit/events';
import { boolean, integer, jsonb, pgSchema, text } from 'drizzle-orm/pg-core';

/** The repair service owns the `repair` schema (migrations/repair). */
export const repairSchemaName = 'repair';
const repair = pgSchema(repairSchemaName);

export const records = repair.table('records', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  version: integer('version').notNull(),
  status: text('status').$type<'active' | 'withdrawn'>().notNull(),
  category: text('category').notNull(),
  classCode: text('class_code').notNull(),
  severity: text('severity').$type<'minor' | 'general' | 'serious'>(),
  occurredAt: instant('occurred_at').notNull(),
  displayUntil: instant('display_until'),
  providerCode: text('provider_code').notNull(),
  receivedAt: instant('received_at').notNull(),
});

export const listEntries = repair.table('list_entries', {
  subjectKey: bytea('subject_key').notNull(),
  entryId: text('entry_id').notNull(),
  listKind: text('list_kind').notNull(),
  domain: text('domain').notNull(),
  status: text('status').notNull(),
  identifyingDepartment: text('identifying_department').notNull(),
  validFrom: instant('valid_from'),
  updatedAt: instant('updated_at').notNull(),
});

export const evaluations = repair.table('evaluations', {
  subjectKey: bytea('subject_key').notNull(),
  evaluationId: text('evaluation_id').notNull(),
  domain: text('domain').notNull(),
  year: integer('year').notNull(),
  grade: text('grade').notNull(),
  department: text('department').notNull(),
  updatedAt: instant('updated_at').notNull(),
  /** Who corrects it after an upheld objection (migrations/repair/0007_department_evaluations.sql). */
  correctedBy: text('corrected_by').$type<'sanctions' | 'department'>().notNull().default('sanctions'),
});

export const calendarYears = repair.table('calendar_years', {
  year: integer('year').primaryKey(),
  holidays: text('holidays').array().notNull(),
  workdays: text('workdays').array().notNull(),
  loadedBy: text('loaded_by').notNull(),
  loadedAt: instant('loaded_at').notNull(),
});

export type ObjectionStatus =
  | 'submitted'
  | 'accepted'
  | 'inadmissible'
  | 'under_review'
  | 'upheld'
  | 'rejected'
  | 'closed';

export const objections = repair.table('objections', {
  subjectKey: bytea('subject_key').notNull(),
  objectionId: text('objection_id').notNull(),
  targetType: text('target_type').$type<'record' | 'listEntry' | 'evaluation'>().notNull(),
  targetId: text('target_id').notNull(),
  responsibleDepartment: text('responsible_department').notNull(),
  status: text('status').$type<ObjectionStatus>().notNull(),
  outcome: text('outcome').$type<'upheld' | 'rejected' | 'inadmissible'>(),
  reason: text('reason').notNull(),
  evidence: jsonb('evidence').$type<unknown[]>().notNull(),
  filedAt: instant('filed_at').notNull(),
  /** Null while the answer deadline awaits the official calendar of its year (`awaitingDeadlines`). */
  answerDueAt: instant('answer_due_at'),
  decidedAt: instant('decided_at'),
  decisionNote: text('decision_note'),
  correctionDueAt: instant('correction_due_at'),
  correctionAppliedAt: instant('correction_applied_at'),
  notifyDueAt: instant('notify_due_at'),
  notifiedAt: instant('notified_at'),
  closedAt: instant('closed_at'),
  updatedAt: instant('updated_at').notNull(),
});

export type RepairStatus =
  | 'submitted'
  | 'needs_supplement'
  | 'not_accepted'
  | 'accepted'
  | 'approved'
  | 'denied'
  | 'effective';

export const repairs = repair.table('repairs', {
  subjectKey: bytea('subject_key').notNull(),
  repairId: text('repair_id').notNull(),
  targetType: text('target_type').$type<'record' | 'listEntry'>().notNull(),
  targetId: text('target_id').notNull(),
  responsibleDepartment: text('responsible_department').notNull(),
  status: text('status').$type<RepairStatus>().notNull(),
  evidence: jsonb('evidence').$type<unknown[]>().notNull(),
  commitment: text('commitment').notNull(),
  filedAt: instant('filed_at').notNull(),
  /** Null while the deadlines wait to be computed (`deadlinesPending`). */
  acceptDueAt: instant('accept_due_at'),
  pausedAt: instant('paused_at'),
  pausedWorkingDaysLeft: integer('paused_working_days_left'),
  pausedResultWorkingDaysLeft: integer('paused_result_working_days_left'),
  acceptedAt: instant('accepted_at'),
  resultDueAt: instant('result_due_at'),
  /** The deadlines are to be computed from the filing date (cases filed under the earlier rule). */
  deadlinesPending: boolean('deadlines_pending').notNull(),
  decidedAt: instant('decided_at'),
  decisionNote: text('decision_note'),
  effectiveAt: instant('effective_at'),
  updatedAt: instant('updated_at').notNull(),
});

export type DeadlineName = 'answer' | 'correction' | 'notification' | 'acceptance' | 'result';

/** A case's period whose deadline waits for the official calendar of `year` (awaiting_calendar). */
export const awaitingDeadlines = repair.table('awaiting_deadlines', {
  subjectKey: bytea('subject_key').notNull(),
  caseId: text('case_id').notNull(),
  deadline: text('deadline').$type<DeadlineName>().notNull(),
  countedFrom: instant('counted_from').notNull(),
  amount: integer('amount').notNull(),
  unit: text('unit').$type<'working_days' | 'natural_days'>().notNull(),
  year: integer('year').notNull(),
  since: instant('since').notNull(),
});

export const caseHistory = repair.table('case_history', {
  subjectKey: bytea('subject_key').notNull(),
  caseId: text('case_id').notNull(),
  seq: integer('seq').notNull(),
  status: text('status').notNull(),
  at: instant('at').notNull(),
  actor: text('actor').notNull(),
  note: text('note'),
});

export const notices = repair.table('notices', {
  subjectKey: bytea('subject_key').notNull(),
  noticeId: text('notice_id').notNull(),
  kind: text('kind').notNull(),
  referenceId: text('reference_id').notNull(),
  title: text('title').notNull(),
  detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
  createdAt: instant('created_at').notNull(),
});

export const jobRuns = defineJobRuns(repairSchemaName);

export const repairOutbox = defineOutbox(repairSchemaName);
