import {
  type Database,
  isConnectionError,
  isRetryableTransactionError,
  type ReplicaSet,
  type WalPosition,
} from '@credit/db';
import { ProblemError } from '@credit/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * Read-your-writes over streaming replicas. A write's answer carries a consistency token: the
 * primary's WAL position once its transaction has committed, with the cluster it came from. A
 * lag-tolerant read that presents it is served by a replica only once that replica has replayed
 * past it, else (after a bounded wait) by the primary. Without replicas no token is issued and a
 * well-formed one is accepted and needs nothing.
 */
export const consistencyHeader = 'consistency-token';

/** The request header of routes that read from replicas, for their schema (and the API document). */
export const consistencyHeaders = z.object({
  [consistencyHeader]: z.string().optional().meta({
    description:
      'The `Consistency-Token` a write answered: this read then sees that write (it waits briefly for a replica that has it, or the primary answers).',
  }),
});

const tokenPattern = /^(\d{1,20})-([0-9a-f]{16})$/;

export function encodeConsistencyToken(systemIdentifier: string, position: WalPosition): string {
  return `${systemIdentifier}-${position.toString(16).padStart(16, '0')}`;
}

function invalid(detail: string): ProblemError {
  return new ProblemError('invalid_consistency_token', detail, {
    errors: [{ path: `header.${consistencyHeader}`, code: 'invalid_consistency_token', message: detail }],
  });
}

/** The position a request's token asks for; undefined without one. Refuses a token not issued here. */
async function requestedPosition(
  replicas: ReplicaSet | null,
  request: FastifyRequest,
): Promise<WalPosition | undefined> {
  const raw = request.headers[consistencyHeader];
  if (raw === undefined) return undefined;
  const match = typeof raw === 'string' ? tokenPattern.exec(raw.trim().toLowerCase()) : null;
  if (!match)
    throw invalid('not a consistency token: send back the Consistency-Token header of a write as it came');
  if (!replicas) return undefined;
  if (match[1] !== replicas.systemIdentifier)
    throw invalid('this consistency token was issued by another database cluster');
  const position = BigInt(`0x${match[2]}`);
  if (!(await replicas.primaryReached(position)))
    throw invalid('this consistency token names a write the primary has not made');
  return position;
}

/**
 * Runs a read that tolerates a little lag (public disclosure, listing status, the listing change
 * feed, search) on a healthy replica past the request's token, else on the primary. A replica
 * that fails the read (stopped, unreachable) is marked down and the primary reads instead, so
 * a replica's loss never reaches the caller. `read` must not write.
 */
export async function readLagTolerant<T>(
  app: FastifyInstance,
  request: FastifyRequest,
  read: (db: Database) => Promise<T>,
): Promise<T> {
  const after = await requestedPosition(app.replicas, request);
  if (!app.replicas) return read(app.db);
  const { db, replica } = await app.replicas.reader(app.db, after);
  if (replica === null) {
    app.metrics.replicaReads.inc({ served_by: 'primary' });
    return read(app.db);
  }
  try {
    const answer = await read(db);
    app.metrics.replicaReads.inc({ served_by: replica });
    return answer;
  } catch (error) {
    // Gone, or a statement the standby cancelled for a conflict with recovery (40001).
    if (!isConnectionError(error) && !isRetryableTransactionError(error)) throw error;
    app.replicas.markDown(replica);
    request.log.warn({ replica }, 'a read replica failed a read; the primary answered it');
    app.metrics.replicaReads.inc({ served_by: 'primary' });
    return read(app.db);
  }
}

/** Every successful write's answer carries its token, so that a following read can present it. */
export function issueConsistencyTokens(app: FastifyInstance, replicas: ReplicaSet): void {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return payload;
    if (reply.statusCode >= 400) return payload;
    try {
      reply.header(
        'consistency-token',
        encodeConsistencyToken(replicas.systemIdentifier, await replicas.primaryPosition()),
      );
    } catch {
      // The write has committed; a read without the token is only possibly stale, never wrong.
    }
    return payload;
  });
}
