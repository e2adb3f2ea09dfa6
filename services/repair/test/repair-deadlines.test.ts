import { addMonths, shanghaiDate } from '@credit/calendar';
import { company, expectPaginatesToEnd, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/**
 * Repair deadlines (国办发〔2025〕22号 §四): acceptance within 3 working days of receipt, the result
 * within 10 working days of filing whenever acceptance happened; on the official calendars.
 */
let platform: TestPlatform;
let a: Actors;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform();
  at('2025-06-02T02:00:00Z');
  a = await actors(platform, ['administrative_penalty']);
});
afterAll(async () => platform?.close());

interface Deadline {
  kind: string;
  dueAt: string | null;
  met: boolean;
}
const due = (view: { deadlines: Deadline[] }, kind: string) =>
  view.deadlines.find((d) => d.kind === kind)?.dueAt;

/** A general penalty four months old (repairable after three) and the subject's application on `filedAt`. */
async function fileRepair(filedAt: string) {
  at(filedAt);
  const org = company();
  const { id: recordId } = await push(
    platform,
    a.provider,
    record('administrative_penalty', org, { occurredAt: shanghaiDate(addMonths(new Date(filedAt), -4)) }),
  );
  await platform.drainConsumers();
  const own = await platform.token('subject', { subject: org.id });
  const filed = await platform.request({
    method: 'POST',
    url: '/v1/repairs',
    token: own,
    body: {
      target: { type: 'record', id: recordId },
      obligationPerformed: true,
      evidence: [{ description: '罚款已缴纳' }],
      commitment: '本单位承诺今后依法诚信经营，自觉接受社会监督。',
    },
  });
  expect(filed.statusCode, filed.body).toBe(201);
  return { repair: filed.json(), own, org };
}

const step = (id: string, action: string, token: string) =>
  platform.request({ method: 'POST', url: `/v1/repairs/${id}/steps`, token, body: { action, note: action } });

