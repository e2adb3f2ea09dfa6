import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { transactionClientOf } from './transaction.ts';
import type { Executor } from './types.ts';

/** Binary COPY's signature; its header is the signature, flags and header extension length (none). */
export const copySignature = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const copyHeader = Buffer.concat([copySignature, Buffer.alloc(8)]);
const copyTrailer = Buffer.from([0xff, 0xff]);

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const postgresEpochMs = Date.UTC(2000, 0, 1);
const dayMs = 86_400_000;

/** Buffers of finished copies, written into again: a copy of rows is a few hundred KiB. */
const spareBuffers: Buffer[] = [];
const sparesKept = 8;
const smallestBuffer = 1 << 16;

/**
 * A buffer written front to back and handed out in pieces (`flush`). Its buffers come from
 * finished copies and go back to them once this copy is sent (`release`): a new buffer for
 * every piece and every growth was hundreds of MiB of garbage a day's open-data cut (each
 * batch's file chunks and baseline rows), which V8 frees only when tens of MiB have piled up.
 */
class Writer {
  buffer: Buffer;
  offset = 0;
  /** Where the piece being written began. */
  private pieceStart = 0;
  private readonly used: Buffer[] = [];

  constructor() {
    this.buffer = this.acquire(smallestBuffer);
  }

