import { company, sourceId, type TestPlatform, type TestSubject } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairPlatform } from './helpers.ts';

let platform: TestPlatform;
let admin: string;
let audit: { code: string; token: string };
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform();
  at('2026-01-20T02:00:00Z');
  admin = await platform.token('admin', { org: 'credit-office' });
  const code = `dept-${Math.random().toString(36).slice(2, 9)}`;
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code, name: '市财政局', categories: ['administrative_penalty'], industries: ['audit'] },
  });
  expect(registered.statusCode, registered.body).toBe(201);
  audit = { code, token: await platform.token('provider', { org: code }) };
  await platform.drainConsumers();
});
afterAll(async () => platform?.close());

async function evaluated(firm: TestSubject, grade: string) {
  // Only an agency registered in the industry is evaluated, once the registration has arrived.
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/intermediaries',
    token: audit.token,
    body: { subject: { id: firm.id, name: firm.name }, industry: 'audit' },
  });
  expect([200, 201], registered.body).toContain(registered.statusCode);
  await platform.drainConsumers();
  const response = await platform.request({
    method: 'POST',
    url: '/v1/industry-evaluations',
    token: audit.token,
    body: {
      sourceId: sourceId('EVAL'),
      subject: firm.id,
      industry: 'audit',
      grade,
      period: { from: '2025-01-01', to: '2025-12-31' },
      basis: '2025年度执业质量检查：审计底稿不完整',
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  await platform.drainConsumers();
  return response.json().id as string;
}

async function object(firm: TestSubject, evaluationId: string) {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/objections',
    token: await platform.token('subject', { subject: firm.id }),
    body: { target: { type: 'evaluation', id: evaluationId }, reason: '评价采用的投诉信息已被撤销' },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

const decide = async (id: string, outcome: 'upheld' | 'rejected') => {
  await platform.request({
    method: 'POST',
    url: `/v1/objections/${id}/admission`,
    token: audit.token,
    body: { admissible: true, note: '受理' },
  });
  const response = await platform.request({
    method: 'POST',
    url: `/v1/objections/${id}/decision`,
    token: audit.token,
    body: { outcome, note: '经核查' },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

const procurementCheck = async (firm: TestSubject) =>
  (
    await platform.request({
      method: 'POST',
      url: '/v1/checks',
      token: await platform.token('government', { org: 'lyg-finance' }),
      body: { subject: firm.id, action: 'government_procurement', purpose: '政府购买服务' },
    })
  ).json();

async function currentGrades(firm: TestSubject) {
  const response = await platform.request({
    url: `/v1/subjects/${firm.id}/grades`,
    token: await platform.token('subject', { subject: firm.id }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().current;
}

/** The firm's grades in the intermediaries' column (专栏公示). */
async function columnGrades(firm: TestSubject) {
  const response = await platform.request({ url: `/v1/public/intermediaries/${firm.id}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().grades;
}

describe('objections to an industry evaluation (信用评价异议, seeds/003 四(七))', () => {
  it('is answered by the evaluating department within 30 days; upheld, the corrected grade is re-published within 3 working days and checks use it', async () => {
    const firm = company('连云港某会计师事务所');
    const registered = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: audit.token,
      body: { subject: { id: firm.id, name: firm.name }, industry: 'audit' },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const evaluationId = await evaluated(firm, 'D');
    expect(await columnGrades(firm)).toEqual([expect.objectContaining({ grade: 'D', disputed: false })]);
    expect((await procurementCheck(firm)).decision).toBe('restrict');
    // The subject's file shows the department's evaluation (the query side follows the event).
    expect(await currentGrades(firm)).toEqual([
      expect.objectContaining({
        evaluationId,
        domain: 'audit',
        year: 2025,
        grade: 'D',
        department: audit.code,
        disputed: false,
      }),
    ]);

    at('2026-01-31T02:00:00Z');
    const objection = await object(firm, evaluationId);
    expect(objection).toMatchObject({
      status: 'submitted',
      responsibleDepartment: audit.code,
      dueAt: '2026-03-02T15:59:59.999Z',
    });
    // Under objection the grade reads disputed (异议中) where it is shown, and checks still apply
    // it, as they apply a disputed record (docs/disclosure-rules.md).
    await platform.drainConsumers();
    expect(await currentGrades(firm)).toEqual([expect.objectContaining({ evaluationId, disputed: true })]);
    expect(await columnGrades(firm)).toEqual([expect.objectContaining({ grade: 'D', disputed: true })]);
    const disputedCheck = await procurementCheck(firm);
    expect(disputedCheck.decision).toBe('restrict');
    expect(disputedCheck.industryGrades).toEqual([expect.objectContaining({ evaluationId, grade: 'D' })]);

    at('2026-02-13T02:00:00Z'); // Friday before the Spring Festival; Saturday Feb 14 is a make-up workday
    const upheld = await decide(objection.id, 'upheld');
    // The department corrects it: the objection waits for that, as one on a record waits for its provider.
    expect(upheld).toMatchObject({ status: 'upheld', outcome: 'upheld' });
    expect(upheld.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'answer', met: true }),
        expect.objectContaining({ kind: 'correction', dueAt: '2026-02-25T15:59:59.999Z', met: false }),
      ]),
    );
    // Upheld, it stays disputed until the department's correction closes the objection.
    await platform.drainConsumers();
    expect(await currentGrades(firm)).toEqual([expect.objectContaining({ grade: 'D', disputed: true })]);

    at('2026-02-24T02:00:00Z');
    const corrected = await platform.request({
      method: 'POST',
      url: `/v1/industry-evaluations/${evaluationId}/corrections`,
      token: audit.token,
      body: {
        grade: 'A',
        basis: '剔除已撤销的投诉后重新评价',
        reason: '异议成立：评价采用了已撤销的投诉信息',
        objectionId: objection.id,
      },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(corrected.json()).toMatchObject({ grade: 'A', tier: 'high', version: 2 });
    await platform.drainConsumers();

    const closed = (
      await platform.request({ url: `/v1/objections/${objection.id}`, token: audit.token })
    ).json();
    expect(closed).toMatchObject({ status: 'closed', outcome: 'upheld', overdue: false });
    expect(closed.deadlines).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'correction', met: true })]),
    );
    expect(await currentGrades(firm)).toEqual([
      expect.objectContaining({ evaluationId, grade: 'A', disputed: false }),
    ]);
    expect(await columnGrades(firm)).toEqual([expect.objectContaining({ grade: 'A', disputed: false })]);
    const answer = await procurementCheck(firm);
    expect(answer.decision).toBe('priority');
    expect(answer.industryGrades).toEqual([expect.objectContaining({ evaluationId, grade: 'A' })]);
  });

  it('reads overdue when the correction is late', async () => {
    at('2026-03-02T02:00:00Z');
    const firm = company('连云港某审计事务所');
    const evaluationId = await evaluated(firm, 'C');
    const objection = await object(firm, evaluationId);
    await decide(objection.id, 'upheld');
    at('2026-03-10T02:00:00Z');
    const late = (await platform.request({ url: `/v1/objections/${objection.id}`, token: admin })).json();
    expect(late).toMatchObject({ status: 'upheld', overdue: true });
    expect(late.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'correction', dueAt: '2026-03-05T15:59:59.999Z', overdue: true }),
      ]),
    );
  });

  it('tells the applicant within 7 working days when the original is upheld, and the grade stands', async () => {
    at('2026-09-20T02:00:00Z');
    const firm = company('连云港某会计咨询有限公司');
    const evaluationId = await evaluated(firm, 'C');
    const objection = await object(firm, evaluationId);
    at('2026-09-30T08:00:00Z');
    const rejected = await decide(objection.id, 'rejected');
    expect(rejected).toMatchObject({ status: 'closed', outcome: 'rejected' });
    expect(rejected.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'notification', dueAt: '2026-10-15T15:59:59.999Z', met: true }),
      ]),
    );
    await platform.drainConsumers();
    expect((await procurementCheck(firm)).industryGrades).toEqual([
      expect.objectContaining({ evaluationId, grade: 'C', tier: 'low' }),
    ]);
    expect(await currentGrades(firm)).toEqual([
      expect.objectContaining({ evaluationId, grade: 'C', disputed: false }),
    ]);
  });
});
