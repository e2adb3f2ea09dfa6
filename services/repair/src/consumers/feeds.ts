import { parseOccurrence, shanghaiDate } from '@credit/calendar';
import { bulkUpsert, type Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import {
  erasuresIn,
  gradeEventSchemas,
  gradeEventTypes,
  industryEvaluationEventSchemas,
  industryEvaluationEventTypes,
  latestRecordEvents,
  listingChangeSchema,
  type RecordEvent,
  recordVersionPayloads,
} from '@credit/schema';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { evaluations, listEntries, records } from '../db/schema.ts';
import { Journal, type RepairContext } from '../domain/journal.ts';
import { correctionArrived } from '../domain/objections.ts';

export const recordFeedName = 'repair-records';
export const sanctionsFeedName = 'repair-sanctions';

/** Records as far as objections, repairs and expiry need them; a provider's correction closes an upheld objection. */
export function recordFeed(context: RepairContext) {
  return async (tx: Executor, events: FeedEvent[]): Promise<void> => {
    const latest = latestRecordEvents(recordVersionPayloads(events));
    if (latest.length > 0) await upsertRecords(tx, context, latest);
    // This copy holds dates and categories, no content; the severity of an erased version goes.
    for (const erasure of erasuresIn(events)) {
      await tx
        .update(records)
        .set({ severity: null })
        .where(
          and(
            eq(records.subjectKey, erasure.subjectKey),
            eq(records.recordId, erasure.recordId),
            inArray(records.version, erasure.versions),
          ),
        );
    }
  };
}

async function upsertRecords(tx: Executor, context: RepairContext, latest: RecordEvent[]): Promise<void> {
  await bulkUpsert(
    tx,
    records,
    latest.map((e) => ({
      subjectKey: Buffer.from(e.subject.key, 'hex'),
      recordId: e.recordId,
      version: e.version,
      status: e.status,
      category: e.category,
      classCode: e.classCode,
      severity: e.severity,
      occurredAt: parseOccurrence(e.occurredAt).at,
      displayUntil: e.displayUntil ? new Date(e.displayUntil) : null,
      providerCode: e.provider,
      receivedAt: new Date(e.receivedAt),
    })),
    {
      target: ['subjectKey', 'recordId'],
      update: ['version', 'status', 'severity', 'occurredAt', 'displayUntil', 'receivedAt'],
      newer: 't.version < excluded.version',
    },
  );
  for (const e of latest) {
    if (e.version > 1) await correctionArrived(tx, context, e.recordId, new Date(e.receivedAt));
  }
}

const gradeSchema = z.object({
  evaluationId: z.string(),
  domain: z.string(),
  year: z.number(),
  grade: z.string(),
  department: z.string(),
});

const noticeTitles: Record<string, string> = {
  'list.entry.noticed': '列入名单告知（可在异议期内提出异议）',
  'list.entry.proposed': '拟列入守信激励名单',
  'list.entry.published': '名单认定结果',
  'list.entry.rejected': '名单不予认定',
  'list.entry.cancelled': '名单认定程序终止',
  'list.entry.exited': '移出名单',
};

/** A list notice's title; the identification notice names the last day objections are taken. */
function noticeTitle(type: string, objectionDeadline: string | null): string {
  if (type === 'list.entry.noticed' && objectionDeadline) {
    const [year, month, day] = objectionDeadline.split('-').map(Number);
    return `列入名单告知：异议期至${year}年${month}月${day}日（含当日），可在此前提出异议`;
  }
  return noticeTitles[type] ?? type;
}

/**
 * List entries and evaluations from the sanctions feed (so objections and repairs can find who
 * decides them), and the sanctions service's notices to subjects (告知), kept as their notices.
 */
export function sanctionsFeed(context: RepairContext) {
  return async (tx: Executor, events: FeedEvent[]): Promise<void> => {
    const journal = new Journal(context, tx, context.clock());
    for (const event of events) {
      if (event.type === 'grade.assigned') {
        const grade = gradeSchema.parse(event.payload);
        await tx
          .insert(evaluations)
          .values({ subjectKey: event.subjectKey, ...grade, updatedAt: event.createdAt })
          .onConflictDoUpdate({
            target: [evaluations.subjectKey, evaluations.evaluationId],
            set: { grade: grade.grade, department: grade.department, updatedAt: event.createdAt },
          });
        await journal.notice(event.subjectKey, 'evaluation', grade.evaluationId, '信用评价结果', grade);
        continue;
      }
      if (event.type === 'industry_evaluation.published' || event.type === 'industry_evaluation.corrected') {
        // A department's evaluation: the department answers objections to it and corrects it.
        const evaluation = industryEvaluationEventSchemas['industry_evaluation.published'].parse(
          event.payload,
        );
        const row = {
          evaluationId: evaluation.evaluationId,
          domain: evaluation.industry,
          year: Number(evaluation.periodTo.slice(0, 4)),
          grade: evaluation.grade,
          department: evaluation.department,
        };
        await tx
          .insert(evaluations)
          .values({
            subjectKey: event.subjectKey,
            ...row,
            correctedBy: 'department',
            updatedAt: event.createdAt,
          })
          .onConflictDoUpdate({
            target: [evaluations.subjectKey, evaluations.evaluationId],
            set: { grade: row.grade, correctedBy: 'department', updatedAt: event.createdAt },
            setWhere: sql`${evaluations.updatedAt} <= ${event.createdAt}`,
          });
        const corrected = event.type === 'industry_evaluation.corrected';
        await journal.notice(
          event.subjectKey,
          'evaluation',
          evaluation.evaluationId,
          corrected ? '信用评价更正' : '信用评价结果',
          {
            ...row,
            tier: evaluation.tier,
            periodFrom: evaluation.periodFrom,
            periodTo: evaluation.periodTo,
            version: evaluation.version,
          },
        );
        if (corrected) {
          const { correctedAt } = industryEvaluationEventSchemas['industry_evaluation.corrected'].parse(
            event.payload,
          );
          await correctionArrived(tx, context, evaluation.evaluationId, new Date(correctedAt), 'sanctions');
        }
        continue;
      }
      if (event.type === 'grade.withdrawn') {
        // The evaluation stays findable (an objection may name it); the subject is told it no longer stands.
        const grade = gradeEventSchemas['grade.withdrawn'].parse(event.payload);
        await journal.notice(event.subjectKey, 'evaluation', grade.evaluationId, '信用评价撤销', grade);
        continue;
      }
      const change = listingChangeSchema.parse({ ...(event.payload as object), eventId: event.eventId });
      const { entry } = change;
      await tx
        .insert(listEntries)
        .values({
          subjectKey: event.subjectKey,
          entryId: entry.id,
          listKind: entry.listKind,
          domain: entry.domain,
          status: entry.status,
          identifyingDepartment: entry.identifyingDepartment,
          validFrom: entry.validFrom ? new Date(entry.validFrom) : null,
          updatedAt: event.createdAt,
        })
        .onConflictDoUpdate({
          target: [listEntries.subjectKey, listEntries.entryId],
          set: {
            status: entry.status,
            validFrom: entry.validFrom ? new Date(entry.validFrom) : null,
            updatedAt: event.createdAt,
          },
          setWhere: sql`${listEntries.updatedAt} <= ${event.createdAt}`,
        });
      const objectionDeadline = entry.objectionUntil ? shanghaiDate(new Date(entry.objectionUntil)) : null;
      await journal.notice(
        event.subjectKey,
        'list_entry',
        entry.id,
        noticeTitle(event.type, objectionDeadline),
        {
          listKind: entry.listKind,
          domain: entry.domain,
          status: entry.status,
          // The identification notice (认定告知) states the objection deadline it sets.
          ...(event.type === 'list.entry.noticed'
            ? { objectionUntil: entry.objectionUntil ?? null, objectionDeadline }
            : {}),
          validFrom: entry.validFrom,
          validUntil: entry.validUntil,
          endReason: entry.endReason,
        },
      );
    }
    await journal.flush();
  };
}

export const followedSanctionsEvents = [
  ...Object.keys(noticeTitles),
  ...gradeEventTypes,
  ...industryEvaluationEventTypes,
];
