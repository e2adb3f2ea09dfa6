import type { WorkingDayCalendar } from '@credit/calendar';
import { identityAad, type Keyring } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { NewEvent } from '@credit/events';
import { discloseIdentifier, type ListingChange, type SubjectKind } from '@credit/schema';
import type { EntryRow } from '../repositories/entry-repository.ts';
import type { MeasureRow } from '../repositories/measure-repository.ts';
import type { SanctionsStore } from '../repositories/sanctions-store.ts';

export type { EntryRow } from '../repositories/entry-repository.ts';

export interface ProcedureContext {
  keyring: Keyring;
  calendar: WorkingDayCalendar;
  clock: () => Date;
  store: SanctionsStore;
}

/** Entries still in the procedure or in force; awaiting_calendar waits for its objection window. */
export const openStatuses = ['awaiting_calendar', 'noticed', 'proposed', 'published'] as const;

/**
 * Why an entry ended when its basis records stand but its rule no longer holds (a red subject's
 * new dishonesty, a window that passed). Unlike a decision, it does not bar a later proposal on
 * the same basis once the rule holds again.
 */
export const ruleNoLongerMet = 'rule_no_longer_met';

/** Measures an entry triggers: of its list kind and domain, fitting the subject (organisation or person). */
export function measuresFor(
  all: MeasureRow[],
  listKind: string,
  domain: string,
  subjectKind: string,
): MeasureRow[] {
  const scope = subjectKind === 'natural_person' ? 'person' : 'organisation';
  return all.filter(
    (m) =>
      m.listKind === listKind &&
      m.domains.includes(domain) &&
      (m.subjectScope === 'any' || m.subjectScope === scope),
  );
}

/** What platforms, webhooks and the query service learn of an entry: persons as platforms may see them. */
export function listingChangeOf(
  entry: EntryRow,
  identifier: string,
  type: string,
  at: Date,
  eventId = '',
): ListingChange {
  return {
    eventId,
    type,
    at: at.toISOString(),
    entry: {
      id: entry.entryId,
      subject: {
        kind: entry.subjectKind as ListingChange['entry']['subject']['kind'],
        id: discloseIdentifier({ as: 'platform' }, 'subject', entry.subjectKind as SubjectKind, identifier),
      },
      listKind: entry.listKind,
      domain: entry.domain,
      identifyingDepartment: entry.identifyingDepartment,
      status: entry.status,
      validFrom: entry.validFrom?.toISOString() ?? null,
      objectionUntil: entry.objectionUntil?.toISOString() ?? null,
      validUntil: entry.validUntil?.toISOString() ?? null,
      endReason: entry.endReason,
      measures: entry.measures,
    },
  };
}

/**
 * Changes entries and keeps the record of each change: the entry row moves to its new state,
 * the history gains a row, and the outbox an event, all in the caller's transaction. A subject
 * whose entries changed is due for the next daily pass: the rules read its entries, and the change
 * (a validity that ended, a decision, a repair) was not made by an evaluation of it.
 */
export class EntryWriter {
  private readonly events: NewEvent[] = [];
  private readonly changed: Buffer[] = [];

  constructor(
    private readonly tx: Executor,
    readonly context: ProcedureContext,
    private readonly now: Date,
  ) {}

  private async identifier(subjectKey: Buffer): Promise<string> {
    const row = await this.context.store.subjects.find(subjectKey, this.tx);
    if (!row) return '';
    return this.context.keyring.decrypt(
      row.keyId,
      row.identifierCipher,
      identityAad('identifier', subjectKey),
    );
  }

  private async record(entry: EntryRow, actor: string, note: string | null): Promise<void> {
    await this.context.store.entries.appendHistory(
      {
        subjectKey: entry.subjectKey,
        entryId: entry.entryId,
        status: entry.status,
        at: this.now,
        actor,
        note,
      },
      this.tx,
    );
    this.changed.push(entry.subjectKey);
    const type = `list.entry.${entry.status}`;
    this.events.push({
      type,
      subjectKey: entry.subjectKey,
      aggregateId: entry.entryId,
      payload: listingChangeOf(entry, await this.identifier(entry.subjectKey), type, this.now),
    });
  }

  async create(entry: EntryRow, actor: string, note: string | null): Promise<EntryRow> {
    await this.context.store.entries.insert(entry, this.tx);
    await this.record(entry, actor, note);
    return entry;
  }

  async move(
    entry: EntryRow,
    change: Partial<EntryRow>,
    actor: string,
    note: string | null,
  ): Promise<EntryRow> {
    const next = { ...entry, ...change, updatedAt: this.now };
    await this.context.store.entries.update(entry, { ...change, updatedAt: this.now }, this.tx);
    await this.record(next, actor, note);
    return next;
  }

  async flush(): Promise<void> {
    await this.context.store.feed.publish(this.events, this.now, this.tx);
    this.events.length = 0;
    await this.context.store.subjects.markDue(this.changed, this.now, this.tx);
    this.changed.length = 0;
  }
}

/** Ends an entry (validity over, repaired, basis changed) and the entries linked to it. */
export async function exitEntry(
  writer: EntryWriter,
  tx: Executor,
  entry: EntryRow,
  reason: string,
  actor: string,
  now: Date,
): Promise<void> {
  if (entry.status === 'published') {
    await writer.move(entry, { status: 'exited', endedAt: now, endReason: reason }, actor, reason);
  } else if ((openStatuses as readonly string[]).includes(entry.status)) {
    await writer.move(entry, { status: 'cancelled', endedAt: now, endReason: reason }, actor, reason);
  }
  const children = await writer.context.store.entries.childrenOf(entry.entryId, openStatuses, tx);
  for (const child of children) await exitEntry(writer, tx, child, reason, actor, now);
}
