import {
  idFromDigest,
  type Keyring,
  newId,
  openSigningSecret,
  sealSigningSecret,
  sha256,
} from '@credit/crypto';
import type { Database, Executor } from '@credit/db';
import { and, asc, desc, eq, gt, gte, inArray, lte, or, sql } from 'drizzle-orm';
import {
  exchangeBatches,
  exchangeLog,
  exchangeReceivers,
  exchangeRefusals,
  receiverSecrets,
} from '../../db/schema.ts';

export type ReceiverRow = typeof exchangeReceivers.$inferSelect;
export type BatchRow = typeof exchangeBatches.$inferSelect;
export type LogRow = typeof exchangeLog.$inferSelect;
export type RefusalRow = typeof exchangeRefusals.$inferSelect;

function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

/** What a receiver's row is given for its signing secret: only ever sealed, bound to the row. */
function sealedFor(keyring: Keyring, receiverId: string, secret: string) {
  const { keyId, ciphertext } = sealSigningSecret(keyring, receiverSecrets.ownerOf(receiverId), secret);
  return { secretCipher: ciphertext, keyId, plainSecret: null };
}

/** Every query of the delivery ledger: receivers, their batches, the log they are cut from. */
export function createExchangeRepository(db: Database, keyring: Keyring) {
  const lockReceiver = async (tx: Executor, receiverId: string) => {
    const [row] = await tx
      .select()
      .from(exchangeReceivers)
      .where(eq(exchangeReceivers.receiverId, receiverId))
      .for('update');
    return row;
  };

  return {
    /** The newest position of the log (0 when empty): one step down its primary key. */
    async head(executor: Executor = db): Promise<number> {
      const [row] = rowsOf<{ head: string | number | null }>(
        await executor.execute(sql`SELECT max(position) AS head FROM query.exchange_log`),
      );
      return Number(row?.head ?? 0);
    },

    async createReceiver(
      values: { name: string; url: string; format: string; secret: string },
      now: Date,
    ): Promise<ReceiverRow> {
      const { secret, ...rest } = values;
      const receiverId = newId('xrc', now.getTime());
      const [row] = await db
        .insert(exchangeReceivers)
        .values({
          receiverId,
          ...rest,
          ...sealedFor(keyring, receiverId, secret),
          enabled: true,
          cursor: 0,
          highWater: 0,
          nextBatchNo: 1,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return row as ReceiverRow;
    },

    /**
     * The receiver's signing secret, opened to sign one attempt; undefined when it does not open
     * (a key the keyring no longer holds, an altered row). A row from before the secrets were
     * sealed that the start has not sealed yet signs with the secret it holds.
     */
    signingSecret(receiver: ReceiverRow): string | undefined {
      if (!receiver.secretCipher || !receiver.keyId) return receiver.plainSecret ?? undefined;
      try {
        return openSigningSecret(
          keyring,
          receiverSecrets.ownerOf(receiver.receiverId),
          receiver.keyId,
          receiver.secretCipher,
        );
      } catch {
        return undefined;
      }
    },

    /** Seals the secrets kept in clear before migrations/query/0025 (at the service's start). */
    sealPlainSecrets(): Promise<number> {
      return receiverSecrets.sealPlain(db, (owner, secret) => sealSigningSecret(keyring, owner, secret));
    },

    async findReceiver(receiverId: string): Promise<ReceiverRow | undefined> {
      const [row] = await db
        .select()
        .from(exchangeReceivers)
        .where(eq(exchangeReceivers.receiverId, receiverId));
      return row;
    },

    async pageReceivers(after: string | undefined, count: number): Promise<ReceiverRow[]> {
      return db
        .select()
        .from(exchangeReceivers)
        .where(after ? gt(exchangeReceivers.receiverId, after) : undefined)
        .orderBy(asc(exchangeReceivers.receiverId))
        .limit(count);
    },

    async updateReceiver(
      receiverId: string,
      changes: Partial<Pick<ReceiverRow, 'name' | 'url' | 'format' | 'enabled'> & { secret: string }>,
      now: Date,
    ): Promise<ReceiverRow | undefined> {
      const { secret, ...rest } = changes;
      const [row] = await db
        .update(exchangeReceivers)
        .set({
          ...rest,
          ...(secret === undefined ? {} : sealedFor(keyring, receiverId, secret)),
          updatedAt: now,
        })
        .where(eq(exchangeReceivers.receiverId, receiverId))
        .returning();
      return row;
    },

    /**
     * Moves a receiver back (or forward) so the next batch starts at `position`: the open batch,
     * if any, is superseded (an answer to it no longer moves the cursor).
     */
    async replay(receiverId: string, position: number, now: Date): Promise<ReceiverRow | undefined> {
      return db.transaction(async (tx) => {
        const receiver = await lockReceiver(tx, receiverId);
        if (!receiver) return undefined;
        await tx
          .update(exchangeBatches)
          .set({ status: 'superseded' })
          .where(and(eq(exchangeBatches.receiverId, receiverId), eq(exchangeBatches.status, 'open')));
        const [row] = await tx
          .update(exchangeReceivers)
          .set({ cursor: position - 1, updatedAt: now })
          .where(eq(exchangeReceivers.receiverId, receiverId))
          .returning();
        return row;
      });
    },

    /**
     * Cuts the next batch for every enabled receiver that has none open and is behind the log:
     * the next `size` positions after its cursor. One open batch per receiver keeps its order.
     */
    async openBatches(now: Date, size: number): Promise<number> {
      const waiting = rowsOf<{ receiver_id: string }>(
        await db.execute(sql`
          SELECT r.receiver_id FROM query.exchange_receivers r
          WHERE r.enabled
            AND r.cursor < (SELECT coalesce(max(position), 0) FROM query.exchange_log)
            AND NOT EXISTS (SELECT 1 FROM query.exchange_batches b WHERE b.receiver_id = r.receiver_id AND b.status = 'open')`),
      );
      let opened = 0;
      for (const { receiver_id: receiverId } of waiting) {
        opened += await db.transaction(async (tx) => {
          const receiver = await lockReceiver(tx, receiverId);
          if (!receiver?.enabled) return 0;
          const [open] = await tx
            .select({ no: exchangeBatches.batchNo })
            .from(exchangeBatches)
            .where(and(eq(exchangeBatches.receiverId, receiverId), eq(exchangeBatches.status, 'open')));
          if (open) return 0;
          const positions = await tx
            .select({ position: exchangeLog.position })
            .from(exchangeLog)
            .where(gt(exchangeLog.position, receiver.cursor))
            .orderBy(asc(exchangeLog.position))
            .limit(size);
          const first = positions[0]?.position;
          const last = positions.at(-1)?.position;
          if (first === undefined || last === undefined) return 0;
          const batchNo = receiver.nextBatchNo;
          await tx.insert(exchangeBatches).values({
            receiverId,
            batchNo,
            batchId: idFromDigest('xbt', sha256(`${receiverId}\u0000${batchNo}`)),
            // The range starts right after the cursor: positions a rolled-back append skipped hold nothing.
            firstPosition: receiver.cursor + 1,
            lastPosition: last,
            itemCount: positions.length,
            replay: first <= receiver.highWater,
            status: 'open',
            attempts: 0,
            nextAttemptAt: now,
            refusedCount: 0,
            createdAt: now,
          });
          await tx
            .update(exchangeReceivers)
            .set({ nextBatchNo: batchNo + 1 })
            .where(eq(exchangeReceivers.receiverId, receiverId));
          return 1;
        });
      }
      return opened;
    },

    /**
     * Claims open batches due for an attempt, of enabled receivers, leasing them (so another
     * sender does not send the same one meanwhile) and counting the attempt.
     */
    async claimDue(
      now: Date,
      leaseMs: number,
      limit: number,
    ): Promise<(BatchRow & { receiver: ReceiverRow })[]> {
      return db.transaction(async (tx) => {
        const due = await tx
          .select()
          .from(exchangeBatches)
          .where(and(eq(exchangeBatches.status, 'open'), lte(exchangeBatches.nextAttemptAt, now)))
          .orderBy(asc(exchangeBatches.nextAttemptAt))
          .limit(limit)
          .for('update', { skipLocked: true });
        if (due.length === 0) return [];
        const receivers = await tx
          .select()
          .from(exchangeReceivers)
          .where(
            and(
              inArray(
                exchangeReceivers.receiverId,
                due.map((b) => b.receiverId),
              ),
              eq(exchangeReceivers.enabled, true),
            ),
          );
        const byId = new Map(receivers.map((r) => [r.receiverId, r]));
        const claimed = due.flatMap((b) => {
          const receiver = byId.get(b.receiverId);
          return receiver ? [{ ...b, receiver }] : [];
        });
        for (const batch of claimed)
          await tx
            .update(exchangeBatches)
            .set({
              attempts: batch.attempts + 1,
              lastAttemptAt: now,
              nextAttemptAt: new Date(now.getTime() + leaseMs),
            })
            .where(
              and(
                eq(exchangeBatches.receiverId, batch.receiverId),
                eq(exchangeBatches.batchNo, batch.batchNo),
              ),
            );
        return claimed.map((b) => ({ ...b, attempts: b.attempts + 1, lastAttemptAt: now }));
      });
    },

    async logRange(first: number, last: number): Promise<LogRow[]> {
      return db
        .select()
        .from(exchangeLog)
        .where(and(gte(exchangeLog.position, first), lte(exchangeLog.position, last)))
        .orderBy(asc(exchangeLog.position));
    },

    /** The log rows of several batches' ranges in one statement (one index range each). */
    async logRanges(ranges: { first: number; last: number }[]): Promise<LogRow[]> {
      if (ranges.length === 0) return [];
      return db
        .select()
        .from(exchangeLog)
        .where(
          or(
            ...ranges.map((r) => and(gte(exchangeLog.position, r.first), lte(exchangeLog.position, r.last))),
          ),
        )
        .orderBy(asc(exchangeLog.position));
    },

    /** A failed attempt: its answer, and when to try again. */
    async recordFailure(
      batch: BatchRow,
      outcome: { status: number | null; error: string },
      retryAt: Date,
    ): Promise<void> {
      await db
        .update(exchangeBatches)
        .set({ lastStatus: outcome.status, lastError: outcome.error, nextAttemptAt: retryAt })
        .where(
          and(
            eq(exchangeBatches.receiverId, batch.receiverId),
            eq(exchangeBatches.batchNo, batch.batchNo),
            eq(exchangeBatches.status, 'open'),
          ),
        );
    },

    /**
     * The receiver acknowledged the batch: its refusals are kept and its cursor moves past the
     * batch, unless a replay superseded the batch meanwhile (then the answer changes nothing).
     */
    async acknowledge(
      batch: BatchRow,
      status: number,
      refusals: Omit<RefusalRow, 'receiverId' | 'batchNo'>[],
      now: Date,
    ): Promise<boolean> {
      return db.transaction(async (tx) => {
        const receiver = await lockReceiver(tx, batch.receiverId);
        if (!receiver) return false;
        const [acknowledged] = await tx
          .update(exchangeBatches)
          .set({
            status: 'acknowledged',
            lastStatus: status,
            lastError: null,
            acknowledgedAt: now,
            refusedCount: refusals.length,
          })
          .where(
            and(
              eq(exchangeBatches.receiverId, batch.receiverId),
              eq(exchangeBatches.batchNo, batch.batchNo),
              eq(exchangeBatches.status, 'open'),
            ),
          )
          .returning({ no: exchangeBatches.batchNo });
        if (!acknowledged) return false;
        if (refusals.length > 0)
          await tx
            .insert(exchangeRefusals)
            .values(refusals.map((r) => ({ ...r, receiverId: batch.receiverId, batchNo: batch.batchNo })))
            .onConflictDoNothing();
        await tx
          .update(exchangeReceivers)
          .set({ cursor: batch.lastPosition, highWater: Math.max(receiver.highWater, batch.lastPosition) })
          .where(eq(exchangeReceivers.receiverId, batch.receiverId));
        return true;
      });
    },

    /** A receiver's batches, newest first, by their number. */
    async pageBatches(receiverId: string, before: number | undefined, count: number): Promise<BatchRow[]> {
      return db
        .select()
        .from(exchangeBatches)
        .where(
          and(
            eq(exchangeBatches.receiverId, receiverId),
            before === undefined ? undefined : sql`${exchangeBatches.batchNo} < ${before}`,
          ),
        )
        .orderBy(desc(exchangeBatches.batchNo))
        .limit(count);
    },

    async refusalsOf(receiverId: string, batchNos: number[]): Promise<RefusalRow[]> {
      if (batchNos.length === 0) return [];
      return db
        .select()
        .from(exchangeRefusals)
        .where(and(eq(exchangeRefusals.receiverId, receiverId), inArray(exchangeRefusals.batchNo, batchNos)));
    },
  };
}

export type ExchangeRepository = ReturnType<typeof createExchangeRepository>;
