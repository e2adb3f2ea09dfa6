import { intermediaryBlacklistRule, subjectKeyOf } from '@credit/schema';
import {
  company,
  defineRule,
  expectPaginatesToEnd,
  person,
  push,
  sourceId,
  type TestPlatform,
  type TestSubject,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { industryEvaluationId } from '../src/domain/industry-evaluations.ts';
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

/** Registers an agency with its supervising department (ingest); the sanctions service learns it from the feed. */
async function register(by: { token: string }, agency: TestSubject, industry: string) {
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/intermediaries',
    token: by.token,
    body: { subject: { id: agency.id, name: agency.name }, industry },
  });
  expect(registered.statusCode, registered.body).toBe(201);
}

/** An agency registered in the industry, and the registration followed by the sanctions service. */
async function agencyOf(by: { token: string }, name: string, industry = 'audit'): Promise<TestSubject> {
  const agency = company(name);
  await register(by, agency, industry);
  await platform.drainConsumers();
  return agency;
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

async function check(
  action: string,
  subject: TestSubject | undefined,
  parties?: { role: string; id: string }[],
) {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/checks',
    token: await platform.token('government', { org: 'lyg-finance' }),
    body: {
      ...(subject ? { subject: subject.id } : {}),
      action,
      purpose: '政府购买服务供应商资格审查',
      ...(parties ? { parties } : {}),
    },
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
    const firm = await agencyOf(audit, '连云港某会计师事务所');
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
    const firm = await agencyOf(audit, '连云港某审计有限公司');
    await evaluate(audit.token, evaluation(firm, 'A'));
    expect((await check('government_procurement', firm)).decision).toBe('priority');
    await push(platform, audit.token, record('administrative_penalty', firm));
    await platform.drainConsumers();
    const answer = await check('government_procurement', firm);
    expect(answer).toMatchObject({ decision: 'allow', measures: [] });
    expect(answer.industryGrades[0]).toMatchObject({ grade: 'A', tier: 'high' });
  });

  it('grades only agencies registered in the industry and their practitioners', async () => {
    // Never registered as an intermediary (or the registration has not reached this service yet).
    const stranger = company('连云港某贸易有限公司');
    const unregistered = await evaluate(audit.token, evaluation(stranger, 'A'));
    expect(unregistered.statusCode, unregistered.body).toBe(409);
    expect(unregistered.json()).toMatchObject({ code: 'invalid_state' });
    expect(unregistered.json().errors).toEqual([
      expect.objectContaining({ path: 'subject', code: 'invalid_state' }),
    ]);

    // Registered as a tendering agent: an audit department supervising audit firms grades it
    // neither as an audit firm nor as anything else.
    const agent = await agencyOf(tendering, '连云港某工程招标代理有限公司', 'tendering_agency');
    const otherIndustry = await evaluate(audit.token, evaluation(agent, 'A'));
    expect(otherIndustry.statusCode, otherIndustry.body).toBe(422);
    expect(otherIndustry.json()).toMatchObject({ code: 'validation_failed' });
    expect(otherIndustry.json().errors).toEqual([
      expect.objectContaining({ path: 'industry', code: 'validation_failed' }),
    ]);
    const own = await evaluate(tendering.token, evaluation(agent, 'AAA', { industry: 'tendering_agency' }));
    expect(own.statusCode, own.body).toBe(201);

    // A practitioner is graded in the industry of an agency they are registered with.
    const practitioner = person('周某');
    const linked = await platform.request({
      method: 'POST',
      url: `/v1/intermediaries/${agent.id}/practitioners`,
      token: tendering.token,
      body: { person: { id: practitioner.id, name: practitioner.name }, responsible: false },
    });
    expect(linked.statusCode, linked.body).toBe(201);
    await platform.drainConsumers();
    const graded = await evaluate(
      tendering.token,
      evaluation(practitioner, 'A', { industry: 'tendering_agency' }),
    );
    expect(graded.statusCode, graded.body).toBe(201);
    expect((await evaluate(audit.token, evaluation(practitioner, 'A'))).statusCode).toBe(422);
    expect(
      (await evaluate(tendering.token, evaluation(person('吴某'), 'A', { industry: 'tendering_agency' })))
        .statusCode,
    ).toBe(409);
  });

  it('refuses a result that would stop standing before its period ends', async () => {
    const firm = await agencyOf(audit, '连云港某会计师事务所（普通合伙）');
    const early = await evaluate(audit.token, evaluation(firm, 'A', { validUntil: '2025-06-30' }));
    expect(early.statusCode, early.body).toBe(422);
    expect(early.json()).toMatchObject({ code: 'validation_failed' });
    expect(early.json().errors).toEqual([expect.objectContaining({ path: 'validUntil' })]);
    // Standing through the period's last day is a result of the period.
    const lastDay = await evaluate(audit.token, evaluation(firm, 'A', { validUntil: '2025-12-31' }));
    expect(lastDay.statusCode, lastDay.body).toBe(201);
    expect(lastDay.json().validUntil).toBe('2025-12-31T15:59:59.999Z');
  });

  it('keeps one evaluation per source id, refuses another department and a grade off the scale', async () => {
    const firm = await agencyOf(audit, '连云港某会计师事务所（特殊普通合伙）');
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
    const agent = await agencyOf(tendering, '连云港某招标代理有限公司', 'tendering_agency');
    const tenderingGrade = await evaluate(
      tendering.token,
      evaluation(agent, 'AAA', { industry: 'tendering_agency' }),
    );
    expect(tenderingGrade.statusCode, tenderingGrade.body).toBe(201);
  });
});

