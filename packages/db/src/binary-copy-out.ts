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
  /** Calls `onTuple` for each whole tuple of `data` from `at`; returns where the first incomplete one begins, or -1 after the trailer. */
  const parse = (data: Buffer, from: number): number => {
    tuple.data = data;
    let at = from;
    for (;;) {
      if (data.length - at < 2) return at;
      const count = data.readInt16BE(at);
      if (count === -1) return -1;
      if (count !== fields) throw new Error(`binary COPY sent ${count} fields, ${fields} expected`);
      let p = at + 2;
      for (let f = 0; f < count; f++) {
        if (data.length - p < 4) return at;
        const length = data.readInt32BE(p);
        p += 4;
        tuple.starts[f] = p;
        tuple.lengths[f] = length;
        if (length > 0) {
          if (data.length - p < length) return at;
          p += length;
        }
      }
      onTuple(tuple);
      at = p;
    }
  };
  let pending: Buffer | null = null;
  let header = true;
  let ended = false;
  const take = async (piece: Buffer): Promise<void> => {
    if (ended) throw new Error('binary COPY sent data after its trailer');
    let data = piece;
    let at = 0;
    if (header) {
      data = pending ? Buffer.concat([pending, piece]) : piece;
      pending = null;
      if (data.length < 19 || data.length < 19 + data.readInt32BE(15)) {
        pending = data;
        return;
      }
      if (!data.subarray(0, 11).equals(signature)) throw new Error('not binary COPY output');
      at = 19 + data.readInt32BE(15);
      header = false;
    } else if (pending) {
      // The tuple the last piece ended inside, completed with just the bytes of this piece it
      // needs: joining whole pieces copied every byte of the output once more.
      const needed = tupleBytes(pending, piece) - pending.length;
      if (needed > piece.length) {
        pending = Buffer.concat([pending, piece]);
        return;
      }
      const joined = Buffer.concat([pending, piece.subarray(0, needed)]);
      pending = null;
      if (parse(joined, 0) === -1) {
        ended = true;
        if (needed < piece.length) throw new Error('binary COPY sent data after its trailer');
        return;
      }
      at = needed;
    }
    const next = parse(data, at);
    if (next === -1) {
      ended = true;
      pending = null;
    } else {
      // A copy of the few bytes of a tuple begun, not a view: a view would keep the whole piece
      // alive into the next, long enough for V8 to move it out of the young generation, and
      // pieces so kept pile up until a full collection.
      pending = next < data.length ? Buffer.from(data.subarray(next)) : null;
    }
    if (afterPiece) await afterPiece();
  };
  // The stream is read to its end even when a piece fails: the server sends the whole COPY
  // whatever the client does, and a connection left inside it could not even roll back.
  const pieces = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let failure: { error: unknown } | undefined;
  for (;;) {
    const next = await pieces.next();
    if (next.done) break;
    if (failure) continue;
    try {
      await take(next.value);
    } catch (error) {
      failure = { error };
    }
  }
  if (failure) throw failure.error;
  if (!ended || pending) throw new Error('binary COPY output ended inside a tuple');
}

/**
 * The length of the tuple (or trailer) that begins at the start of `head` and goes on into
 * `tail`, read across both; a length past both when their bytes do not reach its end.
 */
function tupleBytes(head: Buffer, tail: Buffer): number {
  const total = head.length + tail.length;
  const byte = (i: number) => (i < head.length ? (head[i] as number) : (tail[i - head.length] as number));
  const int32 = (i: number) => (byte(i) << 24) | (byte(i + 1) << 16) | (byte(i + 2) << 8) | byte(i + 3) | 0;
  if (total < 2) return total + 1;
  const count = (((byte(0) << 8) | byte(1)) << 16) >> 16;
  if (count === -1) return 2;
  let p = 2;
  for (let f = 0; f < count; f++) {
    if (total - p < 4) return total + 1;
    const length = int32(p);
    p += 4 + Math.max(length, 0);
  }
  return p;
}
