import { Worker } from 'node:worker_threads';
import type { CutThreadSetup, FromCutThread, RangePart, RangeTask, ToCutThread } from './messages.ts';

// Beside this module: cut-worker.ts from the sources, cut-worker.js from the production build.
const workerEntry = new URL(
  import.meta.url.endsWith('.ts') ? './cut-worker.ts' : './cut-worker.js',
  import.meta.url,
);

function spawn(setup: CutThreadSetup): Worker {
  if (!workerEntry.pathname.endsWith('.ts')) return new Worker(workerEntry, { workerData: setup });
  // The platform runs its TypeScript through tsx; a worker registers the same loader before
  // loading its entry (a worker does not inherit the loader hooks of the thread that starts it).
  const loader = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(workerEntry.href)}); })`;
  return new Worker(source, { eval: true, workerData: setup });
}

interface Waiting {
  resolve: (part: RangePart) => void;
  reject: (error: Error) => void;
}

/** One cut thread and the ranges it has been given. */
class CutThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private stopped: Error | undefined;
  private readonly closed: Promise<void>;
  /** Settles when the worker has opened its connections and keyring (or has died trying). */
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(setup: CutThreadSetup) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.worker = spawn(setup);
    // An idle pool must not keep the process alive; a cut in progress keeps it busy anyway.
    this.worker.unref();
    this.worker.on('message', (message: FromCutThread) => {
      if (message.kind === 'ready') return this.markReady();
      const waiting = this.waiting.get(message.id);
      if (!waiting) return;
      this.waiting.delete(message.id);
      if (message.kind === 'part') waiting.resolve(message.part);
      else {
        const { type, message: text, stack } = message.error;
        const error = new Error(`in an open-data cut thread: ${text ?? type}`);
        error.name = type;
        if (stack) error.stack = stack;
        waiting.reject(error);
      }
    });
    this.worker.on('error', (error) => this.stop(error));
    this.closed = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.stop(new Error(`open-data cut thread exited (code ${code})`));
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

  run(task: RangeTask): Promise<RangePart> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'range', id, task } satisfies ToCutThread);
    });
  }

  async close(graceMs: number): Promise<void> {
    if (this.alive) this.worker.postMessage({ kind: 'close' } satisfies ToCutThread);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}

/**
 * Worker threads that read and encode the key ranges of an open-data cut (docs/open-data.md):
 * building national rows and their CSV and JSON Lines is the cut's processor time, which one
 * event loop would do alone while the machine's other cores wait. The cut's own thread hashes
 * and stores what they hand back, in key order. A thread that dies is replaced at the next
 * range; the ranges it held fail, and so does the cut (its transaction rolls back, the job
 * tries again).
 */
export class OpenDataCutPool {
  private readonly threads: CutThread[] = [];

  constructor(
    readonly size: number,
    private readonly setup: CutThreadSetup,
  ) {}

  async start(): Promise<void> {
    this.fill();
    await Promise.all(this.threads.map((thread) => thread.ready));
  }

  /** Starts the missing threads and replaces dead ones. */
  private fill(): void {
    for (let i = 0; i < this.threads.length; i++) {
      if (!this.threads[i]?.alive) this.threads[i] = new CutThread(this.setup);
    }
    for (let i = this.threads.length; i < this.size; i++) this.threads.push(new CutThread(this.setup));
  }

  run(task: RangeTask): Promise<RangePart> {
    this.fill();
    let least = this.threads[0] as CutThread;
    for (const thread of this.threads) if (thread.load < least.load) least = thread;
    return least.run(task);
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.close(5_000)));
  }
}
