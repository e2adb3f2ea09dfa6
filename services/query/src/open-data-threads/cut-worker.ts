/**
 * A worker thread of open-data cuts: it opens its own connections and keyring from what the
 * pool handed it, then answers key ranges: each read in the cut's exported snapshot, turned into
 * national rows and encoded as the files' lines. Only the encoded lines and the baseline's
 * digests go back, their buffers transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inTransaction, openDatabase } from '@credit/db';
import { serialiseError, threadKeyring } from '@credit/http';
import { CutFiles, type Published, writeItems } from '../domain/open-data-files.ts';
import { createOpenDataRepository } from '../repositories/open-data-repository.ts';
import type { CutThreadSetup, FromCutThread, RangePart, RangeTask, ToCutThread } from './messages.ts';

const port = parentPort;
if (!port) throw new Error('the open-data cut worker runs as a worker thread');
const setup = workerData as CutThreadSetup;

const keyring = threadKeyring(setup.bootstrap);
// Two ranges in flight: one read while the other is encoded.
const database = await openDatabase({
  ...setup.bootstrap.database,
  poolSize: 2,
  applicationName: 'credit-platform/open-data',
});
const openData = createOpenDataRepository(database.db);

function publishedColumns(fresh: Published[], changed: Published[]): RangePart['published'] {
  const all = fresh.concat(changed);
  const keyEnds = new Uint32Array(all.length);
  let keyBytes = 0;
  for (let i = 0; i < all.length; i++) {
    keyBytes += (all[i] as Published).subjectKey.length;
    keyEnds[i] = keyBytes;
  }
  const keys = Buffer.allocUnsafeSlow(keyBytes);
  const digests = Buffer.allocUnsafeSlow(all.length * 16);
  for (let i = 0; i < all.length; i++) {
    const item = all[i] as Published;
    keys.set(item.subjectKey, i === 0 ? 0 : (keyEnds[i - 1] as number));
    digests.set(item.digest, i * 16);
  }
  return {
    keys,
    keyEnds,
    digests,
    itemIds: all.map((p) => p.itemId),
    presets: all.map((p) => p.preset),
    fresh: fresh.length,
  };
}

async function cutRange(task: RangeTask): Promise<RangePart> {
  const rows = await inTransaction(database.db, async (tx) => {
    await openData.importSnapshot(tx, task.snapshot);
    return openData.publicItemsIn(tx, new Date(task.now), task.increments, task.range);
  });
  const files = new CutFiles(task.day, task.partBytes, task.increments, true);
  // Bodies rendered here (stale ones) are not stored again: the single-threaded cut does that.
  const { fresh, changed } = writeItems(rows, files, keyring);
  return {
    files: files.sinks.map((sink) => ({
      chunks: sink.take(true).map((c) => c.content),
      records: sink.records,
    })),
    published: publishedColumns(fresh, changed),
  };
}

/** Each buffer of a part once: handed over, not copied. */
function transferred(part: RangePart): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const file of part.files) for (const chunk of file.chunks) buffers.add(chunk.buffer as ArrayBuffer);
  buffers.add(part.published.keys.buffer as ArrayBuffer);
  buffers.add(part.published.keyEnds.buffer as ArrayBuffer);
  buffers.add(part.published.digests.buffer as ArrayBuffer);
  return [...buffers];
}

const post = (message: FromCutThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
port.on('message', (message: ToCutThread) => {
  if (message.kind === 'close') {
    void database.close().finally(() => port.close());
    return;
  }
  cutRange(message.task).then(
    (part) => post({ kind: 'part', id: message.id, part }, transferred(part)),
    // As the log would show it: a query's parameters are cut from messages.
    (error: unknown) => post({ kind: 'failure', id: message.id, error: serialiseError(error) }),
  );
});
post({ kind: 'ready' });
