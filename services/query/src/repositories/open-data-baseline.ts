import { type ExportPreset, exportPresets } from '@credit/schema';

/**
 * A batch's changes to the published baseline (what a cut published of each item, which the next
 * cut's increment is measured against), written as binary COPY tuples while the items are
 * written: `subject_key, item_id, preset, digest`, after `attempt, batch` when they are staged
 * (a cut after the first applies them once it is stored). A million items a cut were a million
 * objects (key, id string, digest view) that lived until their batch was stored, long enough
 * for V8 to move them to the old generation, whose garbage it collects late.
 */
export class BaselineRows {
  private buffer: Buffer;
  private offset = 0;
  private rows = 0;
  private batch = 0;
  private readonly spare: Buffer[] = [];

  /** `attempt`: the cut attempt's id (its 16 bytes) when rows are staged; null when published directly (a first cut). */
  constructor(private readonly attempt: Buffer | null) {
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** The columns of each tuple, in order. */
  get columns(): readonly string[] {
    return this.attempt ? stagedColumns : publishedColumns;
  }

  /** Whether the rows are staged (with their attempt and batch) rather than published directly. */
  get staged(): boolean {
    return this.attempt !== null;
  }

  /** An item the cut publishes (`digest`), or one it takes out of the baseline (null). */
  add(
    subjectKey: Buffer,
    id: Buffer,
    idStart: number,
    idEnd: number,
    preset: ExportPreset,
    digest: Buffer | null,
    digestStart = 0,
  ): void {
    const presetBytes = presetNames[preset];
    this.ensure(2 + 28 + 4 + subjectKey.length + 4 + (idEnd - idStart) + 4 + presetBytes.length + 4 + 16);
    const b = this.buffer;
    let at = this.offset;
    at = b.writeInt16BE(this.attempt ? 6 : 4, at);
    if (this.attempt) {
      at = b.writeInt32BE(16, at);
      at += this.attempt.copy(b, at);
      at = b.writeInt32BE(4, at);
      at = b.writeInt32BE(this.batch, at);
    }
    at = b.writeInt32BE(subjectKey.length, at);
    at += subjectKey.copy(b, at);
    at = b.writeInt32BE(idEnd - idStart, at);
    at += id.copy(b, at, idStart, idEnd);
    at = b.writeInt32BE(presetBytes.length, at);
    at += presetBytes.copy(b, at);
    if (digest) {
      at = b.writeInt32BE(16, at);
      at += digest.copy(b, at, digestStart, digestStart + 16);
    } else at = b.writeInt32BE(-1, at);
    this.offset = at;
    this.rows += 1;
  }

  /** The batch's tuples, handed over (null when none); the next batch starts empty, in a buffer given back by `recycle` when there is one. */
  take(): EncodedBaseline | null {
    if (this.rows === 0) return null;
    const taken = {
      tuples: this.buffer.subarray(0, this.offset),
      rows: this.rows,
      batch: this.batch,
      buffer: this.buffer,
    };
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.buffer.length);
    this.offset = 0;
    this.rows = 0;
    this.batch += 1;
    return taken;
  }

  /** A batch stored: its buffer is written again. */
  recycle(taken: EncodedBaseline): void {
    if (this.spare.length < spareBuffers) this.spare.push(taken.buffer);
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}

/** A batch of baseline tuples (binary COPY, without its header and trailer). */
export interface EncodedBaseline {
  tuples: Buffer;
  rows: number;
  /** Its number among the attempt's staged batches (applied in ranges of them). */
  batch: number;
  /** The buffer the tuples are in, written again once they are stored. */
  buffer: Buffer;
}

/** The rows of encoded tuples, for a database that takes no binary COPY (the embedded one). */
export function baselineRowsOf(taken: EncodedBaseline): {
  attempt: string | null;
  batch: number;
  subjectKey: Buffer;
  itemId: string;
  preset: string;
  digest: Buffer | null;
}[] {
  const rows = [];
  const b = taken.tuples;
  let at = 0;
  const field = (): Buffer | null => {
    const length = b.readInt32BE(at);
    at += 4;
    if (length < 0) return null;
    const value = Buffer.from(b.subarray(at, at + length));
    at += length;
    return value;
  };
  while (at < b.length) {
    const count = b.readInt16BE(at);
    at += 2;
    let attempt: string | null = null;
    let batch = taken.batch;
    if (count === 6) {
      const hex = (field() as Buffer).toString('hex');
      attempt = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      batch = (field() as Buffer).readInt32BE(0);
    }
    const subjectKey = field() as Buffer;
    const itemId = (field() as Buffer).toString('utf8');
    const preset = (field() as Buffer).toString('utf8');
    rows.push({ attempt, batch, subjectKey, itemId, preset, digest: field() });
  }
  return rows;
}

/** The 16 bytes of a UUID. */
export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

const initialBytes = 1 << 18;
const spareBuffers = 4;
const publishedColumns = ['subject_key', 'item_id', 'preset', 'digest'] as const;
const stagedColumns = ['attempt', 'batch', 'subject_key', 'item_id', 'preset', 'digest'] as const;
const presetNames = Object.fromEntries(
  exportPresets.map((preset) => [preset, Buffer.from(preset)]),
) as Record<ExportPreset, Buffer>;
