import type { SerialisedError, ThreadBootstrap } from '@credit/http';
import type { SubjectRange } from '../repositories/open-data-repository.ts';

/** What an open-data cut thread is started with. */
export interface CutThreadSetup {
  bootstrap: ThreadBootstrap;
}

/** One key range of a cut, read in the cut's exported snapshot. */
export interface RangeTask {
  snapshot: string;
  /** The cut's instant, in milliseconds: what public disclosure shows then. */
  now: number;
  day: string;
  /** A cut was stored before: an increment is written, against the published baseline. */
  increments: boolean;
  /** Bytes per buffer the range's lines are handed over in. */
  partBytes: number;
  range: SubjectRange;
}

/**
 * The range's lines for each file of the cut (in the order of `CutFiles.sinks`), and what the
 * published baseline gets, in columns: the subject keys end to end (`keyEnds` after each), the
 * 16-byte digests end to end; the first `fresh` items are published for the first time, the
 * rest changed.
 */
export interface RangePart {
  files: { chunks: Uint8Array[]; records: number }[];
  published: {
    keys: Uint8Array;
    keyEnds: Uint32Array;
    digests: Uint8Array;
    itemIds: string[];
    presets: string[];
    fresh: number;
  };
}

export type ToCutThread = { kind: 'range'; id: number; task: RangeTask } | { kind: 'close' };

export type FromCutThread =
  | { kind: 'ready' }
  | { kind: 'part'; id: number; part: RangePart }
  | { kind: 'failure'; id: number; error: SerialisedError };
