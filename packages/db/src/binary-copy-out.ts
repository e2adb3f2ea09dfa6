import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { to as copyTo } from 'pg-copy-streams';
import { transactionClientOf } from './transaction.ts';
import type { Database } from './types.ts';

/**
 * One tuple of binary COPY output, as it arrived: field `i` is the bytes `data[starts[i]]` to
 * `data[starts[i] + lengths[i]]`, or NULL when its length is -1. The arrays are the reader's own
 * and change with the next tuple; `data` is a piece of the stream a view may keep.
 */
export interface CopiedTuple {
  data: Buffer;
  starts: Int32Array;
  lengths: Int32Array;
}

const signature = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

const dialect = new PgDialect();

/** `query` as one statement with its parameters written in as literals: COPY takes no parameters. */
export function inlinedStatement(query: SQL): string {
  return dialect.sqlToQuery(query.inlineParams()).sql;
}

/** Whether `readBinaryCopy` can read on `executor`: a transaction of `inTransaction` on PostgreSQL (not the embedded database). */
export function readsBinaryCopy(executor: Database): boolean {
  return transactionClientOf(executor) !== undefined;
}

/**
 * Reads `COPY (query) TO STDOUT (FORMAT binary)` in the transaction `executor` a
 * tuple at a time: each field comes as the bytes PostgreSQL sent (text as UTF-8, bytea as is),
 * not parsed into strings and objects as the driver parses rows. `fields`: the number of
 * columns. `afterPiece` runs after each piece of the stream has been read through; reading waits
 * for it, so a slow consumer holds the server back instead of buffering the result.
 */
export async function readBinaryCopy(
  executor: Database,
  query: SQL,
  fields: number,
  onTuple: (tuple: CopiedTuple) => void,
  afterPiece?: () => Promise<void>,
): Promise<void> {
  const transaction = transactionClientOf(executor);
  if (!transaction) throw new Error('binary COPY is read in a transaction of inTransaction on PostgreSQL');
  const statement = `COPY (${inlinedStatement(query)}) TO STDOUT (FORMAT binary)`;
  transaction.logger.logQuery(statement, []);
  const stream = transaction.client.query(copyTo(statement));
  const tuple: CopiedTuple = {
    data: Buffer.alloc(0),
    starts: new Int32Array(fields),
    lengths: new Int32Array(fields),
  };
  let pending: Buffer | null = null;
  let header = true;
  let ended = false;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    if (ended) throw new Error('binary COPY sent data after its trailer');
    const data: Buffer = pending ? Buffer.concat([pending, piece]) : piece;
    let at = 0;
    if (header) {
      if (data.length < 19) {
        pending = data;
        continue;
      }
      if (!data.subarray(0, 11).equals(signature)) throw new Error('not binary COPY output');
      const extension = data.readInt32BE(15);
      if (data.length < 19 + extension) {
        pending = data;
        continue;
      }
      at = 19 + extension;
      header = false;
    }
    tuple.data = data;
    for (;;) {
      if (data.length - at < 2) break;
      const count = data.readInt16BE(at);
      if (count === -1) {
        ended = true;
        at += 2;
        break;
      }
      if (count !== fields) throw new Error(`binary COPY sent ${count} fields, ${fields} expected`);
      let p = at + 2;
      let whole = true;
      for (let f = 0; f < count; f++) {
        if (data.length - p < 4) {
          whole = false;
          break;
        }
        const length = data.readInt32BE(p);
        p += 4;
        tuple.starts[f] = p;
        tuple.lengths[f] = length;
        if (length > 0) {
          if (data.length - p < length) {
            whole = false;
            break;
          }
          p += length;
        }
      }
      if (!whole) break;
      onTuple(tuple);
      at = p;
    }
    pending = at < data.length ? data.subarray(at) : null;
    if (afterPiece) await afterPiece();
  }
  if (!ended || pending) throw new Error('binary COPY output ended inside a tuple');
}
