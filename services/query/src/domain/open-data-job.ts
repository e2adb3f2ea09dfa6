import { shanghaiDate } from '@credit/calendar';
import type { OpenDataCutStatus } from '@credit/schema';
import type { FastifyBaseLogger } from 'fastify';
import {
  type CutOutcome,
  cutOpenData,
  type OpenDataContext,
  type OpenDataOptions,
  parseCut,
} from './open-data.ts';

/**
 * The open-data cuts of this process: the daily timer and POST /v1/open-data/cuts start them here,
 * so a day is cut once however often it is asked for, a request need not wait for a cut that
 * takes longer than a connection lasts, and a cut running when the server closes is stopped
 * between batches rather than left writing to a closed pool.
 */
export class OpenDataCuts {
  #running: { day: string; startedAt: Date; done: Promise<CutOutcome> } | undefined;
  /** The last failure of each day not cut since (a few days at most: a day is tried until it is cut). */
  readonly #failures = new Map<string, Date>();
  readonly #stopping = new AbortController();

  constructor(
    private readonly context: OpenDataContext,
    private readonly options: OpenDataOptions | undefined,
    private readonly log: FastifyBaseLogger,
    private readonly clock: () => Date,
  ) {}

  /**
   * Starts cutting the day `now` falls on, or joins the cut of it that runs (`joined`: the cut
   * was not started by this call). A cut of another day that still runs (one started before
   * midnight) finishes first.
   */
  start(now: Date): { day: string; startedAt: Date; done: Promise<CutOutcome>; joined: boolean } {
    const day = shanghaiDate(now);
    const running = this.#running;
    if (running?.day === day) return { ...running, joined: true };
    const before = running?.done.catch(() => undefined);
    const startedAt = this.clock();
    const done = (async () => {
      await before;
      this.#stopping.signal.throwIfAborted();
      return cutOpenData(this.context, now, this.options, this.#stopping.signal);
    })();
    const entry = { day, startedAt, done };
    this.#running = entry;
    done.then(
      (cut) => {
        this.#failures.delete(day);
        if (cut.created) this.log.info({ day }, 'open data cut');
      },
      (error: unknown) => {
        if (this.#stopping.signal.aborted) return;
        this.#failures.set(day, this.clock());
        this.log.warn({ day, errorName: (error as Error).name }, 'open-data cut failed; will retry');
      },
    );
    // Cleared once settled, whatever the outcome, unless a later start took its place.
    done
      .catch(() => undefined)
      .then(() => {
        if (this.#running === entry) this.#running = undefined;
      });
    return { ...entry, joined: false };
  }

  /**
   * What is known of the cut of `day`: stored (read from the database, whichever instance cut
   * it), running here or in another instance (which holds the cut's lock), or failed here since
   * it was last tried. Undefined when none of these.
   */
  async status(day: string): Promise<OpenDataCutStatus | undefined> {
    const stored = await this.context.openData.cut(day);
    if (stored) return { day, state: 'cut', ...parseCut(stored) };
    if (this.#running?.day === day)
      return { day, state: 'running', startedAt: this.#running.startedAt.toISOString() };
    if ((await this.context.openData.cutLockHeld()) && day === shanghaiDate(this.clock()))
      return { day, state: 'running', startedAt: null };
    const failedAt = this.#failures.get(day);
    if (failedAt)
      return {
        day,
        state: 'failed',
        failedAt: failedAt.toISOString(),
        detail: 'The cut failed and was logged; POST /v1/open-data/cuts or the daily job cuts the day again.',
      };
    return undefined;
  }

  /** Stops a running cut at its next batch and waits for it to let its snapshot go. */
  async stop(): Promise<void> {
    this.#stopping.abort(new Error('the server is closing'));
    await this.#running?.done.catch(() => undefined);
  }
}
