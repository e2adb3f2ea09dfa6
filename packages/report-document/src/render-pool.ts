import type { Worker } from 'node:worker_threads';
import { spawnThread, threadEntry } from '@credit/threads';
import type { ReportDocumentInput } from './render.ts';
import type { FromRenderThread, ToRenderThread } from './render-worker.ts';

export interface RenderPoolOptions {
  /** Render threads; each renders one report at a time. */
  threads: number;
  /** Reports that may wait for a thread; past that, `tryRender` refuses at once. */
  queueLimit: number;
  /** Told the pool's load whenever it changes (a metric). */
  onLoad?: (load: { rendering: number; waiting: number }) => void;
}

const workerEntry = threadEntry(import.meta.url, 'render-worker');

interface Job {
  input: ReportDocumentInput;
  resolve: (pdf: Buffer) => void;
  reject: (error: Error) => void;
}

function errorOf(failure: { name: string; message: string; stack?: string | undefined }): Error {
  const error = new Error(`in a report render thread: ${failure.message}`);
  error.name = failure.name;
  if (failure.stack) error.stack = failure.stack;
  return error;
}

/** One render thread: warms itself up, then renders one report at a time. */
class RenderThread {
  private readonly worker: Worker;
  private job: Job | undefined;
  private readonly closed: Promise<void>;
  ready = false;
  dead = false;
  readonly started: Promise<void>;
  private markStarted: () => void = () => {};

  constructor(private readonly onIdle: (thread: RenderThread) => void) {
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    this.worker = spawnThread(workerEntry);
    // An idle pool must not keep the process alive; a render in flight holds its request open anyway.
    this.worker.unref();
    this.worker.on('message', (message: FromRenderThread) => {
      if (message.kind === 'ready') {
        this.ready = true;
        this.markStarted();
        this.onIdle(this);
        return;
      }
      const job = this.job;
      this.job = undefined;
      if (message.kind === 'rendered')
        job?.resolve(Buffer.from(message.pdf.buffer, message.pdf.byteOffset, message.pdf.byteLength));
      else job?.reject(errorOf(message.error));
      this.onIdle(this);
    });
    this.worker.on('error', (error) => this.die(error));
    this.closed = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.die(new Error(`report render thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  get idle(): boolean {
    return this.ready && !this.dead && this.job === undefined;
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  private die(reason: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.markStarted();
    const job = this.job;
    this.job = undefined;
    job?.reject(reason);
    this.onIdle(this);
  }

  render(job: Job): void {
    this.job = job;
    this.worker.postMessage({ kind: 'render', id: 0, input: job.input } satisfies ToRenderThread);
  }

  async close(graceMs: number): Promise<void> {
    if (!this.dead) this.worker.postMessage({ kind: 'close' } satisfies ToRenderThread);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}

/**
 * Report PDFs rendered on worker threads: pdfkit lays out and compresses a 500-item report in
 * tens of milliseconds warm and seconds cold, all of it synchronous, which on the event loop
 * would hold every other request of the process for as long. Each thread renders one report at
 * a time; at most `queueLimit` more wait, and past that `tryRender` answers null so the caller
 * can refuse at once (503 with Retry-After) rather than queue without bound. A thread that dies
 * fails the report it held and is replaced.
 */
export class ReportRenderPool {
  private readonly threads: RenderThread[] = [];
  private readonly queue: Job[] = [];
  private closing = false;

  constructor(private readonly options: RenderPoolOptions) {
    if (options.threads < 1) throw new Error('a report render pool needs at least one thread');
  }

  /** Starts every thread and resolves once each has warmed up. */
  async start(): Promise<void> {
    this.fill();
    await Promise.all(this.threads.map((thread) => thread.started));
  }

  /** Reports being rendered and waiting, against what the pool takes. */
  get load(): { rendering: number; waiting: number; capacity: number } {
    return {
      rendering: this.threads.filter((thread) => thread.busy).length,
      waiting: this.queue.length,
      capacity: this.options.threads + this.options.queueLimit,
    };
  }

  /** Whether a report asked for now would be refused. */
  get saturated(): boolean {
    const { rendering, waiting, capacity } = this.load;
    return rendering + waiting >= capacity;
  }

  /** The report's PDF, or null when every thread is busy and the queue is full. */
  tryRender(input: ReportDocumentInput): Promise<Buffer> | null {
    if (this.closing) return null;
    this.fill();
    const idle = this.threads.find((thread) => thread.idle);
    if (!idle && this.saturated) return null;
    return new Promise<Buffer>((resolve, reject) => {
      const job = { input, resolve, reject };
      if (idle) idle.render(job);
      else this.queue.push(job);
      this.announce();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the report render pool closed'));
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.close(5_000)));
  }

  /** Starts the missing threads and replaces dead ones. */
  private fill(): void {
    if (this.closing) return;
    for (let i = 0; i < this.options.threads; i++) {
      const thread = this.threads[i];
      if (!thread || thread.dead) this.threads[i] = new RenderThread((t) => this.next(t));
    }
  }

  /** A thread became free (or died): it takes the oldest waiting report. */
  private next(thread: RenderThread): void {
    if (thread.dead) {
      if (this.queue.length > 0) this.fill();
      this.announce();
      return;
    }
    const job = this.queue.shift();
    if (job) thread.render(job);
    this.announce();
  }

  private announce(): void {
    const { rendering, waiting } = this.load;
    this.options.onLoad?.({ rendering, waiting });
  }
}
