import { z } from 'zod';
import { relatedPersonRoles, versionOperations } from '../api/records.ts';
import { namesSubject } from '../catalogue/catalogue.ts';
import { publicityLevels, severities } from '../catalogue/types.ts';
import { subjectKinds } from '../identifiers/subject.ts';

/**
 * The contract of the ingest feed (`ingest.events`): what the query, sanctions and repair
 * services build their own read models from. Identity travels encrypted (AES-256-GCM under the
 * platform keyring, AAD = the subject key), never in clear.
 */
export const ingestEventTypes = ['record.created', 'record.corrected', 'record.withdrawn'] as const;
export type IngestEventType = (typeof ingestEventTypes)[number];

export const encryptedSubjectSchema = z.object({
  key: z.string().describe('Hex blind index of the subject'),
  kind: z.enum(subjectKinds),
  keyId: z.string(),
  identifierCipher: z.string().describe('base64'),
  nameCipher: z.string().describe('base64'),
});

export const recordEventSchema = z.object({
  recordId: z.string(),
  version: z.number().int().positive(),
  operation: z.enum(versionOperations),
  status: z.enum(['active', 'withdrawn']),
  provider: z.string(),
  sourceId: z.string(),
  category: z.string(),
  classCode: z.string(),
  subject: encryptedSubjectSchema,
  occurredAt: z.string(),
  receivedAt: z.string(),
  severity: z.enum(severities).nullable(),
  publicity: z.enum(publicityLevels),
  displayUntil: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  relatedPersons: z.array(
    z.object({ role: z.enum(relatedPersonRoles), subjectKey: z.string(), recordId: z.string() }),
  ),
  origin: z.enum(['pushed', 'linked']),
  linkedFrom: z.object({ recordId: z.string(), role: z.enum(relatedPersonRoles) }).nullable(),
  reasonCode: z.string().nullable(),
  reason: z.string().nullable(),
  hash: z.string(),
  /** The written consent a version with consent-gated values cites (absent in events before it was carried). */
  consentRef: z.string().nullable().optional(),
  /** Set when the version's content was erased (its payload emptied): nothing may be built from it. */
  erased: z.boolean().optional(),
});
export type RecordEvent = z.infer<typeof recordEventSchema>;

/**
 * A written consent and its scope, and its revocation: readers of consent-gated values (收入、存款…)
 * show them only to the recipients and purposes the consent names, while it stands.
 */
export const consentGrantedType = 'consent.granted';
export const consentRevokedType = 'consent.revoked';
export const consentGrantedSchema = z.object({
  consentId: z.string(),
  provider: z.string(),
  fields: z.array(z.string()),
  purposes: z.array(z.string()),
  recipients: z.array(z.object({ kind: z.enum(['agency', 'department']), id: z.string() })),
  validUntil: z.string().nullable(),
  grantedAt: z.string(),
});
export type ConsentGranted = z.infer<typeof consentGrantedSchema>;
export const consentRevokedSchema = z.object({ consentId: z.string(), revokedAt: z.string() });
export type ConsentRevoked = z.infer<typeof consentRevokedSchema>;

/**
 * A record's content was lawfully erased (retention over, or an objection upheld): readers drop
 * what they hold of those versions. The tombstone in the transparency log says why.
 */
export const recordErasedType = 'record.erased';
export const erasureReasons = ['retention_expired', 'objection_upheld'] as const;
export type ErasureReason = (typeof erasureReasons)[number];
export const recordErasedSchema = z.object({
  recordId: z.string(),
  versions: z.array(z.number().int().positive()),
  reason: z.enum(erasureReasons),
  legalBasis: z.string(),
  erasedAt: z.string(),
  tombstoneLeafIndex: z.number().int().nonnegative(),
});
export type RecordErased = z.infer<typeof recordErasedSchema>;

/** A related person as the feed names them: role, blind index, and the record kept against them. */
export type RelatedPersonRef = RecordEvent['relatedPersons'][number];

/**
 * The newest version of each record in a batch of feed payloads: consumers apply only that, and
 * their upserts only move forward, so replays and out-of-order commits are harmless.
 */
