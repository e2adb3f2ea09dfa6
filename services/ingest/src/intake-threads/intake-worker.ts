/**
 * A worker thread of the batch intake: it opens its own connections and keyring from what the
 * pool handed it, then answers chunks one message at a time (several may be in flight, each in
 * its own transaction). Only results and failures go back: nothing is shared with the request's
 * thread but these messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isConnectionError, openDatabase } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { serialiseError, threadKeyring } from '@credit/http';
import { createRecordIntake } from '../domain/record-intake.ts';
import { answerChunk } from './batch-chunk.ts';
import type { ChunkFailure, ToPool, ToWorker, WorkerSetup } from './messages.ts';

const port = parentPort;
if (!port) throw new Error('the intake worker runs as a worker thread');
const setup = workerData as WorkerSetup;

function failureOf(error: unknown): ChunkFailure {
  if (error instanceof ProblemError) {
    const { code, detail, status: _status, title: _title, type: _type, ...extras } = error.problem;
    return { kind: 'problem', code: error.code, detail, extras };
  }
  if (isConnectionError(error)) return { kind: 'unavailable' };
  // As the log would show it: a query's parameters (names, identity data) are cut from messages.
  return { kind: 'error', error: serialiseError(error) };
}

const keyring = threadKeyring(setup.bootstrap);
const database = await openDatabase({
  ...setup.bootstrap.database,
  poolSize: setup.poolSize,
  applicationName: 'credit-platform/intake',
});
const intake = createRecordIntake(database.db, keyring);

const post = (message: ToPool) => port.postMessage(message);
port.on('message', (message: ToWorker) => {
  if (message.kind === 'close') {
    void database.close().finally(() => port.close());
    return;
  }
  answerChunk(intake, message.chunk, setup.checkpointEveryMs).then(
    (items) => post({ kind: 'answer', id: message.id, items }),
    (error: unknown) => post({ kind: 'failure', id: message.id, failure: failureOf(error) }),
  );
});
post({ kind: 'ready' });
