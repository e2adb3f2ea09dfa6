import { addMonths, endOfShanghaiDay } from '@credit/calendar';
import { newId } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { MeasureRow } from '../repositories/measure-repository.ts';
import {
  type EntryRow,
  EntryWriter,
  exitEntry,
  measuresFor,
  openStatuses,
  type ProcedureContext,
} from './entry-writer.ts';

/**
 * The identifying department's decision. Black and watch entries wait out their objection
 * window; publication starts the validity and, for organisations on a list whose rule says so,
 * lists the legal representative and responsible persons the basis records name (and, for an
 * intermediary, the practitioners registered as responsible for it).
 */
export async function publishEntry(
  tx: Executor,
  context: ProcedureContext,
  entry: EntryRow,
  validUntilDate: string | undefined,
  actor: string,
  note: string,
  now: Date,
): Promise<EntryRow> {
  const rule = await context.store.rules.findVersion(entry.ruleCode, entry.ruleVersion, tx);
  const validUntil = validUntilDate
    ? endOfShanghaiDay(validUntilDate)
    : addMonths(now, rule?.validityMonths ?? 36);
  const writer = new EntryWriter(tx, context, now);
  const published = await writer.move(
    entry,
    { status: 'published', decidedAt: now, decidedBy: actor, validFrom: now, validUntil },
    actor,
    note,
  );
  if (rule?.linkRelatedPersons && entry.subjectKind !== 'natural_person') {
    const basisIds = entry.basis.map((b) => b.recordId);
    const basisRecords = await context.store.subjects.recordsById(entry.subjectKey, basisIds, tx);
    const persons = new Map<string, string>();
    // An intermediary's serious dishonesty reaches the practitioners registered as responsible for
    // it (相关责任人, seeds/003 四(六)) as well as the persons its records name.
    if (entry.domain === 'intermediary')
      for (const personKey of await context.store.industryEvaluations.responsiblePractitioners(
        entry.subjectKey,
        tx,
      ))
        persons.set(personKey, 'responsible_person');
    for (const record of basisRecords)
      for (const person of record.relatedPersons) persons.set(person.subjectKey, person.role);
    const allMeasures = await context.store.measures.all(tx);
    for (const [personKey, role] of persons)
      await linkPerson(writer, allMeasures, published, Buffer.from(personKey, 'hex'), role, actor, now);
  }
  await writer.flush();
  return published;
}

/** Lists a person beside a published organisation entry, as its linked entry in `role`. */
async function linkPerson(
  writer: EntryWriter,
  allMeasures: MeasureRow[],
  parent: EntryRow,
  personKey: Buffer,
  role: string,
  actor: string,
  now: Date,
): Promise<void> {
  await writer.create(
    {
      ...parent,
      subjectKey: personKey,
      entryId: newId('lst', now.getTime()),
      subjectKind: 'natural_person',
      measures: measuresFor(allMeasures, parent.listKind, parent.domain, 'natural_person').map((m) => m.code),
      objectionUntil: null,
      parentEntryId: parent.entryId,
      relatedRole: role,
      updatedAt: now,
    },
    actor,
    `linked to ${parent.entryId} as ${role}`,
  );
}

/**
 * A practitioner registered as responsible for an agency already blacklisted for serious
 * dishonesty shares its entry from then on (市场禁入、执业禁入 reach the agency's 相关责任人 whenever
 * they are named), as if named when it was published.
 */
export async function linkResponsiblePractitioner(
  tx: Executor,
  context: ProcedureContext,
  agencyKey: Buffer,
  personKey: Buffer,
  now: Date,
): Promise<number> {
  const standingEntries = (await context.store.entries.forSubject(agencyKey, tx)).filter(
    (e) =>
      e.status === 'published' &&
      e.domain === 'intermediary' &&
      e.parentEntryId === null &&
      (e.validUntil === null || e.validUntil.getTime() > now.getTime()),
  );
  if (standingEntries.length === 0) return 0;
  const writer = new EntryWriter(tx, context, now);
  const allMeasures = await context.store.measures.all(tx);
  let linked = 0;
  for (const entry of standingEntries) {
    const rule = await context.store.rules.findVersion(entry.ruleCode, entry.ruleVersion, tx);
    if (!rule?.linkRelatedPersons) continue;
    const children = await context.store.entries.childrenOf(entry.entryId, openStatuses, tx);
    if (children.some((child) => child.subjectKey.equals(personKey))) continue;
    await linkPerson(writer, allMeasures, entry, personKey, 'responsible_person', 'registry', now);
    linked++;
  }
  await writer.flush();
  return linked;
}

export async function rejectEntry(
  tx: Executor,
  context: ProcedureContext,
  entry: EntryRow,
  actor: string,
  note: string,
  now: Date,
) {
  const writer = new EntryWriter(tx, context, now);
  const rejected = await writer.move(
    entry,
    { status: 'rejected', decidedAt: now, decidedBy: actor, endedAt: now, endReason: 'rejected' },
    actor,
    note,
  );
  await writer.flush();
  return rejected;
}

/** Published entries whose validity is over exit (the daily pass). */
export async function expireEntries(
  tx: Executor,
  context: ProcedureContext,
  now: Date,
  limit: number,
): Promise<number> {
  const due = await context.store.entries.publishedEndedBy(now, limit, tx);
  const writer = new EntryWriter(tx, context, now);
  for (const entry of due) await exitEntry(writer, tx, entry, 'validity_ended', 'system', now);
  await writer.flush();
  return due.length;
}
