import type { Executor } from '@credit/db';
import { discloseIdentity, type IdentityReader, type ListEntryView, type SubjectKind } from '@credit/schema';
import type { EntryRow, ProcedureContext } from './entry-writer.ts';
import { toMeasure } from './verdicts.ts';

/** Entries as the API shows them, with measures, history and the subject as `reader` may see it. */
export async function entryViews(
  executor: Executor,
  context: Pick<ProcedureContext, 'keyring' | 'store'>,
  entries: EntryRow[],
  reader: IdentityReader,
): Promise<ListEntryView[]> {
  if (entries.length === 0) return [];
  const { keyring, store } = context;
  const allMeasures = new Map((await store.measures.all(executor)).map((m) => [m.code, m]));
  const keys = [...new Map(entries.map((e) => [e.subjectKey.toString('hex'), e.subjectKey])).values()];
  const subjectRows = new Map(
    (await store.subjects.findMany(keys, executor)).map((s) => [s.subjectKey.toString('hex'), s]),
  );
  const views: ListEntryView[] = [];
  for (const entry of entries) {
    const subject = subjectRows.get(entry.subjectKey.toString('hex'));
    const aad = (label: string) => Buffer.concat([Buffer.from(label), entry.subjectKey]);
    const identifier = subject
      ? keyring.decrypt(subject.keyId, subject.identifierCipher, aad('identifier:'))
      : '';
    const name = subject ? keyring.decrypt(subject.keyId, subject.nameCipher, aad('name:')) : '';
    const history = await store.entries.historyOf(entry, executor);
    views.push({
      id: entry.entryId,
      subject: {
        kind: entry.subjectKind as ListEntryView['subject']['kind'],
        ...discloseIdentity(reader, 'subject', entry.subjectKind as SubjectKind, { id: identifier, name }),
      },
      listKind: entry.listKind,
      domain: entry.domain as ListEntryView['domain'],
      rule: { code: entry.ruleCode, version: entry.ruleVersion },
      identifyingDepartment: entry.identifyingDepartment,
      status: entry.status,
      basis: entry.basis,
      measures: entry.measures.flatMap((code) => {
        const row = allMeasures.get(code);
        return row ? [toMeasure(row)] : [];
      }),
      proposedAt: entry.proposedAt.toISOString(),
      objectionUntil: entry.objectionUntil?.toISOString() ?? null,
      decidedAt: entry.decidedAt?.toISOString() ?? null,
      validFrom: entry.validFrom?.toISOString() ?? null,
      validUntil: entry.validUntil?.toISOString() ?? null,
      endedAt: entry.endedAt?.toISOString() ?? null,
      endReason: entry.endReason,
      parentEntryId: entry.parentEntryId,
      relatedRole: entry.relatedRole,
      history: history.map((h) => ({
        status: h.status,
        at: h.at.toISOString(),
        actor: h.actor,
        note: h.note,
      })),
    });
  }
  return views;
}
