import type net from 'node:net';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { copySignature } from './binary-copy.ts';
import { readInPlace, readsInPlace } from './in-place-socket.ts';
import { transactionClientOf } from './transaction.ts';
import type { Database } from './types.ts';

/**
 * One tuple of binary COPY output, as it arrived: field `i` is the bytes `data[starts[i]]` to
 * `data[starts[i] + lengths[i]]`, or NULL when its length is -1. All of it is the reader's own
 * and valid during the call only: `data` is the socket's piece, or a buffer reused for tuples a
 * piece's end cut. Copy what is kept.
 */
export interface CopiedTuple {
  data: Buffer;
  starts: Int32Array;
  lengths: Int32Array;
}

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
 * for the promise it returns (none: reading goes on), so a slow consumer holds the server back
 * instead of buffering the result.
 */
export async function readBinaryCopy(
  executor: Database,
  query: SQL,
  fields: number,
  onTuple: (tuple: CopiedTuple) => void,
  afterPiece?: () => Promise<void> | undefined,
): Promise<void> {
  const transaction = transactionClientOf(executor);
  if (!transaction) throw new Error('binary COPY is read in a transaction of inTransaction on PostgreSQL');
  const statement = `COPY (${inlinedStatement(query)}) TO STDOUT (FORMAT binary)`;
  transaction.logger.logQuery(statement, []);
  await readBinaryCopyOn(transaction.client, statement, fields, onTuple, afterPiece);
}

/** `readBinaryCopy` of a COPY statement on a driver client of the caller's. */
export async function readBinaryCopyOn(
  client: pg.ClientBase,
  statement: string,
  fields: number,
  onTuple: (tuple: CopiedTuple) => void,
  afterPiece?: () => Promise<void> | undefined,
): Promise<void> {
  const reader = new CopyOutReader(statement, new TupleParser(fields, onTuple), afterPiece);
  // A submittable: pg hands it the connection when the statement's turn comes.
  client.query(reader as unknown as pg.Submittable);
  await reader.done;
}

/** What the protocol reader needs of pg's connection (not in its types: pg-copy-streams uses the same). */
interface PgConnection {
  stream: net.Socket;
  query(text: string): void;
}

const copyData = 0x64; // 'd'
const copyDone = 0x63; // 'c'
const errorResponse = 0x45; // 'E'

/**
 * Reads the protocol messages of a COPY TO straight from the socket's reads, in place: a
 * CopyData message's bytes go to the tuple parser as ranges of the read they arrived in, with
 * no message objects and no joined buffers (the driver's COPY stream joined each read's
 * messages into a new buffer, and the stream's reader joined those again: the output's bytes
 * two or three times over as garbage). On a socket that reads into a buffer of its own
 * (`inPlaceSocket`) the reads are not even copied out of it. From CopyDone, or an
 * ErrorResponse, on, the connection is the driver's again: it reads the command's completion
 * (or the error) and calls `handleReadyForQuery` (or `handleError`).
 */
class CopyOutReader {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  private connection!: PgConnection;
  private driverListener!: (chunk: Buffer) => void;
  /** Whether reads come in place (the socket's own buffer, read into again) rather than as 'data' pieces. */
  private inPlace = false;
  private readonly onData = (chunk: Buffer) => this.read(chunk, 0, chunk.length);
  /** The message header (code and length) being read; bytes of it split across reads wait here. */
  private readonly header = Buffer.alloc(5);
  private headerBytes = 0;
  private code = 0;
  /** Bytes of the current message not read yet. */
  private remaining = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly text: string,
    private readonly parser: TupleParser,
    private readonly afterPiece: (() => Promise<void> | undefined) | undefined,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: PgConnection): void {
    this.connection = connection;
    const stream = connection.stream;
    const listeners = stream.listeners('data');
    if (listeners.length !== 1) throw new Error('binary COPY: the connection has no single reader');
    this.driverListener = listeners[0] as (chunk: Buffer) => void;
    this.inPlace = readsInPlace(stream);
    if (this.inPlace) readInPlace(stream, (data, start, end) => this.read(data, start, end));
    else {
      stream.removeListener('data', this.driverListener);
      stream.on('data', this.onData);
    }
    connection.query(this.text);
  }

  /** Reads `data[start..end]`; false once the socket is paused for `afterPiece`. */
  private read(data: Buffer, start: number, end: number): boolean {
    let at = start;
    while (at < end) {
      if (this.remaining === 0) {
        // A new message: its code and length, maybe split across reads.
        const take = Math.min(5 - this.headerBytes, end - at);
        data.copy(this.header, this.headerBytes, at, at + take);
        this.headerBytes += take;
        at += take;
        if (this.headerBytes < 5) return true;
        this.headerBytes = 0;
        this.code = this.header[0] as number;
        if (this.code === errorResponse) {
          // The driver reads the error from the whole message, header and all.
          this.handBack(Buffer.concat([this.header, data.subarray(at, end)]));
          return true;
        }
        this.remaining = this.header.readInt32BE(1) - 4;
        if (this.code === copyDone) {
          this.handBack(this.inPlace ? Buffer.from(data.subarray(at, end)) : data.subarray(at, end));
          return true;
        }
        continue;
      }
      const upTo = Math.min(end, at + this.remaining);
      if (this.code === copyData && !this.failure) {
        try {
          this.parser.take(data, at, upTo);
        } catch (error) {
          // Read on to the end: the server sends the whole COPY whatever the client does.
          this.failure = { error };
        }
      }
      this.remaining -= upTo - at;
      at = upTo;
    }
    if (!this.afterPiece || this.failure) return true;
    let waiting: Promise<void> | undefined;
    try {
      waiting = this.afterPiece();
    } catch (error) {
      this.failure = { error };
    }
    if (!waiting) return true;
    const stream = this.connection.stream;
    stream.pause();
    waiting.then(
      () => stream.resume(),
      (error: unknown) => {
        this.failure ??= { error };
        stream.resume();
      },
    );
    return false;
  }

  /** Gives the connection back to the driver with what of the read is past the COPY's data. */
  private handBack(rest: Buffer): void {
    const stream = this.connection.stream;
    if (this.inPlace) readInPlace(stream, undefined);
    else {
      stream.removeListener('data', this.onData);
      stream.on('data', this.driverListener);
    }
    if (rest.length > 0) this.driverListener(rest);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure.error);
    else if (!this.parser.ended) this.reject(new Error('binary COPY output ended inside a tuple'));
    else this.resolve();
  }

  handleError(error: unknown): void {
    this.reject(this.failure?.error ?? error);
  }
}