describe('graded supervision of an industry (分级分类监管)', () => {
  it('lists a department’s industry by current evaluation and tier, with the inspections each calls for', async () => {
    const design = await department(['design_consulting']);
    const agencies: { id: string; name: string; grade: string }[] = [];
    for (const [n, grade] of (['AAA', 'B', 'C', 'A'] as const).entries()) {
      const firm = company(`连云港某设计咨询有限公司${n}`);
      const registered = await platform.request({
        method: 'POST',
        url: '/v1/intermediaries',
        token: design.token,
        body: { subject: { id: firm.id, name: firm.name }, industry: 'design_consulting' },
      });
      expect(registered.statusCode, registered.body).toBe(201);
      await platform.drainConsumers();
      const pushed = await evaluate(design.token, evaluation(firm, grade, { industry: 'design_consulting' }));
      expect(pushed.statusCode, pushed.body).toBe(201);
      agencies.push({ id: firm.id, name: firm.name, grade });
    }
    await platform.drainConsumers();
    const list = (query: string, token = design.token) =>
      platform.request({ url: `/v1/supervision?industry=design_consulting${query}`, token });

    const low = await list('&tier=low');
    expect(low.statusCode, low.body).toBe(200);
    expect(
      low
        .json()
        .items.map((i: { grade: string }) => i.grade)
        .sort(),
    ).toEqual(['B', 'C']);
    expect(low.json().items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          subject: expect.objectContaining({ id: agencies[2]?.id, name: agencies[2]?.name }),
          tier: 'low',
          currentDishonesty: false,
          inspectionsPerYear: 4,
        }),
      ]),
    );
    const all = (await list('&limit=500')).json().items.map((i: { subject: { id: string } }) => i.subject.id);
    expect(all.sort()).toEqual(agencies.map((a) => a.id).sort());
    await expectPaginatesToEnd(platform, {
      url: '/v1/supervision?industry=design_consulting',
      token: design.token,
      limit: 1,
      idOf: (item: { subject: { id: string } }) => item.subject.id,
      expected: (await list('&limit=500')).json().items.map((i: { subject: { id: string } }) => i.subject.id),
      ordered: true,
    });
    expect((await list('', audit.token)).json()).toMatchObject({
      status: 403,
      code: 'department_not_permitted',
    });
  });
});

describe('graded supervision of evaluations made before registration was required', () => {
  it('names a registered agency, and says of an unregistered one only what is known', async () => {
    const other = await department(['other']);
    const registered = await agencyOf(other, '连云港某行政审批咨询有限公司', 'other');
    const pushed = await evaluate(other.token, evaluation(registered, 'good', { industry: 'other' }));
    expect(pushed.statusCode, pushed.body).toBe(201);
    // An evaluation of an organisation never registered, as one was taken before registration was
    // required: the service holds its key but neither its identity nor a registration.
    const stranger = company('连云港某未登记咨询有限公司');
    const legacyId = industryEvaluationId(other.code, 'LEGACY-1');
    await platform.database.query(
      `INSERT INTO sanctions.industry_evaluations (subject_key, evaluation_id, subject_kind, industry,
         department, source_id, version, grade, tier, period_from, period_to, valid_until, basis,
         received_at, updated_at)
       VALUES ($1, $2, 'legal_person', 'other', $3, 'LEGACY-1', 1, 'unqualified', 'low', '2025-01-01',
         '2025-12-31', '2026-12-31T15:59:59.999Z', '旧评价', now(), now())`,
      [subjectKeyOf(platform.runtime.keyring.blindIndex, 'legal_person', stranger.id), legacyId, other.code],
    );
    const listed = await platform.request({ url: '/v1/supervision?industry=other', token: other.token });
    expect(listed.statusCode, listed.body).toBe(200);
    const items = listed.json().items as { evaluationId: string; subject: Record<string, unknown> }[];
    expect(items.find((i) => i.evaluationId === pushed.json().id)?.subject).toEqual({
      kind: 'legal_person',
      id: registered.id,
      name: registered.name,
      registered: true,
    });
    expect(items.find((i) => i.evaluationId === legacyId)?.subject).toEqual({
      kind: 'legal_person',
      id: null,
      name: null,
      registered: false,
    });
  });
});

