import { canonicalJson, sha256 } from '@credit/crypto';

/**
 * What the log's leaves say. Every leaf is canonical JSON that names its kind and holds only
 * identifiers the platform mints (record and entry ids, organisation codes), times, and salted
 * or keyed commitments: nothing in it identifies a person, so the log can be published whole.
 */
export const leafFormat = 'credit-platform/leaf/v1';

export interface RecordVersionLeaf {
  kind: 'record.version';
  recordId: string;
  version: number;
  operation: string;
  status: string;
  provider: string;
  category: string;
  receivedAt: string;
  /** The version's salted content commitment (hex). */
  commitment: string;
  /** The version's link in its record's hash chain (hex). */
  chainHash: string;
}

export interface AccessLeaf {
  kind: 'access';
  entryId: string;
  accessedAt: string;
  role: string;
  org: string | null;
  channel: string;
  /** The access-log entry's chain hash (hex): binds the subject, the reader and what was read. */
  entryHash: string;
}

/** A decision taken in another service (authorisations, list procedure, objections, repairs). */
export interface DecisionLeaf {
  kind: 'decision';
  service: string;
  type: string;
  eventId: string;
  aggregateId: string;
  at: string;
  /** H(salt ‖ canonical event payload): the content stays provable, and erasable with the salt. */
  commitment: string;
}

/** A lawful erasure: what was removed, why, on what basis, and the tombstone's signature digest. */
export interface TombstoneLeaf {
  kind: 'tombstone';
  recordId: string;
  versions: number[];
  reason: string;
  legalBasis: string;
  erasedAt: string;
  /** SHA-256 of the signed tombstone (a detached JWS over the tombstone statement). */
  statementDigest: string;
}

export type LeafBody = RecordVersionLeaf | AccessLeaf | DecisionLeaf | TombstoneLeaf;
export type LeafKind = LeafBody['kind'];

export function encodeLeaf(body: LeafBody): Buffer {
  return Buffer.from(canonicalJson({ format: leafFormat, ...body }), 'utf8');
}

export function decodeLeaf(input: Uint8Array): LeafBody & { format: string } {
  return JSON.parse(Buffer.from(input).toString('utf8')) as LeafBody & { format: string };
}

/** The salted commitment a decision leaf carries. */
export function payloadCommitment(salt: Uint8Array, payload: unknown): Buffer {
  return sha256('credit-platform/decision/v1\n', salt, canonicalJson(payload));
}
