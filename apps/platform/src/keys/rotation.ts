import { createKeyring, identityAad, type Keyring, signingSecretAad } from '@credit/crypto';
import { type CipherStore, type DatabaseHandle, inTransaction, type Rewrap } from '@credit/db';
import { CommandError } from '../cli-support/command.ts';
import type { KeySource } from './key-source.ts';

/** Arbitrary constant: two rotations at once would fight over the key file. */
const rotationLockKey = 727_311_002;

export interface RotationOptions {
  database: DatabaseHandle;
  source: KeySource;
  stores: readonly CipherStore[];
  /** Rows per transaction. */
  batchSize?: number;
  /** Stop after this many batches in all; a later run continues where this one stopped. */
  maxBatches?: number;
  /** Destroy the old keys once nothing references them (default); false keeps them for reading. */
  retire?: boolean;
  /** Only count what each key protects; change nothing. */
  statusOnly?: boolean;
  now?: Date;
  progress?: (line: string) => void;
}

export interface RotationReport {
  source: KeySource['kind'];
  /** The key this run introduced, if it started the rotation. */
  introduced: string | undefined;
  /** The active key: every ciphertext ends up under it. */
  target: string;
  rewrapped: Record<string, number>;
  /** Ciphertexts that did not open: altered rows, for `npm run verify` and a person to look at. */
  failed: Record<string, number>;
  /** After the run: how many rows of each table name each key. */
  references: Record<string, Record<string, number>>;
  /** Keys destroyed by this run (key file only). */
  retired: string[];
  /** Keys nothing references any more that the operator removes from ENCRYPTION_KEYS. */
  retirable: string[];
  /** Whether every ciphertext is under the active key. */
  complete: boolean;
  /** The environment holds a single key: the operator puts a new one first to rotate. */
  needsNewKey: boolean;
}

async function references(
  database: DatabaseHandle,
  stores: readonly CipherStore[],
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const store of stores) {
    for (const [keyId, count] of await store.countByKey(database.db)) {
      out[keyId] = { ...out[keyId], [store.table]: count };
    }
  }
  return out;
}

function rewrapWith(keyring: Keyring): Rewrap {
  return (cipher) => {
    const aad =
      cipher.field === 'signing-secret'
        ? signingSecretAad(cipher.owner)
        : identityAad(cipher.field, cipher.subjectKey);
    try {
      return keyring.rewrap(cipher.keyId, cipher.ciphertext, aad).ciphertext;
    } catch {
      return undefined;
    }
  };
}

/**
 * Rotates the data-encryption key. Starts a rotation when the keyring holds one key (the key
 * file gains a new active key; the old stays for reading), or continues the one in progress;
 * re-encrypts every stored ciphertext under the active key, table by table in primary-key
 * batches of one transaction each; then, once no row names an old key, retires the old keys.
 * Running it again after a crash or a partial run finishes the job: only rows naming another key
 * are read, each is updated only if it still names the key it was read with, and a ciphertext
 * already under the active key is never encrypted again.
 */
export async function rotateKeys(options: RotationOptions): Promise<RotationReport> {
  const { database, source, stores } = options;
  const say = options.progress ?? (() => {});
  return database.withSession(async (session) => {
    const [lock] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      rotationLockKey,
    ]);
    if (!lock?.locked) throw new CommandError('another key rotation is running');
    try {
      let material = source.material;
      let introduced: string | undefined;
      const single = material.encryptionKeys.length === 1;
      if (!options.statusOnly && single && source.kind === 'file') {
        material = await source.introduce(options.now ?? new Date());
        introduced = material.encryptionKeys[0]?.id;
        say(`introduced ${introduced}: active for every new encryption, the old key kept for reading`);
      }
      const keyring = createKeyring(material);
      const target = keyring.activeEncryptionKeyId;
      const before = await references(database, stores);
      const unknown = Object.keys(before).filter((id) => !keyring.hasEncryptionKey(id));
      if (unknown.length > 0)
        throw new CommandError(
          `rows name keys this keyring does not hold: ${unknown.join(', ')}; nothing changed`,
        );

      const rewrapped: Record<string, number> = {};
      const failed: Record<string, number> = {};
      const mayChange = !options.statusOnly && !(single && source.kind === 'environment');
      let batches = 0;
      const budgetLeft = () => options.maxBatches === undefined || batches < options.maxBatches;
      if (mayChange) {
        const rewrap = rewrapWith(keyring);
        for (const store of stores) {
          rewrapped[store.table] = 0;
          failed[store.table] = 0;
          let cursor: string | undefined;
          do {
            if (!budgetLeft()) break;
            const batch = await inTransaction(database.db, (tx) =>
              store.rewrapBatch(tx, target, rewrap, cursor, options.batchSize ?? 500),
            );
            batches++;
            cursor = batch.cursor;
            rewrapped[store.table] = (rewrapped[store.table] ?? 0) + batch.rewrapped;
            failed[store.table] = (failed[store.table] ?? 0) + batch.failed;
          } while (cursor !== undefined);
          say(
            `${store.table}: ${rewrapped[store.table]} re-encrypted under ${target}, ${failed[store.table]} did not open`,
          );
        }
      }

      const after = await references(database, stores);
      const old = keyring.encryptionKeyIds().filter((id) => id !== target);
      const stillNamed = old.filter((id) => after[id] !== undefined);
      const complete = stillNamed.length === 0;
      const retired: string[] = [];
      const retirable: string[] = [];
      if (complete && old.length > 0 && mayChange && options.retire !== false) {
        if (source.kind === 'file') {
          await source.retire(old);
          retired.push(...old);
          say(`retired ${old.join(', ')}: no row names ${old.length === 1 ? 'it' : 'them'} any more`);
        } else {
          retirable.push(...old);
        }
      }
      return {
        source: source.kind,
        introduced,
        target,
        rewrapped,
        failed,
        references: after,
        retired,
        retirable,
        complete,
        needsNewKey: single && source.kind === 'environment' && !options.statusOnly,
      };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [rotationLockKey]);
    }
  });
}
