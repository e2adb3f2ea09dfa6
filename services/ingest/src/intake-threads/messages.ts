import type { SerialisedError, ThreadBootstrap } from '@credit/http';
import type { BatchChunk, BatchItemAnswer } from './batch-chunk.ts';

/** What an intake worker is started with. */
export interface WorkerSetup {
  bootstrap: ThreadBootstrap;
  /** Connections of the worker's own pool. */
  poolSize: number;
  checkpointEveryMs: number;
}

/** Why a chunk was not answered, in a form that survives the structured clone (class and fields do not). */
export type ChunkFailure =
  | { kind: 'problem'; code: string; detail: string | undefined; extras: Record<string, unknown> }
  | { kind: 'unavailable' }
  | { kind: 'error'; error: SerialisedError };

export type ToWorker = { kind: 'chunk'; id: number; chunk: BatchChunk } | { kind: 'close' };

export type ToPool =
  | { kind: 'ready' }
  | { kind: 'answer'; id: number; items: BatchItemAnswer[] }
  | { kind: 'failure'; id: number; failure: ChunkFailure };
