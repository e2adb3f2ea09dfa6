import type { WorkingDayCalendar } from '@credit/calendar';
import type { Executor } from '@credit/db';
import type { NewEvent } from '@credit/events';
import type { RepairStore } from '../repositories/repair-store.ts';

export interface RepairContext {
  calendar: WorkingDayCalendar;
  clock: () => Date;
  store: RepairStore;
}

/**
 * Writes what a case change leaves behind, in the caller's transaction: a history row (never
 * rewritten), a notice the subject can read, and events for the services that act on it.
 */
export class Journal {
  private readonly events: NewEvent[] = [];

  constructor(
    private readonly context: Pick<RepairContext, 'store'>,
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
    await this.context.store.journal.appendHistory(
      { subjectKey, caseId, status, at: this.now, actor, note },
      this.tx,
    );
  }

  async notice(
    subjectKey: Buffer,
    kind: string,
    referenceId: string,
    title: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.context.store.journal.addNotice(
      { subjectKey, kind, referenceId, title, detail, createdAt: this.now },
      this.tx,
    );
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
    await this.context.store.journal.publish(this.events, this.now, this.tx);
    this.events.length = 0;
  }
}

export async function historyOf(
  context: Pick<RepairContext, 'store'>,
  executor: Executor,
  subjectKey: Buffer,
  caseId: string,
) {
  const rows = await context.store.journal.historyOf(subjectKey, caseId, executor);
  return rows.map((h) => ({ status: h.status, at: h.at.toISOString(), actor: h.actor, note: h.note }));
}
