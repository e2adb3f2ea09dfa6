import { sql } from 'drizzle-orm';
import type { CipherStore } from './cipher-store.ts';
import { inTransaction } from './transaction.ts';
import { asBuffer, type Executor, resultRows } from './types.ts';

/** A signing secret sealed under a data-encryption key (packages/crypto sealSigningSecret). */
export interface SealedSecret {
  keyId: string;
  ciphertext: Buffer;
}

/** Seals `secret` for the row `owner` under the active key. */
export type SealSecret = (owner: string, secret: string) => SealedSecret;

/**
 * A table of receivers whose signing secrets (the HMAC keys of other organisations' receivers)
 * are kept sealed in `secret_cipher` under `key_id`; `secret` holds a secret in clear only on
 * rows written before the table had those columns, until `sealPlain` empties it. The database
 * refuses a new secret in clear (each table's `…_secret_sealed` constraint).
 */
export interface SigningSecretTable extends CipherStore {
  /** The owner a row's ciphertext is bound to: `schema.table/id`. */
  ownerOf(id: string): string;
  /**
   * Seals the secrets still in clear and empties them, in one transaction holding their rows,
   * so two instances starting at once seal each row once. Answers how many it sealed.
   */
  sealPlain(executor: Executor, seal: SealSecret): Promise<number>;
}

/** `schema.table` and its primary-key column: constants of the code, never a caller's text. */
export function signingSecretTable(table: `${string}.${string}`, idColumn: string): SigningSecretTable {
  const t = sql.raw(table);
  const id = sql.raw(idColumn);
  const ownerOf = (rowId: string) => `${table}/${rowId}`;
  return {
    table,
    ownerOf,
    async countByKey(executor) {
      const rows = resultRows<{ key_id: string; n: string | number }>(
        await executor.execute(
          sql`SELECT key_id, count(*) AS n FROM ${t} WHERE key_id IS NOT NULL GROUP BY key_id`,
        ),
      );
      return new Map(rows.map((r) => [r.key_id, Number(r.n)]));
    },
    async rewrapBatch(tx, target, rewrap, cursor, limit) {
      const rows = resultRows<{ id: string; cipher: Buffer | Uint8Array; key_id: string }>(
        await tx.execute(sql`
          SELECT ${id} AS id, secret_cipher AS cipher, key_id FROM ${t}
          WHERE key_id <> ${target} ${cursor === undefined ? sql`` : sql`AND ${id} > ${cursor}`}
          ORDER BY ${id} LIMIT ${limit}`),
      );
      const updates: [id: string, cipher: string, old: string][] = [];
      let failed = 0;
      for (const row of rows) {
        const cipher = rewrap({
          keyId: row.key_id,
          ciphertext: asBuffer(row.cipher),
          field: 'signing-secret',
          owner: ownerOf(row.id),
        });
        if (cipher) updates.push([row.id, cipher.toString('hex'), row.key_id]);
        else failed++;
      }
      const done = updates.length
        ? resultRows(
            await tx.execute(sql`
              UPDATE ${t} AS s SET secret_cipher = decode(u.c, 'hex'), key_id = ${target}
              FROM unnest(${sql.param(updates.map((u) => u[0]))}::text[],
                          ${sql.param(updates.map((u) => u[1]))}::text[],
                          ${sql.param(updates.map((u) => u[2]))}::text[]) AS u(k, c, o)
              WHERE s.${id} = u.k AND s.key_id = u.o
              RETURNING 1`),
          )
        : [];
      const last = rows.at(-1);
      return { cursor: rows.length < limit || !last ? undefined : last.id, rewrapped: done.length, failed };
    },
    sealPlain(executor, seal) {
      return inTransaction(executor, async (tx) => {
        const plain = resultRows<{ id: string; secret: string }>(
          await tx.execute(
            sql`SELECT ${id} AS id, secret FROM ${t} WHERE secret IS NOT NULL ORDER BY ${id} FOR UPDATE`,
          ),
        );
        if (plain.length === 0) return 0;
        // The secrets travel to the database only sealed: no statement carries one in clear.
        const sealed = plain.map((row) => ({ id: row.id, ...seal(ownerOf(row.id), row.secret) }));
        const done = resultRows(
          await tx.execute(sql`
            UPDATE ${t} AS s SET secret_cipher = decode(u.c, 'hex'), key_id = u.key, secret = NULL
            FROM unnest(${sql.param(sealed.map((s) => s.id))}::text[],
                        ${sql.param(sealed.map((s) => s.ciphertext.toString('hex')))}::text[],
                        ${sql.param(sealed.map((s) => s.keyId))}::text[]) AS u(k, c, key)
            WHERE s.${id} = u.k
            RETURNING 1`),
        );
        return done.length;
      });
    },
  };
}
