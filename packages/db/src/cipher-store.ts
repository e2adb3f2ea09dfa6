import type { Executor } from './types.ts';

/** One stored ciphertext, with what its associated data binds it to. */
export type StoredCipher =
  | { keyId: string; ciphertext: Buffer; field: 'identifier' | 'name'; subjectKey: Buffer }
  /** A receiver's signing secret, bound to its row (`schema.table/id`, see signing-secrets.ts). */
  | { keyId: string; ciphertext: Buffer; field: 'signing-secret'; owner: string };

/**
 * Re-encrypts a ciphertext under the rotation's target key; undefined when it does not open
 * (altered, or under a key the keyring does not hold), so the row is left for a person to see.
 */
export type Rewrap = (cipher: StoredCipher) => Buffer | undefined;

export interface RewrapBatch {
  /** Where the next batch starts (primary-key order); undefined when the table is done. */
  cursor: string | undefined;
  rewrapped: number;
  failed: number;
}

/**
 * A table holding ciphertexts (identities, signing secrets), as the key-rotation command sees it. Each service
 * declares its own (ServiceDefinition.cipherStores), so a new table with ciphertexts is rotated
 * by declaring it, and nobody else needs to know its columns.
 */
export interface CipherStore {
  /** `schema.table`. */
  table: string;
  /** How many rows name each key id (a row naming a key is a reference, even with an erased cipher). */
  countByKey(executor: Executor): Promise<Map<string, number>>;
  /**
   * In the caller's transaction: re-encrypts under `target` the rows after `cursor`, in
   * primary-key order and at most `limit` of them, that name another key. Each row is updated only
   * if it still names the key it was read with, so a concurrent rewrap or writer is never undone.
   */
  rewrapBatch(
    tx: Executor,
    target: string,
    rewrap: Rewrap,
    cursor: string | undefined,
    limit: number,
  ): Promise<RewrapBatch>;
}