/**
 * Binary COPY's byte stream (the CopyData messages' contents, in order) into tuples: a tuple
 * whole within a range is handed over in place; one cut by a piece's end is completed in a
 * buffer kept for that and reused.
 */
class TupleParser {
  ended = false;
  private header = true;
  private readonly tuple: CopiedTuple;
  /** A tuple begun in an earlier range: its bytes so far. */
  private carry = Buffer.alloc(64 * 1024);
  private carried = 0;

  constructor(
    private readonly fields: number,
    private readonly onTuple: (tuple: CopiedTuple) => void,
  ) {
    this.tuple = { data: Buffer.alloc(0), starts: new Int32Array(fields), lengths: new Int32Array(fields) };
  }

  take(data: Buffer, start: number, end: number): void {
    if (this.ended) throw new Error('binary COPY sent data after its trailer');
    let at = start;
    if (this.carried > 0 || this.header) {
      // Complete what was begun with just the bytes of this range it needs.
      const needed = this.header
        ? headerBytes(this.carry, this.carried, data, at, end)
        : tupleBytes(this.carry, this.carried, data, at, end);
      const available = Math.min(end - at, needed - this.carried);
      this.keep(data, at, at + available);
      at += available;
      if (this.carried < needed) return;
      if (this.header) {
        if (!this.carry.subarray(0, copySignature.length).equals(copySignature))
          throw new Error('not binary COPY output');
        this.header = false;
      } else if (this.parse(this.carry, 0, this.carried) !== this.carried) {
        throw new Error('binary COPY: a tuple did not end where its lengths said');
      }
      this.carried = 0;
      if (this.ended) {
        if (at < end) throw new Error('binary COPY sent data after its trailer');
        return;
      }
    }
    const next = this.parse(data, at, end);
    if (this.ended) {
      if (next < end) throw new Error('binary COPY sent data after its trailer');
      return;
    }
    this.keep(data, next, end);
  }

  /** Appends `data[from..to]` to the carried bytes. */
  private keep(data: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (this.carried + to - from > this.carry.length) {
      const grown = Buffer.alloc(Math.max(this.carry.length * 2, this.carried + to - from));
      this.carry.copy(grown, 0, 0, this.carried);
      this.carry = grown;
    }
    data.copy(this.carry, this.carried, from, to);
    this.carried += to - from;
  }

  /** Calls `onTuple` for each whole tuple of `data[from..end]`; returns where the first incomplete one begins (`end` when none). */
  private parse(data: Buffer, from: number, end: number): number {
    const { tuple, fields } = this;
    tuple.data = data;
    let at = from;
    for (;;) {
      if (end - at < 2) return at;
      const count = data.readInt16BE(at);
      if (count === -1) {
        this.ended = true;
        return at + 2;
      }
      if (count !== fields) throw new Error(`binary COPY sent ${count} fields, ${fields} expected`);
      let p = at + 2;
      for (let f = 0; f < count; f++) {
        if (end - p < 4) return at;
        const length = data.readInt32BE(p);
        p += 4;
        tuple.starts[f] = p;
        tuple.lengths[f] = length;
        if (length > 0) {
          if (end - p < length) return at;
          p += length;
        }
      }
      this.onTuple(tuple);
      at = p;
    }
  }
}

/** The length of binary COPY's header (signature, flags, extension) read across the carried bytes and `data[at..end]`; past both while unknown. */
function headerBytes(head: Buffer, headLength: number, data: Buffer, at: number, end: number): number {
  const total = headLength + end - at;
  if (total < 19) return 19;
  const byte = (i: number) => (i < headLength ? (head[i] as number) : (data[at + i - headLength] as number));
  return 19 + ((byte(15) << 24) | (byte(16) << 16) | (byte(17) << 8) | byte(18));
}

/**
 * The length of the tuple (or trailer) that begins at the start of the carried bytes and goes on
 * into `data[at..end]`, read across both; a length past both when their bytes do not reach its end.
 */
function tupleBytes(head: Buffer, headLength: number, data: Buffer, at: number, end: number): number {
  const total = headLength + end - at;
  const byte = (i: number) => (i < headLength ? (head[i] as number) : (data[at + i - headLength] as number));
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
