import type { Executor } from '@credit/db';
import { and, inArray, or } from 'drizzle-orm';
import { records, recordVersions } from '../db/schema.ts';
import type { PreparedRecord } from './prepared-record.ts';

export interface ReferenceProblem {
  path: string;
  detail: string;
}

/** The record an item refers to by its catalogue entry's `refersTo` field, if it has one. */
function referenceOf(item: PreparedRecord): { field: string; entry: string; ref: string } | undefined {
  const refersTo = item.record.entry.refersTo;
  const ref = refersTo ? item.record.data[refersTo.field] : undefined;
  return refersTo && typeof ref === 'string' ? { ...refersTo, ref } : undefined;
}

/**
 * Checks the records that items refer to (a breach names the credit commitment it breaks): the
 * referred record must be of the entry the catalogue names, about the same subject, and
 * standing — on file and not withdrawn, or pushed earlier in the same chunk. It may be named by
 * its sourceId (any provider's: the accepting department is often not the one finding the
 * breach) or by the platform's record id. Two queries for the whole chunk.
 */
export async function checkReferences(
  tx: Executor,
  items: readonly PreparedRecord[],
): Promise<Map<number, ReferenceProblem>> {
  const problems = new Map<number, ReferenceProblem>();
  const referring = items.flatMap((item) => {
    const reference = referenceOf(item);
    return reference ? [{ item, ...reference }] : [];
  });
  if (referring.length === 0) return problems;

  const refs = [...new Set(referring.map((r) => r.ref))];
  const onFile = await tx
    .select({
      subjectKey: records.subjectKey,
      recordId: records.recordId,
      sourceId: records.sourceId,
      category: records.category,
    })
    .from(records)
    .where(
      and(
        inArray(records.subjectKey, [
          ...new Map(referring.map((r) => [r.item.subjectKey.toString('hex'), r.item.subjectKey])).values(),
        ]),
        inArray(records.category, [...new Set(referring.map((r) => r.entry))]),
        or(inArray(records.sourceId, refs), inArray(records.recordId, refs)),
      ),
    );
  const versions = onFile.length
    ? await tx
        .select({
          recordId: recordVersions.recordId,
          version: recordVersions.version,
          status: recordVersions.status,
        })
        .from(recordVersions)
        .where(
          and(
            inArray(recordVersions.subjectKey, [...new Set(onFile.map((r) => r.subjectKey))]),
            inArray(
              recordVersions.recordId,
              onFile.map((r) => r.recordId),
            ),
          ),
        )
    : [];
  const latest = new Map<string, { version: number; status: string }>();
  for (const v of versions) {
    const held = latest.get(v.recordId);
    if (!held || held.version < v.version) latest.set(v.recordId, v);
  }

  for (const { item, field, entry, ref } of referring) {
    const names = (candidate: { sourceId: string; recordId: string }) =>
      candidate.sourceId === ref || candidate.recordId === ref;
    const earlierInChunk = items.some(
      (other) =>
        other.index < item.index &&
        other.record.entry.code === entry &&
        other.subjectKey.equals(item.subjectKey) &&
        names(other),
    );
    if (earlierInChunk) continue;
    const found = onFile.filter(
      (r) => r.category === entry && r.subjectKey.equals(item.subjectKey) && names(r),
    );
    if (found.some((r) => latest.get(r.recordId)?.status === 'active')) continue;
    problems.set(item.index, {
      path: `data.${field}`,
      detail:
        found.length > 0
          ? `the ${entry} record '${ref}' of this subject has been withdrawn`
          : `no ${entry} record '${ref}' of this subject is on file`,
    });
  }
  return problems;
}