  private acquire(bytes: number): Buffer {
    const index = spareBuffers.findIndex((buffer) => buffer.length >= bytes);
    const buffer =
      index >= 0
        ? (spareBuffers.splice(index, 1)[0] as Buffer)
        : Buffer.allocUnsafeSlow(Math.max(bytes, smallestBuffer));
    this.used.push(buffer);
    return buffer;
  }

  ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    // The piece being written moves to a buffer with room for it; pieces handed out stay where they are.
    const piece = this.offset - this.pieceStart;
    let size = smallestBuffer;
    while (size < 2 * (piece + bytes)) size *= 2;
    const next = this.acquire(size);
    this.buffer.copy(next, 0, this.pieceStart, this.offset);
    this.buffer = next;
    this.pieceStart = 0;
    this.offset = piece;
  }

  byte(value: number): void {
    this.ensure(1);
    this.offset = this.buffer.writeUInt8(value, this.offset);
  }

  int16(value: number): void {
    this.ensure(2);
    this.offset = this.buffer.writeInt16BE(value, this.offset);
  }

  int32(value: number): void {
    this.ensure(4);
    this.offset = this.buffer.writeInt32BE(value, this.offset);
  }

  /** A field: its length, then its bytes. */
  bytes(value: Uint8Array): void {
    this.int32(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  /** A UTF-8 field, optionally after a one-byte prefix (jsonb's format version). */
  text(value: string, prefix?: number): void {
    // Room for the worst case (3 bytes per UTF-16 unit) saves measuring the string first.
    this.ensure(4 + 1 + value.length * 3);
    const start = this.offset;
    this.offset += 4;
    if (prefix !== undefined) this.offset = this.buffer.writeUInt8(prefix, this.offset);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    this.buffer.writeInt32BE(this.offset - start - 4, start);
  }

  int64(value: bigint): void {
    this.int32(8);
    this.ensure(8);
    this.offset = this.buffer.writeBigInt64BE(value, this.offset);
  }

  /** What is written since the last piece, handed out; writing goes on after it. */
  flush(): Buffer {
    const piece = this.buffer.subarray(this.pieceStart, this.offset);
    this.pieceStart = this.offset;
    return piece;
  }

  /** Gives the buffers back once the pieces are sent; the writer is not used again. */
  release(): void {
    for (const buffer of this.used) {
      if (spareBuffers.length >= sparesKept) break;
      if (buffer.length <= 1 << 22) spareBuffers.push(buffer);
    }
    this.used.length = 0;
  }
}

const passedThrough = 1 << 16;

type Encoder = (writer: Writer, value: unknown) => void;

function instantOf(value: unknown): number {
  return value instanceof Date ? value.getTime() : new Date(value as string).getTime();
}

/** PostgreSQL's binary send format for the column types the stores use, by SQL type name. */
const encoders: Record<string, Encoder> = {
  text: (w, v) => w.text(String(v)),
  bytea: (w, v) => w.bytes(v as Uint8Array),
  jsonb: (w, v) => w.text(JSON.stringify(v), 1),
  json: (w, v) => w.text(JSON.stringify(v)),
  integer: (w, v) => {
    w.int32(4);
    w.int32(v as number);
  },
  smallint: (w, v) => {
    w.int32(2);
    w.int16(v as number);
  },
  bigint: (w, v) => w.int64(BigInt(v as number | bigint | string)),
  boolean: (w, v) => {
    w.int32(1);
    w.byte(v ? 1 : 0);
  },
  uuid: (w, v) => w.bytes(Buffer.from((v as string).replace(/-/g, ''), 'hex')),
  'timestamp with time zone': (w, v) => w.int64(BigInt(instantOf(v) - postgresEpochMs) * 1000n),
  date: (w, v) => {
    const ms = typeof v === 'string' ? Date.parse(`${v}T00:00:00Z`) : instantOf(v);
    w.int32(4);
    w.int32(Math.floor((ms - postgresEpochMs) / dayMs));
  },
};

export interface CopyColumn {
  key: string;
  name: string;
  type: string;
}

/** Whether every column can travel in binary COPY. */
export function binaryCopySupports(columns: readonly CopyColumn[]): boolean {
  return columns.every((column) => encoders[column.type] !== undefined);
}

/** The COPY statement for these columns of `target` (a quoted, schema-qualified name). */
export function binaryCopyStatement(target: string, columns: readonly CopyColumn[]): string {
  return copyFromStatement(
    target,
    columns.map((c) => c.name),
  );
}

function copyFromStatement(target: string, names: readonly string[]): string {
  return `COPY ${target} (${names.map((name) => `"${name}"`).join(', ')}) FROM STDIN (FORMAT binary)`;
}

/**
 * Streams rows into `target` with COPY in binary format on `client` (inside the caller's
 * transaction): values go in PostgreSQL's own send format, so nothing is escaped, quoted or
 * hex-encoded on the way and the server parses no text. Columns no row sets are left to defaults.
 */
export async function copyBinary(
  client: pg.ClientBase,
  statement: string,
  columns: readonly CopyColumn[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const writer = new Writer();
  const encode = columns.map((column) => encoders[column.type] as Encoder);
  const binary = columns.map((column) => column.type === 'bytea');
  // Large values (open-data file chunks, a megabyte each) are sent from the caller's buffer:
  // copied into the row buffer, they doubled it past the size of all of them together.
  const pieces: Buffer[] = [copyHeader];
  for (const row of rows) {
    writer.int16(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const value = row[(columns[i] as CopyColumn).key];
      if (value === null || value === undefined) writer.int32(-1);
      else if (binary[i] && (value as Uint8Array).length >= passedThrough) {
        const bytes = value as Uint8Array;
        writer.int32(bytes.length);
        pieces.push(writer.flush(), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } else (encode[i] as Encoder)(writer, value);
    }
  }
  writer.int16(-1);
  pieces.push(writer.flush());
  try {
    await pipeline(Readable.from(pieces), client.query(copyFrom(statement)));
  } finally {
    writer.release();
  }
}

/**
 * Binary COPY of tuples the caller encoded itself (without the format's header and trailer) into
 * `columns` of `target`, in the transaction `executor`. False, and nothing written, where binary
 * COPY is not to be had (the embedded database): the caller inserts the rows another way.
 */
export async function copyEncodedTuples(
  executor: Executor,
  target: string,
  columns: readonly string[],
  tuples: Buffer,
): Promise<boolean> {
  const transaction = transactionClientOf(executor);
  if (!transaction) return false;
  const statement = copyFromStatement(target, columns);
  transaction.logger.logQuery(statement, []);
  await pipeline(
    Readable.from([copyHeader, tuples, copyTrailer]),
    transaction.client.query(copyFrom(statement)),
  );
  return true;
}
