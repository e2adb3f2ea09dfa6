import type { WorkingDayCalendar } from '@credit/calendar';
import { newId } from '@credit/crypto';
import type { Executor } from '@credit/db';
import { appendEvents, type NewEvent } from '@credit/events';
import { and, desc, eq } from 'drizzle-orm';
import { caseHistory, notices, repairOutbox, repairSchemaName } from '../db/schema.ts';

export interface RepairContext {
  calendar: WorkingDayCalendar;
  clock: () => Date;
}

/**
 * Writes what a case change leaves behind, in the caller's transaction: a history row (never
 * rewritten), a notice the subject can read, and events for the services that act on it.
 */
export class Journal {
  private readonly events: NewEvent[] = [];

  constructor(
    private readonly tx: Executor,
    private readonly now: Date,
  ) {}

  async history(
    subjectKey: Buffer,
    caseId: string,
    status: string,
    actor: string,
    note: string | null,
  ): Promise<void> {
    const [last] = await this.tx
      .select({ seq: caseHistory.seq })
      .from(caseHistory)
      .where(and(eq(caseHistory.subjectKey, subjectKey), eq(caseHistory.caseId, caseId)))
      .orderBy(desc(caseHistory.seq))
      .limit(1);
    await this.tx
      .insert(caseHistory)
      .values({ subjectKey, caseId, seq: (last?.seq ?? 0) + 1, status, at: this.now, actor, note });
  }

  async notice(
    subjectKey: Buffer,
    kind: string,
    referenceId: string,
    title: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.tx.insert(notices).values({
      subjectKey,
      noticeId: newId('ntc', this.now.getTime()),
      kind,
      referenceId,
      title,
      detail,
      createdAt: this.now,
    });
  }

  /** A state change of a case: its history and the subject's notice together. */
  async change(
    subjectKey: Buffer,
    caseId: string,
    kind: string,
    status: string,
    actor: string,
    note: string | null,
    detail: Record<string, unknown>,
  ) {
    await this.history(subjectKey, caseId, status, actor, note);
    await this.notice(subjectKey, kind, caseId, `${kind} ${status}`, { status, note, ...detail });
  }

  event(type: string, subjectKey: Buffer, aggregateId: string, payload: Record<string, unknown>): void {
    this.events.push({ type, subjectKey, aggregateId, payload });
  }

  async flush(): Promise<void> {
    await appendEvents(this.tx, repairOutbox, repairSchemaName, this.events, this.now);
    this.events.length = 0;
  }
}

export async function historyOf(executor: Executor, subjectKey: Buffer, caseId: string) {
  const rows = await executor
    .select()
    .from(caseHistory)
    .where(and(eq(caseHistory.subjectKey, subjectKey), eq(caseHistory.caseId, caseId)))
    .orderBy(caseHistory.seq);
  return rows.map((h) => ({ status: h.status, at: h.at.toISOString(), actor: h.actor, note: h.note }));
}
