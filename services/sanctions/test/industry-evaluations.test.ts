import { company, push, sourceId, type TestPlatform, type TestSubject } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record, sanctionsPlatform } from './helpers.ts';

let platform: TestPlatform;
let admin: string;
/** A department supervising audit firms, and one supervising tendering agents only. */
let audit: { code: string; token: string };
let tendering: { code: string; token: string };

async function department(industries: string[], categories: string[] = ['administrative_penalty']) {
  const code = `dept-${Math.random().toString(36).slice(2, 9)}`;
  const response = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code, name: `行业主管部门 ${code}`, categories, industries },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { code, token: await platform.token('provider', { org: code }) };
}

const evaluate = (token: string, body: Record<string, unknown>) =>
  platform.request({ method: 'POST', url: '/v1/industry-evaluations', token, body });

const evaluation = (subject: TestSubject, grade: string, overrides: Record<string, unknown> = {}) => ({
  sourceId: sourceId('EVAL'),
  subject: subject.id,
  industry: 'audit',
  grade,
  period: { from: '2025-01-01', to: '2025-12-31' },
  basis: '2025年度会计师事务所执业质量检查及信用评价',
  ...overrides,
});

async function check(action: string, subject: TestSubject) {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/checks',
    token: await platform.token('government', { org: 'lyg-finance' }),
    body: { subject: subject.id, action, purpose: '政府购买服务供应商资格审查' },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const codes = (measures: { code: string }[]) => measures.map((m) => m.code).sort();

beforeAll(async () => {
  platform = await sanctionsPlatform();
  platform.setNow(new Date('2026-05-20T02:00:00Z'));
  admin = await platform.token('admin', { org: 'credit-office' });
  audit = await department(['audit']);
  tendering = await department(['tendering_agency']);
  await platform.drainConsumers();
});
afterAll(async () => platform?.close());

describe('industry credit evaluations (信用评价)', () => {
  it('sets a grade that changes the check answer for government purchasing', async () => {
    const firm = company('连云港某会计师事务所');
    const before = await check('government_procurement', firm);
    expect(before).toMatchObject({ decision: 'allow', measures: [], industryGrades: [] });

    const pushed = await evaluate(audit.token, evaluation(firm, 'A'));
    expect(pushed.statusCode, pushed.body).toBe(201);
    expect(pushed.json()).toMatchObject({
      industry: 'audit',
      grade: 'A',
      tier: 'high',
      department: audit.code,
    });
    const high = await check('government_procurement', firm);
    expect(high.decision).toBe('priority');
    expect(codes(high.measures)).toEqual(['intermediary_procurement_preference']);
    expect(high.industryGrades).toEqual([
      expect.objectContaining({ industry: 'audit', grade: 'A', tier: 'high', department: audit.code }),
    ]);

    // The next period's result replaces it: a low grade warns and restricts entry.
    const lower = await evaluate(
      audit.token,
      evaluation(firm, 'D', { period: { from: '2026-01-01', to: '2026-03-31' } }),
    );
    expect(lower.statusCode, lower.body).toBe(201);
    const low = await check('government_procurement', firm);
    expect(low.decision).toBe('restrict');
    expect(codes(low.measures)).toEqual(['intermediary_credit_warning', 'intermediary_entry_restriction']);

    const supervision = await platform.request({
      url: `/v1/subjects/${firm.id}/supervision`,
      token: audit.token,
    });
    expect(supervision.statusCode, supervision.body).toBe(200);
    expect(supervision.json()).toMatchObject({
      currentDishonesty: false,
      industries: [expect.objectContaining({ grade: 'D', tier: 'low', inspectionsPerYear: 4 })],
      recommendation: { tier: 'low', inspectionsPerYear: 4 },
    });
  });

  it('grants no incentive of a high grade to a subject with current dishonesty', async () => {
    const firm = company('连云港某审计有限公司');
    await evaluate(audit.token, evaluation(firm, 'A'));
    expect((await check('government_procurement', firm)).decision).toBe('priority');
    await push(platform, audit.token, record('administrative_penalty', firm));
    await platform.drainConsumers();
    const answer = await check('government_procurement', firm);
    expect(answer).toMatchObject({ decision: 'allow', measures: [] });
    expect(answer.industryGrades[0]).toMatchObject({ grade: 'A', tier: 'high' });
  });

  it('keeps one evaluation per source id, refuses another department and a grade off the scale', async () => {
    const firm = company('连云港某招标代理有限公司');
    const body = evaluation(firm, 'B');
    const first = await evaluate(audit.token, body);
    const again = await evaluate(audit.token, body);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect((await evaluate(audit.token, { ...body, grade: 'C' })).json()).toMatchObject({
      status: 409,
      code: 'source_id_conflict',
    });

    const stranger = await evaluate(tendering.token, evaluation(firm, 'A'));
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json()).toMatchObject({ code: 'department_not_permitted' });

    const offScale = await evaluate(audit.token, evaluation(firm, 'AAA'));
    expect(offScale.statusCode).toBe(422);
    expect(offScale.json()).toMatchObject({ code: 'grade_off_scale' });
    expect(offScale.json().errors).toEqual([
      expect.objectContaining({ path: 'grade', code: 'grade_off_scale' }),
    ]);
    // A tendering agent's scale has AAA.
    const tenderingGrade = await evaluate(
      tendering.token,
      evaluation(firm, 'AAA', { industry: 'tendering_agency' }),
    );
    expect(tenderingGrade.statusCode, tenderingGrade.body).toBe(201);
  });
});