describe('repair application deadlines', () => {
  it('accepts within 3 working days of receipt and answers within 10 of filing (Spring Festival 2026)', async () => {
    // Thursday Feb 12: Feb 13, make-up Saturday Feb 14, then Feb 15–23 off → Feb 24.
    const { repair } = await fileRepair('2026-02-12T02:00:00Z');
    expect(due(repair, 'acceptance')).toBe('2026-02-24T15:59:59.999Z');
    // 13, 14, 24, 25, 26, 27, make-up Saturday 28, Mar 2, 3, 4.
    expect(due(repair, 'result')).toBe('2026-03-04T15:59:59.999Z');
    expect(repair.dueAt).toBe('2026-02-24T15:59:59.999Z');

    // A late acceptance does not push the result deadline.
    at('2026-02-27T02:00:00Z');
    const accepted = (await step(repair.id, 'accept', a.admin)).json();
    expect(accepted.status).toBe('accepted');
    expect(due(accepted, 'result')).toBe('2026-03-04T15:59:59.999Z');
    expect(accepted.dueAt).toBe('2026-03-04T15:59:59.999Z');
    expect(accepted.deadlines.find((d: Deadline) => d.kind === 'acceptance')).toMatchObject({ met: true });
  });

  it('counts the National Day make-up Saturday for acceptance (2026)', async () => {
    const { repair } = await fileRepair('2026-09-30T02:00:00Z');
    expect(due(repair, 'acceptance')).toBe('2026-10-10T15:59:59.999Z');
    expect(due(repair, 'result')).toBe('2026-10-20T15:59:59.999Z');
  });

  it('counts the 2025 Spring Festival and its make-up Sunday and Saturday', async () => {
    // 2025: Jan 28 – Feb 4 off; Sunday Jan 26 and Saturday Feb 8 are workdays.
    const { repair } = await fileRepair('2025-01-24T02:00:00Z');
    // Make-up Sunday Jan 26, Monday 27, then Feb 5.
    expect(due(repair, 'acceptance')).toBe('2025-02-05T15:59:59.999Z');
    // 26, 27, Feb 5, 6, 7, make-up Saturday 8, 10, 11, 12, 13.
    expect(due(repair, 'result')).toBe('2025-02-13T15:59:59.999Z');
  });

  it('pauses both deadlines while waiting for a supplement and resumes each with its days left', async () => {
    // Monday 2026-03-02: acceptance due Thursday Mar 5, result due Monday Mar 16.
    const { repair, own } = await fileRepair('2026-03-02T02:00:00Z');
    at('2026-03-03T02:00:00Z');
    const paused = (await step(repair.id, 'request_supplement', a.admin)).json();
    expect(paused).toMatchObject({ status: 'needs_supplement', dueAt: null });
    at('2026-03-20T02:00:00Z');
    const resumed = (
      await platform.request({
        method: 'POST',
        url: `/v1/repairs/${repair.id}/supplement`,
        token: own,
        body: { evidence: [{ description: '整改报告' }] },
      })
    ).json();
    // On Mar 3 two working days of acceptance and nine of the result were left; from Friday Mar 20.
    expect(due(resumed, 'acceptance')).toBe('2026-03-24T15:59:59.999Z');
    expect(due(resumed, 'result')).toBe('2026-04-02T15:59:59.999Z');
  });

  it('lists a department’s application as overdue once its result deadline passed', async () => {
    const { repair } = await fileRepair('2026-04-01T02:00:00Z');
    await step(repair.id, 'accept', a.admin);
    at('2026-04-17T02:00:00Z'); // the result was due Thursday Apr 16 (Apr 4–6 Qingming off)
    const overdue = (await platform.request({ url: '/v1/repairs?overdue=true', token: a.provider })).json()
      .items;
    expect(overdue.map((r: { id: string }) => r.id)).toContain(repair.id);
  });

  it('pages a department’s applications, and the overdue ones, to the end', async () => {
    for (const filedAt of ['2026-05-06T02:00:00Z', '2026-05-07T02:00:00Z', '2026-05-08T02:00:00Z'])
      await fileRepair(filedAt);
    at('2026-06-30T02:00:00Z'); // every acceptance deadline has passed
    for (const url of ['/v1/repairs', '/v1/repairs?overdue=true']) {
      const all = await platform.request({
        url: `${url}${url.includes('?') ? '&' : '?'}limit=500`,
        token: a.provider,
      });
      const expected = all.json().items.map((r: { id: string }) => r.id);
      await expectPaginatesToEnd(platform, {
        url,
        token: a.provider,
        limit: 2,
        idOf: (r: { id: string }) => r.id,
        expected,
        ordered: true,
      });
    }
  });

  it('computes an open case filed under the earlier rule again when the service starts', async () => {
    const { repair, own, org } = await fileRepair('2026-02-12T02:00:00Z');
    // The case as the earlier rule left it (acceptance 10 working days out, no result deadline)
    // and as migration 0002 marks it.
    await platform.database.query(
      `UPDATE repair.repairs SET accept_due_at = '2026-03-04T15:59:59.999Z', result_due_at = NULL,
         deadlines_pending = true WHERE repair_id = $1`,
      [repair.id],
    );
    at('2026-02-13T02:00:00Z');
    await platform.restart();
    const view = (await platform.request({ url: `/v1/repairs/${repair.id}`, token: own })).json();
    expect(due(view, 'acceptance')).toBe('2026-02-24T15:59:59.999Z');
    expect(due(view, 'result')).toBe('2026-03-04T15:59:59.999Z');
    expect(view.history.map((h: { status: string }) => h.status)).toEqual([
      'submitted',
      'deadlines_recomputed',
    ]);
    const notices = (await platform.request({ url: `/v1/subjects/${org.id}/notices`, token: own })).json()
      .items;
    expect(notices.map((n: { title: string }) => n.title)).toContain('repair deadlines recomputed');
  });
});
