import { ThreadPool, threadEntry } from '@credit/threads';
import type { CutThreadSetup, FromCutThread, RangePart, RangeTask, ToCutThread } from './messages.ts';

/**
 * Worker threads that read and encode the key ranges of an open-data cut (docs/open-data.md):
 * building national rows and their CSV and JSON Lines is the cut's processor time, which one
 * event loop would do alone while the machine's other cores wait. The cut's own thread hashes
 * and stores what they hand back, in key order. A thread that dies is replaced at the next
 * range; the ranges it held fail, and so does the cut (its transaction rolls back, the job
 * tries again).
 */
export class OpenDataCutPool extends ThreadPool<RangeTask, RangePart> {
  constructor(size: number, setup: CutThreadSetup) {
    super(size, {
      entry: threadEntry(import.meta.url, 'cut-worker'),
      workerData: setup,
      name: 'open-data cut thread',
      request: (id, task): ToCutThread => ({ kind: 'range', id, task }),
      close: { kind: 'close' } satisfies ToCutThread,
      reply(raw) {
        const message = raw as FromCutThread;
        if (message.kind !== 'failure')
          return message.kind === 'ready'
            ? message
            : { kind: 'result', id: message.id, result: message.part };
        const { type, message: text, stack } = message.error;
        const error = new Error(`in an open-data cut thread: ${text ?? type}`);
        error.name = type;
        if (stack) error.stack = stack;
        return { kind: 'error', id: message.id, error };
      },
    });
  }
}
