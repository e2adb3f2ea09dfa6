import { canonicalJson } from '@credit/crypto';

/**
 * A checkpoint: the log's size and root, the access map's root at that size, and when it was
 * issued. The platform signs the canonical JSON of it (detached ES256 JWS); clients keep the
 * checkpoints they saw and ask for consistency proofs between them, which is how a log that
 * rewrote its past is caught.
 */
export const checkpointFormat = 'credit-platform/checkpoint/v1';
export const checkpointSignatureType = 'transparency-checkpoint+jws';
export const tombstoneSignatureType = 'transparency-tombstone+jws';

export interface CheckpointBody {
  format: typeof checkpointFormat;
  origin: string;
  treeSize: number;
  rootHash: string;
  mapRoot: string;
  issuedAt: string;
}

export function checkpointBytes(body: CheckpointBody): string {
  return canonicalJson(body);
}
