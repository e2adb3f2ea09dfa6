import { type ErrorCode, ProblemError } from '@credit/errors';
import { ThreadPool, threadEntry } from '@credit/threads';
import type { RecordIntake } from '../domain/record-intake.ts';
import { answerChunk, type BatchChunk, type BatchItemAnswer } from './batch-chunk.ts';
import type { ChunkFailure, ToPool, ToWorker, WorkerSetup } from './messages.ts';

/** Where a batch's chunks are processed: in the request's thread, or on a pool of worker threads. */
export interface BatchRunner {
  /** How many chunks of one batch may be in flight at once (each is its own transaction). */
  readonly concurrency: number;
  run(chunk: BatchChunk): Promise<BatchItemAnswer[]>;
  /** Starts whatever the runner needs before the first batch arrives; resolves once it is ready. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Chunks processed one after another in the request's thread (embedded PGlite, or no threads configured). */
export function inlineRunner(intake: RecordIntake, checkpointEveryMs: number): BatchRunner {
  return {
    concurrency: 1,
    run: (chunk) => answerChunk(intake, chunk, checkpointEveryMs),
    async start() {},
    async close() {},
  };
}

function errorOf(failure: ChunkFailure): Error {
  switch (failure.kind) {
    case 'problem':
      return new ProblemError(failure.code as ErrorCode, failure.detail, failure.extras);
    case 'unavailable':
      return new ProblemError('database_unavailable', 'the database is unavailable; retry shortly');
    case 'error': {
      const { type, code, message, stack } = failure.error;
      const error = new Error(`in a batch intake thread: ${message ?? type}`);
      error.name = type;
      if (stack) error.stack = stack;
      if (code) Object.assign(error, { code });
      return error;
    }
  }
}

/**
 * Batch chunks spread over worker threads, each with its own connections: parsing, validation,
 * keys, sealing and encryption are CPU work that one event loop would otherwise do alone while
 * the machine's other cores wait. A thread that dies is replaced at the next chunk; the chunks it
 * held fail (their transactions roll back with its connections), as they would if the process died.
 */
export class IntakeThreadPool extends ThreadPool<BatchChunk, BatchItemAnswer[]> implements BatchRunner {
  constructor(size: number, setup: WorkerSetup) {
    super(size, {
      entry: threadEntry(import.meta.url, 'intake-worker'),
      workerData: setup,
      name: 'batch intake thread',
      request: (id, chunk): ToWorker => ({ kind: 'chunk', id, chunk }),
      close: { kind: 'close' } satisfies ToWorker,
      reply(raw) {
        const message = raw as ToPool;
        if (message.kind === 'ready') return message;
        return message.kind === 'answer'
          ? { kind: 'result', id: message.id, result: message.items }
          : { kind: 'error', id: message.id, error: errorOf(message.failure) };
      },
    });
  }

  get concurrency(): number {
    return this.size;
  }
}
