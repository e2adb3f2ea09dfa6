import { bytea, instant } from '@credit/db';
import { defineOutbox } from '@credit/events';
import type { DeclarationSubmission, IntermediaryIndustry } from '@credit/schema';
import { bigint, boolean, date, integer, jsonb, pgSchema, smallint, text } from 'drizzle-orm/pg-core';

/** The ingest service owns the `ingest` schema (migrations/ingest); no other service reads it. */
export const ingestSchemaName = 'ingest';
const ingest = pgSchema(ingestSchemaName);

export const providers = ingest.table('providers', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  categories: text('categories').array().notNull(),
  industries: text('industries').array().$type<IntermediaryIndustry[]>().notNull().default([]),
  status: text('status').$type<'active' | 'suspended'>().notNull(),
  revision: integer('revision').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const providerRevisions = ingest.table('provider_revisions', {
  code: text('code').notNull(),
  revision: integer('revision').notNull(),
  name: text('name').notNull(),
  categories: text('categories').array().notNull(),
  industries: text('industries').array().notNull().default([]),
  status: text('status').notNull(),
  changedBy: text('changed_by').notNull(),
  changedAt: instant('changed_at').notNull(),
});

export const subjects = ingest.table('subjects', {
  subjectKey: bytea('subject_key').primaryKey(),
  kind: text('kind').notNull(),
  identifierCipher: bytea('identifier_cipher').notNull(),
  keyId: text('key_id').notNull(),
  createdAt: instant('created_at').notNull(),
});

export const records = ingest.table('records', {
  recordId: text('record_id').primaryKey(),
  subjectKey: bytea('subject_key').notNull(),
  providerCode: text('provider_code').notNull(),
  sourceId: text('source_id').notNull(),
  category: text('category').notNull(),
  subjectKind: text('subject_kind').notNull(),
  origin: text('origin').$type<'pushed' | 'linked'>().notNull(),
  parentRecordId: text('parent_record_id'),
  relatedRole: text('related_role'),
  createdAt: instant('created_at').notNull(),
});

/** A related person as stored on a version: never the identifier itself, only its key and cipher of the name. */
export interface StoredRelatedPerson {
  role: string;
  subjectKey: string;
  nameCipher: string;
  keyId: string;
  linkedRecordId: string;
}

export const recordVersions = ingest.table('record_versions', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  version: integer('version').notNull(),
  operation: text('operation').$type<'create' | 'correct' | 'withdraw'>().notNull(),
  status: text('status').$type<'active' | 'withdrawn'>().notNull(),
  providerCode: text('provider_code').notNull(),
  category: text('category').notNull(),
  subjectKind: text('subject_kind').notNull(),
  occurredAt: instant('occurred_at').notNull(),
  /** The plain date the fact was dated with (occurred_at is then the day's start in Shanghai). */
  occurredOn: date('occurred_on', { mode: 'string' }),
  receivedAt: instant('received_at').notNull(),
  severity: text('severity').$type<'minor' | 'general' | 'serious'>(),
  publicity: text('publicity').$type<'public' | 'authorised' | 'government'>().notNull(),
  displayUntil: instant('display_until'),
  subjectNameCipher: bytea('subject_name_cipher').notNull(),
  /** Keyed MAC of the name this version carries (migrations/ingest/…_registered_names.sql). */
  subjectNameMac: bytea('subject_name_mac'),
  /** A version of the registering authority's record: its name is the subject's name. */
  namesSubject: boolean('names_subject').notNull().default(false),
  keyId: text('key_id').notNull(),
  data: jsonb('data').$type<Record<string, unknown>>(),
  relatedPersons: jsonb('related_persons').$type<StoredRelatedPerson[]>().notNull(),
  consentRef: text('consent_ref'),
  reasonCode: text('reason_code'),
  reason: text('reason'),
  fingerprint: bytea('fingerprint').notNull(),
  contentSalt: bytea('content_salt'),
  contentCommitment: bytea('content_commitment').notNull(),
  prevHash: bytea('prev_hash').notNull(),
  hash: bytea('hash').notNull(),
  /** Set when the content was lawfully erased (migrations/ingest/0003). */
  erasedAt: instant('erased_at'),
});

export const consents = ingest.table('consents', {
  subjectKey: bytea('subject_key').notNull(),
  consentId: text('consent_id').notNull(),
  providerCode: text('provider_code').notNull(),
  fields: text('fields').array().notNull(),
  purpose: text('purpose').notNull(),
  purposes: text('purposes').array().notNull(),
  recipients: jsonb('recipients').$type<{ kind: 'agency' | 'department'; id: string }[]>().notNull(),
  registeredBy: text('registered_by').$type<'subject' | 'provider'>().notNull(),
  registeredByOrg: text('registered_by_org'),
  evidenceHash: bytea('evidence_hash'),
  validUntil: instant('valid_until'),
  createdAt: instant('created_at').notNull(),
});

export const consentRevocations = ingest.table('consent_revocations', {
  subjectKey: bytea('subject_key').notNull(),
  consentId: text('consent_id').notNull(),
  revokedAt: instant('revoked_at').notNull(),
  revokedBy: text('revoked_by').notNull(),
});

