import type { DevIssuer } from '@credit/auth';
import { shanghaiDate, shanghaiTime } from '@credit/calendar';
import { findEntry } from '@credit/schema';
import type { DemoSubject } from './demo-world.ts';

/**
 * Moves the platform's clock while the demo replays what happened before today. The server is not
 * listening yet, so no caller ever sees the clock anywhere but in the present.
 */
export interface DemoTimeMachine {
  travelTo(at: Date): void;
  backToPresent(): void;
}

/**
 * The all-in-one server's clock: the real time, shifted only while the demo replays its history
 * on first start (a test platform's clock plays the same part in tests).
 */
export class DemoClock implements DemoTimeMachine {
  #offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.#offsetMs);
  travelTo(at: Date): void {
    this.#offsetMs = at.getTime() - Date.now();
  }
  backToPresent(): void {
    this.#offsetMs = 0;
  }
}

/** What the history needs of the demo's loader: calls through the platform's own API. */
export interface DemoApi {
  call<T = unknown>(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    bearer: string,
    body?: unknown,
  ): Promise<T>;
  token(roles: Parameters<DevIssuer['sign']>[0]['roles'], org?: string, subjectId?: string): Promise<string>;
  /** Lets every event consumer apply what is committed (lists follow records through events). */
  drain(): Promise<void>;
}

export interface ListHistory {
  /** On the black list since its publication, with its legal representative linked. */
  debtor: DemoSubject;
  representative: DemoSubject;
  debtorEntryId: string | undefined;
  /** Listed, then off the list once the court withdrew the record (the debt was paid). */
  settled: DemoSubject;
  settledEntryId: string | undefined;
}

interface EntryView {
  id: string;
  status: string;
  objectionUntil: string | null;
  rule: { code: string };
}

const dayMs = 86_400_000;
/** 10:00 in Shanghai on the day `days` after `from`: office hours, whatever the present time. */
function officeHours(from: Date, days: number): Date {
  return shanghaiTime(shanghaiDate(new Date(from.getTime() + days * dayMs)), '10:00');
}

/**
 * Replays the identification procedure of the court's black list (失信被执行人) as it happened,
 * through the API with the clock set back: five months ago the court pushed two judgement
 * debtors and both were noticed with a 10-working-day objection window; the day after the window
 * the court published them (the first with its legal representative linked); three months ago
 * the second paid and the court withdrew its record, so that entry exited. A newcomer then sees a
 * published entry, its measures (a tender check answers deny) and an exit from the first minute.
 * Idempotent: steps already taken are not taken again.
 */
export async function replayListHistory(
  api: DemoApi,
  time: DemoTimeMachine,
  present: Date,
  subjects: { debtor: DemoSubject; representative: DemoSubject; settled: DemoSubject },
): Promise<ListHistory> {
  const court = await api.token(['provider'], 'zb-court');
  const courtStaff = await api.token(['government'], 'zb-court');
  const admin = await api.token(['admin'], 'credit-office');
  const sample = findEntry('dishonest_judgement_debtor')?.sample ?? {};
  const start = officeHours(present, -150);
  const judgement = (subject: DemoSubject, caseNumber: string, related?: DemoSubject) => ({
    sourceId: `DEMO-HISTORY-${caseNumber}`,
    category: 'dishonest_judgement_debtor',
    subject,
    occurredAt: officeHours(start, -7).toISOString().slice(0, 10),
    data: { ...sample, caseNumber: `（${start.getUTCFullYear()}）鲁03执${caseNumber}号` },
    ...(related
      ? { relatedPersons: [{ role: 'legal_representative', id: related.id, name: related.name }] }
      : {}),
  });
  const courtEntry = async (subject: DemoSubject) => {
    const { items } = await api.call<{ items: EntryView[] }>(
      'GET',
      `/v1/subjects/${subject.id}/list-entries`,
      admin,
    );
    return items.find((e) => e.rule.code === 'demo-court-debtors');
  };

  try {
    time.travelTo(start);
    const settledRecord = judgement(subjects.settled, '208');
    await api.call('POST', '/v1/records', court, judgement(subjects.debtor, '207', subjects.representative));
    await api.call('POST', '/v1/records', court, settledRecord);
    await api.drain();

    for (const subject of [subjects.debtor, subjects.settled]) {
      const entry = await courtEntry(subject);
      if (entry?.status !== 'noticed' || !entry.objectionUntil) continue;
      time.travelTo(officeHours(new Date(entry.objectionUntil), 1));
      await api.call('POST', `/v1/list-entries/${entry.id}/decision`, courtStaff, {
        decision: 'publish',
        note: '经审查，认定为失信被执行人（演示数据）',
      });
      await api.drain();
    }

    if ((await courtEntry(subjects.settled))?.status === 'published') {
      time.travelTo(officeHours(present, -90));
      await api.call('DELETE', `/v1/records/by-source/${settledRecord.sourceId}`, court, {
        reason: '被执行人已履行生效法律文书确定的全部义务（演示数据）',
        reasonCode: 'obligation_performed',
      });
      await api.drain();
    }
  } finally {
    time.backToPresent();
  }
  return {
    ...subjects,
    debtorEntryId: (await courtEntry(subjects.debtor))?.id,
    settledEntryId: (await courtEntry(subjects.settled))?.id,
  };
}