describe('market and practice bans (市场禁入、执业禁入)', () => {
  it('refuses a blacklisted agency in tendering and a new company its responsible person registers', async () => {
    const agency = company('连云港某资产评估有限公司');
    const responsible = person('王某');
    const clerk = person('李某');
    const appraisal = await department(['appraisal'], ['intermediary_serious_dishonesty']);
    const court = await department([], ['dishonest_judgement_debtor']);
    const debtor = person('赵某');
    const registered = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: appraisal.token,
      body: { subject: { id: agency.id, name: agency.name }, industry: 'appraisal' },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    for (const [who, flag] of [
      [responsible, true],
      [clerk, false],
    ] as const) {
      const linked = await platform.request({
        method: 'POST',
        url: `/v1/intermediaries/${agency.id}/practitioners`,
        token: appraisal.token,
        body: { person: { id: who.id, name: who.name }, responsible: flag },
      });
      expect(linked.statusCode, linked.body).toBe(201);
    }
    await defineRule(platform, admin, intermediaryBlacklistRule(appraisal.code));
    await defineRule(platform, admin, {
      code: 'person-debtors',
      name: '失信被执行人（自然人）',
      kind: 'black',
      domain: 'courts',
      subjectKinds: ['natural_person'],
      identifyingDepartment: court.code,
      condition: { type: 'records', match: { entries: ['dishonest_judgement_debtor'] }, minCount: 1 },
    });
    await push(platform, court.token, record('dishonest_judgement_debtor', debtor));
    await push(
      platform,
      appraisal.token,
      record('intermediary_serious_dishonesty', agency, {
        data: {
          documentNumber: '连财监〔2026〕3号',
          authority: '连云港市财政局',
          decidedOn: '2026-05-18',
          industry: 'appraisal',
          ground: 'false_report',
          facts: '故意出具虚假资产评估报告',
        },
      }),
    );
    await platform.drainConsumers();

    const identifying = await platform.token('government', { org: appraisal.code });
    const noticed = (
      await platform.request({ url: '/v1/list-entries?status=noticed', token: identifying })
    ).json().items;
    const entry = noticed.find(
      (e: { rule: { code: string } }) => e.rule.code === 'intermediary-serious-dishonesty',
    );
    expect(entry).toMatchObject({ listKind: 'black', domain: 'intermediary' });
    platform.setNow(new Date('2026-06-20T02:00:00Z'));
    const decided = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${entry.id}/decision`,
      token: identifying,
      body: { decision: 'publish', note: '列入严重违法失信黑名单' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const courtToken = await platform.token('government', { org: court.code });
    const [debtorEntry] = (
      await platform.request({ url: '/v1/list-entries?status=noticed', token: courtToken })
    ).json().items;
    const debtorDecided = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${debtorEntry.id}/decision`,
      token: courtToken,
      body: { decision: 'publish', note: '失信被执行人' },
    });
    expect(debtorDecided.statusCode, debtorDecided.body).toBe(200);
    await platform.drainConsumers();

    const tender = await check('public_tender', agency);
    expect(tender.decision).toBe('deny');
    expect(codes(tender.measures)).toContain('intermediary_market_ban');
    expect(tender.entries).toEqual([expect.objectContaining({ id: entry.id, listKind: 'black' })]);

    // The registering department names the new company's legal representative: refused.
    const newCompany = await check('company_registration', undefined, [
      { role: 'legal_representative', id: responsible.id },
    ]);
    expect(newCompany.decision).toBe('deny');
    expect(newCompany.parties).toEqual([
      expect.objectContaining({
        role: 'legal_representative',
        decision: 'deny',
        measures: expect.arrayContaining(['intermediary_practice_ban']),
      }),
    ]);
    // The agency itself founding a company is refused too; a practitioner not responsible is not.
    expect(
      (await check('company_registration', undefined, [{ role: 'investor', id: agency.id }])).decision,
    ).toBe('deny');
    expect(
      (await check('company_registration', company(), [{ role: 'legal_representative', id: clerk.id }]))
        .decision,
    ).toBe('allow');
    // A legal representative barred on any black list (失信被执行人) is refused as well.
    const barred = await check('company_registration', undefined, [
      { role: 'legal_representative', id: clerk.id },
      { role: 'responsible_person', id: debtor.id },
    ]);
    expect(barred.decision).toBe('deny');
    expect(barred.parties.map((p: { decision: string }) => p.decision)).toEqual(['allow', 'deny']);
    expect(barred.parties[1].measures).toContain('bar_legal_representative');

    // A practitioner registered as responsible after the listing shares the ban from then on.
    const successor = person('钱某');
    expect(
      (await check('qualification_review', successor)).decision,
      'not banned before being named responsible',
    ).toBe('allow');
    const named = await platform.request({
      method: 'POST',
      url: `/v1/intermediaries/${agency.id}/practitioners`,
      token: appraisal.token,
      body: { person: { id: successor.id, name: successor.name }, responsible: true },
    });
    expect(named.statusCode, named.body).toBe(201);
    await platform.drainConsumers();
    const review = await check('qualification_review', successor);
    expect(review.decision).toBe('deny');
    expect(codes(review.measures)).toContain('intermediary_practice_ban');
  });
});