export const intakeOutcomes = ingest.table('intake_outcomes', {
  providerCode: text('provider_code').notNull(),
  receivedAt: instant('received_at').notNull(),
  outcome: text('outcome').$type<'refused' | 'unchanged'>().notNull(),
  category: text('category'),
  code: text('code'),
  sourceId: text('source_id'),
  paths: text('paths').array(),
});

export const ingestOutbox = defineOutbox(ingestSchemaName);

/** Intermediaries in administrative approval (migrations/ingest/0009): agencies, practitioners, declarations. */
export const intermediaries = ingest.table('intermediaries', {
  subjectKey: bytea('subject_key').primaryKey(),
  kind: text('kind').notNull(),
  name: text('name').notNull(),
  industry: text('industry').$type<IntermediaryIndustry>().notNull(),
  department: text('department').notNull(),
  registeredAt: instant('registered_at').notNull(),
});

export interface StoredQualification {
  name: string;
  number: string;
  issuedBy?: string | undefined;
  level?: string | undefined;
  validUntil?: string | undefined;
}

export const practitioners = ingest.table('practitioners', {
  agencyKey: bytea('agency_key').notNull(),
  practitionerId: text('practitioner_id').notNull(),
  personKey: bytea('person_key').notNull(),
  nameCipher: bytea('name_cipher').notNull(),
  keyId: text('key_id').notNull(),
  qualifications: jsonb('qualifications').$type<StoredQualification[]>().notNull(),
  responsible: boolean('responsible').notNull(),
  department: text('department').notNull(),
  linkedAt: instant('linked_at').notNull(),
});

export interface StoredCommitment {
  title: string;
  clauses: { code: string; text: string }[];
  signatory: string;
  signedOn: string;
}

export const declarations = ingest.table('declarations', {
  agencyKey: bytea('agency_key').notNull(),
  declarationId: text('declaration_id').notNull(),
  industry: text('industry').$type<IntermediaryIndustry>().notNull(),
  status: text('status').$type<'submitted' | 'accepted' | 'returned' | 'found_false'>().notNull(),
  content: jsonb('content').$type<DeclarationSubmission['content']>().notNull(),
  commitment: jsonb('commitment').$type<StoredCommitment>().notNull(),
  submittedAt: instant('submitted_at').notNull(),
  reviewedAt: instant('reviewed_at'),
  reviewedBy: text('reviewed_by'),
  reasons: text('reasons'),
  recordIds: text('record_ids').array().notNull().default([]),
  /** The department whose finding of falsity it carries, taken before the finding's record is written (migrations/ingest/0013). */
  findingBy: text('finding_by'),
});

/** The transparency log (migrations/ingest/0002): see services/ingest/src/transparency. */
export const logHead = ingest.table('log_head', {
  logId: smallint('log_id').primaryKey(),
  treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
  frontier: bytea('frontier').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const logLeaves = ingest.table('log_leaves', {
  leafIndex: bigint('leaf_index', { mode: 'number' }).primaryKey(),
  leafHash: bytea('leaf_hash').notNull(),
  leafInput: bytea('leaf_input').notNull(),
  kind: text('kind').notNull(),
  subtreeHashes: bytea('subtree_hashes').notNull(),
  appendedAt: instant('appended_at').notNull(),
});

export const logSubjectLeaves = ingest.table('log_subject_leaves', {
  subjectKey: bytea('subject_key').notNull(),
  leafIndex: bigint('leaf_index', { mode: 'number' }).notNull(),
  kind: text('kind').notNull(),
  ref: text('ref').notNull(),
});

export const logOpenings = ingest.table('log_openings', {
  leafIndex: bigint('leaf_index', { mode: 'number' }).primaryKey(),
  salt: bytea('salt').notNull(),
});

export const logCheckpoints = ingest.table('log_checkpoints', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  rootHash: bytea('root_hash').notNull(),
  mapRoot: bytea('map_root').notNull(),
  issuedAt: instant('issued_at').notNull(),
  body: text('body').notNull(),
  signature: text('signature').notNull(),
});

export const mapNodes = ingest.table('map_nodes', {
  depth: smallint('depth').notNull(),
  prefix: bytea('prefix').notNull(),
  revision: bigint('revision', { mode: 'number' }).notNull(),
  nodeKind: text('node_kind').$type<'leaf' | 'branch'>().notNull(),
  hash: bytea('hash').notNull(),
  leafKey: bytea('leaf_key'),
  valueHash: bytea('value_hash'),
});

export const accessHeads = ingest.table('access_heads', {
  subjectKey: bytea('subject_key').primaryKey(),
  accessCount: bigint('access_count', { mode: 'number' }).notNull(),
  head: bytea('head').notNull(),
  treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
});

export const erasureOrders = ingest.table('erasure_orders', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  objectionId: text('objection_id').notNull(),
  upToVersion: integer('up_to_version').notNull(),
  orderedAt: instant('ordered_at').notNull(),
  doneAt: instant('done_at'),
});

export const tombstones = ingest.table('tombstones', {
  subjectKey: bytea('subject_key').notNull(),
  recordId: text('record_id').notNull(),
  leafIndex: bigint('leaf_index', { mode: 'number' }).notNull(),
  statement: text('statement').notNull(),
  signature: text('signature').notNull(),
  erasedAt: instant('erased_at').notNull(),
});
