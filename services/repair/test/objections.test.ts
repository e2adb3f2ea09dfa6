import type { TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, company, push, record, repairPlatform } from './helpers.ts';

let platform: TestPlatform;
let a: Actors;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform();
  at('2026-01-20T02:00:00Z');
  a = await actors(platform, ['administrative_penalty', 'org_licence']);
});
afterAll(async () => platform?.close());

async function object(subjectId: string, recordId: string) {
  const token = await platform.token('subject', { subject: subjectId });
  return platform.request({
    method: 'POST',
    url: '/v1/objections',
    token,
    body: { target: { type: 'record', id: recordId }, reason: '处罚决定已被复议撤销' },
  });
}

const decide = (id: string, outcome: 'upheld' | 'rejected', token = a.provider) =>
  platform.request({
    method: 'POST',
    url: `/v1/objections/${id}/decision`,
    token,
    body: { outcome, note: '经核查' },
  });
const admit = (id: string, token = a.provider) =>
  platform.request({
    method: 'POST',
    url: `/v1/objections/${id}/admission`,
    token,
    body: { admissible: true, note: '受理' },
  });

describe('objections (异议)', () => {
  it('answers within 30 days of filing; an upheld one is corrected within 3 working days across the Spring Festival', async () => {
    const org = company();
    const { id: recordId } = await push(platform, a.provider, record('administrative_penalty', org));
    await platform.drainConsumers();
    at('2026-01-31T02:00:00Z');
    const filed = await object(org.id, recordId);
    expect(filed.statusCode, filed.body).toBe(201);
    const objection = filed.json();
    expect(objection).toMatchObject({
      status: 'submitted',
      responsibleDepartment: a.providerCode,
      dueAt: '2026-03-02T15:59:59.999Z',
    });

    // The record is marked disputed at once, and the subject's report shows it.
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: org.id });
    const report = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json()
      .report;
    expect(report.items.find((i: { recordId: string }) => i.recordId === recordId).marks.disputed).toBe(true);

    expect((await admit(objection.id)).json().status).toBe('under_review');
    at('2026-02-13T02:00:00Z'); // Friday before the holiday; Saturday Feb 14 is a make-up workday
    const upheld = (await decide(objection.id, 'upheld')).json();
    expect(upheld).toMatchObject({ status: 'upheld', outcome: 'upheld' });
    expect(upheld.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'answer', met: true }),
        expect.objectContaining({ kind: 'correction', dueAt: '2026-02-25T15:59:59.999Z', met: false }),
      ]),
    );
    expect(upheld.history.map((h: { status: string }) => h.status)).toEqual([
      'submitted',
      'accepted',
      'under_review',
      'upheld',
    ]);
  });

  it('tells the applicant within 7 working days when rejected (National Day 2026) and lifts the mark', async () => {
    at('2026-09-20T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2026-09-01' }),
    );
    await platform.drainConsumers();
    const objection = (await object(org.id, recordId)).json();
    await admit(objection.id);
    at('2026-09-30T08:00:00Z');
    const rejected = (await decide(objection.id, 'rejected')).json();
    expect(rejected).toMatchObject({ status: 'closed', outcome: 'rejected' });
    expect(rejected.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'notification', dueAt: '2026-10-15T15:59:59.999Z', met: true }),
      ]),
    );

    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: org.id });
    const report = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json()
      .report;
    expect(report.items.find((i: { recordId: string }) => i.recordId === recordId).marks.disputed).toBe(
      false,
    );
    const notices = (await platform.request({ url: `/v1/subjects/${org.id}/notices`, token: own })).json()
      .items;
    expect(notices.map((n: { detail: { status: string } }) => n.detail.status)).toEqual(
      expect.arrayContaining(['submitted', 'closed']),
    );
  });

  it('refuses an objection to someone else’s record, a second open objection, and a decision by another department', async () => {
    at('2026-03-02T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(platform, a.provider, record('administrative_penalty', org));
    await platform.drainConsumers();
    expect((await object(company().id, recordId)).json()).toMatchObject({ status: 403 });
    const first = (await object(org.id, recordId)).json();
    const second = (await object(org.id, recordId)).json();
    expect(second).toMatchObject({ status: 409, code: 'already_under_objection', objectionId: first.id });
    const stranger = await platform.token('provider', { org: 'another-dept' });
    expect((await decide(first.id, 'rejected', stranger)).json()).toMatchObject({
      status: 403,
      code: 'not_responsible_department',
    });
  });

  it('refuses to compute a deadline into a year without calendar data, until the credit office loads it', async () => {
    at('2026-12-20T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2026-12-01' }),
    );
    await platform.drainConsumers();
    const objection = (await object(org.id, recordId)).json();
    at('2026-12-28T02:00:00Z');
    const refused = await decide(objection.id, 'rejected');
    expect(refused.json()).toMatchObject({ status: 422, code: 'calendar_unavailable', year: 2027 });
    expect(
      (await platform.request({ url: `/v1/objections/${objection.id}`, token: a.admin })).json().status,
    ).toBe('submitted');

    const load = await platform.request({
      method: 'PUT',
      url: '/v1/calendar/2027',
      token: a.admin,
      body: { holidays: ['2027-01-01'], workdays: [] },
    });
    expect(load.statusCode, load.body).toBe(200);
    const decided = (await decide(objection.id, 'rejected')).json();
    // Dec 29, 30, 31, (Jan 1 off), Jan 4, 5, 6, 7 → the seventh working day is January 7.
    expect(decided.deadlines.find((d: { kind: string }) => d.kind === 'notification').dueAt).toBe(
      '2027-01-07T15:59:59.999Z',
    );
    expect((await platform.request({ url: '/v1/calendar' })).json().years).toContain(2027);
  });

  it('lists overdue objections for the credit office', async () => {
    at('2026-04-01T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2026-03-20' }),
    );
    await platform.drainConsumers();
    const objection = (await object(org.id, recordId)).json();
    at('2026-05-15T02:00:00Z');
    const overdue = (await platform.request({ url: '/v1/objections?overdue=true', token: a.admin })).json()
      .items;
    expect(overdue.map((o: { id: string }) => o.id)).toContain(objection.id);
    expect(overdue.find((o: { id: string }) => o.id === objection.id).overdue).toBe(true);
  });
});