export function latestRecordEvents(payloads: readonly unknown[]): RecordEvent[] {
  const latest = new Map<string, RecordEvent>();
  for (const raw of payloads) {
    const event = recordEventSchema.parse(raw);
    const current = latest.get(event.recordId);
    if (!current || current.version < event.version) latest.set(event.recordId, event);
  }
  return [...latest.values()].sort((a, b) => (a.recordId < b.recordId ? -1 : 1));
}

/** A subject's identity as one event carries it, and whether its name is the registered one. */
export interface SubjectIdentity {
  subjectKey: Buffer;
  kind: string;
  identifierCipher: Buffer;
  nameCipher: Buffer;
  keyId: string;
  updatedAt: Date;
  /** Carried by a standing record of the registering authority (`namesSubject` in the catalogue). */
  nameAuthoritative: boolean;
}

/**
 * Whether this identity's name should replace `held`'s. The registering authority's newest
 * record decides a subject's name; until it has spoken, the first name seen stays, so no
 * department renames a subject by pushing a record with another name (that name stays with its
 * record). The same order applies within a batch and against the stored row
 * (`subjectNameReplaces` in packages/events says it in SQL).
 */
export function nameReplaces(incoming: SubjectIdentity, held: SubjectIdentity): boolean {
  if (incoming.nameAuthoritative !== held.nameAuthoritative) return incoming.nameAuthoritative;
  return incoming.nameAuthoritative
    ? incoming.updatedAt.getTime() >= held.updatedAt.getTime()
    : incoming.updatedAt.getTime() < held.updatedAt.getTime();
}

/** Each subject's identity as a batch of events decides it (encrypted), by subject key. */
export function subjectIdentities(events: readonly RecordEvent[]): SubjectIdentity[] {
  const rows = new Map<string, SubjectIdentity>();
  for (const e of events) {
    const identity: SubjectIdentity = {
      subjectKey: Buffer.from(e.subject.key, 'hex'),
      kind: e.subject.kind,
      identifierCipher: Buffer.from(e.subject.identifierCipher, 'base64'),
      nameCipher: Buffer.from(e.subject.nameCipher, 'base64'),
      keyId: e.subject.keyId,
      updatedAt: new Date(e.receivedAt),
      nameAuthoritative: e.origin === 'pushed' && e.status === 'active' && namesSubject(e.category),
    };
    const held = rows.get(e.subject.key);
    if (!held || nameReplaces(identity, held)) rows.set(e.subject.key, identity);
  }
  return [...rows.values()].sort((a, b) => Buffer.compare(a.subjectKey, b.subjectKey));
}

/** The payloads of the record-version events among a batch of ingest feed events. */
export function recordVersionPayloads(events: readonly { type: string; payload: unknown }[]): unknown[] {
  return events.filter((e) => (ingestEventTypes as readonly string[]).includes(e.type)).map((e) => e.payload);
}

/**
 * The payloads of record versions whose content still stands: a copy of records (a read model)
 * builds from these only, so a projection that lags behind an erasure, or a replay of the feed,
 * never brings erased content back.
 */
export function standingVersionPayloads(events: readonly { type: string; payload: unknown }[]): unknown[] {
  return recordVersionPayloads(events).filter(
    (payload) => (payload as { erased?: unknown } | null)?.erased !== true,
  );
}

/** The erasures among a batch of ingest feed events, with the subject each concerns. */
export function erasuresIn(
  events: readonly { type: string; subjectKey: Buffer; payload: unknown }[],
): (RecordErased & { subjectKey: Buffer })[] {
  return events
    .filter((e) => e.type === recordErasedType)
    .map((e) => ({ ...recordErasedSchema.parse(e.payload), subjectKey: e.subjectKey }));
}

/**
 * The transparency log was checkpointed. Appended in the checkpoint's own transaction, so it
 * follows on the feed every record event whose leaf the checkpoint covers: a follower that has
 * applied it has applied them (open data cites the newest one in its manifests).
 */
export const checkpointIssuedType = 'transparency.checkpoint_issued';
export const checkpointIssuedSchema = z.object({
  treeSize: z.number().int().positive(),
  rootHash: z.string(),
  issuedAt: z.string(),
  /** The signed checkpoint text and its detached signature, as GET /v1/transparency/checkpoints/{treeSize} serves them. */
  body: z.string(),
  signature: z.string(),
});
export type CheckpointIssued = z.infer<typeof checkpointIssuedSchema>;
