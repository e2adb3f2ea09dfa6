import { Worker } from 'node:worker_threads';
import { type ErrorCode, ProblemError } from '@credit/errors';
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

// Beside this module: intake-worker.ts from the sources, intake-worker.js from the production build.
const workerEntry = new URL(
  import.meta.url.endsWith('.ts') ? './intake-worker.ts' : './intake-worker.js',
  import.meta.url,
);

function spawn(setup: WorkerSetup): Worker {
  if (!workerEntry.pathname.endsWith('.ts')) return new Worker(workerEntry, { workerData: setup });
  // The platform runs its TypeScript through tsx; a worker registers the same loader before
  // loading its entry (a worker does not inherit the loader hooks of the thread that starts it).
  const loader = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(workerEntry.href)}); })`;
  return new Worker(source, { eval: true, workerData: setup });
}

interface Waiting {
  resolve: (items: BatchItemAnswer[]) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the chunks it has been given. */
class IntakeThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private stopped: Error | undefined;
  private readonly closed: Promise<void>;
  /** Settles when the worker has opened its connections and keyring (or has died trying). */
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(setup: WorkerSetup) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.worker = spawn(setup);
    // An idle pool must not keep the process alive; requests in flight keep it busy anyway.
    this.worker.unref();
    this.worker.on('message', (message: ToPool) => {
      if (message.kind === 'ready') return this.markReady();
      const waiting = this.waiting.get(message.id);
      if (!waiting) return;
      this.waiting.delete(message.id);
      if (message.kind === 'answer') waiting.resolve(message.items);
      else waiting.reject(errorOf(message.failure));
    });
    this.worker.on('error', (error) => this.stop(error));
    this.closed = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.stop(new Error(`batch intake thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.stopped === undefined;
  }

  get load(): number {
    return this.waiting.size;
  }

  private stop(reason: Error): void {
    this.stopped ??= reason;
    this.markReady();
    for (const waiting of this.waiting.values()) waiting.reject(reason);
    this.waiting.clear();
  }

  run(chunk: BatchChunk): Promise<BatchItemAnswer[]> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'chunk', id, chunk } satisfies ToWorker);
    });
  }

  async close(graceMs: number): Promise<void> {
    if (this.alive) this.worker.postMessage({ kind: 'close' } satisfies ToWorker);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}

/**
 * Batch chunks spread over worker threads, each with its own connections: parsing, validation,
 * keys, sealing and encryption are CPU work that one event loop would otherwise do alone while
 * the machine's other cores wait. A thread that dies is replaced at the next chunk; the chunks it
 * held fail (their transactions roll back with its connections), as they would if the process died.
 */
export class IntakeThreadPool implements BatchRunner {
  private readonly threads: IntakeThread[] = [];

  constructor(
    private readonly size: number,
    private readonly setup: WorkerSetup,
  ) {}

  get concurrency(): number {
    return this.size;
  }

  async start(): Promise<void> {
    this.fill();
    await Promise.all(this.threads.map((thread) => thread.ready));
  }

  /** Starts the missing threads and replaces dead ones. */
  private fill(): void {
    for (let i = 0; i < this.threads.length; i++) {
      if (!this.threads[i]?.alive) this.threads[i] = new IntakeThread(this.setup);
    }
    for (let i = this.threads.length; i < this.size; i++) this.threads.push(new IntakeThread(this.setup));
  }

  run(chunk: BatchChunk): Promise<BatchItemAnswer[]> {
    this.fill();
    let least = this.threads[0] as IntakeThread;
    for (const thread of this.threads) if (thread.load < least.load) least = thread;
    return least.run(chunk);
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.close(5_000)));
  }
}
