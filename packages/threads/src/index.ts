import { Worker } from 'node:worker_threads';

/**
 * Starts a worker on `entry` (a `.ts` module beside the caller's source, or its built `.js`). From
 * the sources the thread registers tsx's loader before importing its entry: a worker does not
 * inherit the loader hooks of the thread that starts it.
 */
export function spawnThread(entry: URL, workerData?: unknown): Worker {
  const options = workerData === undefined ? {} : { workerData };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const loader = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(source, { eval: true, ...options });
}

/** The entry module `name` beside `moduleUrl`: `name.ts` from the sources, `name.js` from the build. */
export function threadEntry(moduleUrl: string, name: string): URL {
  return new URL(moduleUrl.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, moduleUrl);
}

/** What a message from a pool's thread means. */
export type ThreadReply<Result> =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; result: Result }
  | { kind: 'error'; id: number; error: Error };

/** How a pool talks to its threads: their entry, setup, and message shapes. */
export interface ThreadProtocol<Task, Result> {
  entry: URL;
  workerData: unknown;
  /** Named in the error of a thread that exits ("batch intake thread"). */
  name: string;
  request(id: number, task: Task): unknown;
  close: unknown;
  reply(message: unknown): ThreadReply<Result>;
}

interface Waiting<Result> {
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the tasks it has been given. */
class PoolThread<Task, Result> {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting<Result>>();
  private nextId = 0;
  private stopped: Error | undefined;
  private readonly closed: Promise<void>;
  /** Settles when the worker has opened what it needs (or has died trying). */
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(private readonly protocol: ThreadProtocol<Task, Result>) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.worker = spawnThread(protocol.entry, protocol.workerData);
    // An idle pool must not keep the process alive; tasks in flight keep it busy anyway.
    this.worker.unref();
    this.worker.on('message', (message: unknown) => {
      const reply = protocol.reply(message);
      if (reply.kind === 'ready') return this.markReady();
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (reply.kind === 'result') waiting.resolve(reply.result);
      else waiting.reject(reply.error);
    });
    this.worker.on('error', (error) => this.stop(error));
    this.closed = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.stop(new Error(`${protocol.name} exited (code ${code})`));
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

  run(task: Task): Promise<Result> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(this.protocol.request(id, task));
    });
  }

  async close(graceMs: number): Promise<void> {
    if (this.alive) this.worker.postMessage(this.protocol.close);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}

/**
 * A fixed number of worker threads, each task sent to the least loaded. A thread that dies is
 * replaced at the next task; the tasks it held fail with the reason it died.
 */
export class ThreadPool<Task, Result> {
  private readonly threads: PoolThread<Task, Result>[] = [];

  constructor(
    readonly size: number,
    private readonly protocol: ThreadProtocol<Task, Result>,
  ) {}

  async start(): Promise<void> {
    this.fill();
    await Promise.all(this.threads.map((thread) => thread.ready));
  }

  /** Starts the missing threads and replaces dead ones. */
  private fill(): void {
    for (let i = 0; i < this.threads.length; i++) {
      if (!this.threads[i]?.alive) this.threads[i] = new PoolThread(this.protocol);
    }
    for (let i = this.threads.length; i < this.size; i++) this.threads.push(new PoolThread(this.protocol));
  }

  run(task: Task): Promise<Result> {
    this.fill();
    let least = this.threads[0] as PoolThread<Task, Result>;
    for (const thread of this.threads) if (thread.load < least.load) least = thread;
    return least.run(task);
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.close(5_000)));
  }
}
