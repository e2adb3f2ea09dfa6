import {
  citizenId,
  createTestPlatform,
  push,
  record,
  registerIntermediary,
  registerProvider,
  registerSupervisor,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
});
afterAll(async () => platform?.close());

const clauses = ['truthful', 'lawful_practice', 'service_standards', 'liability', 'fair_valuation'];
const declaration = {
  content: {
    qualifications: [{ name: '资产评估资格证书', number: 'ZCPG-3703-017', issuedBy: '山东省财政厅' }],
    practice: { serviceScope: '资产评估、土地估价', practitionerCount: 8 },
    engagements: [
      { client: '淄博市国资委', project: '国有股权转让评估', service: '资产评估', completedOn: '2026-02-10' },
    ],
  },
  commitment: { accepted: clauses, signatory: '孙评估', signedOn: '2026-03-01' },
};

describe('the intermediaries’ column (seeds/003 三(一) 专栏公示、专版曝光)', () => {
  it('publishes an accepted declaration, finds the agency by name, and exposes it once found false', async () => {
    const finance = await registerSupervisor(platform, ['appraisal']);
    const tendering = await registerSupervisor(platform, ['tendering_agency']);
    const name = '淄博恒信求实资产评估有限公司';
    const agency = await registerIntermediary(platform, finance.token, 'appraisal', name);
    const responsible = { id: citizenId(), name: '孙评估' };
    const linked = await platform.request({
      method: 'POST',
      url: `/v1/intermediaries/${agency.uscc}/practitioners`,
      token: finance.token,
      body: {
        person: responsible,
        qualifications: [{ name: '资产评估师', number: 'PG-01' }],
        responsible: true,
      },
    });
    expect(linked.statusCode).toBe(201);
    // The market regulator's registration carries the name the public search finds it by.
    const amr = await registerProvider(platform, ['org_registration']);
    await push(
      platform,
      amr.token,
      record('org_registration', { kind: 'legal_person', id: agency.uscc, name }),
    );

    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    const submitted = await platform.request({ method: 'POST', url, token: agency.token, body: declaration });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const id = submitted.json().id;
    await platform.drainConsumers();
    const detail = `/v1/public/intermediaries/${agency.uscc}`;
    expect((await platform.request({ url: detail })).json().declarations).toEqual([]);

    const notTheirs = await platform.request({
      method: 'POST',
      url: `${url}/${id}/review`,
      token: tendering.token,
      body: { decision: 'accept' },
    });
    expect(notTheirs.json()).toMatchObject({ status: 403, code: 'department_not_permitted' });
    const accepted = await platform.request({
      method: 'POST',
      url: `${url}/${id}/review`,
      token: finance.token,
      body: { decision: 'accept' },
    });
    expect(accepted.json()).toMatchObject({ status: 'accepted' });
    await platform.drainConsumers();

    const column = await platform.request({ url: '/v1/public/intermediaries?industry=appraisal&limit=500' });
    expect(column.statusCode).toBe(200);
    expect(column.json().items).toContainEqual({
      id: agency.uscc,
      name,
      industry: 'appraisal',
      industryLabel: '评估机构',
      department: finance.code,
      grades: [],
      declarations: 1,
    });
    const elsewhere = await platform.request({ url: '/v1/public/intermediaries?industry=audit&limit=500' });
    expect(elsewhere.json().items.map((i: { id: string }) => i.id)).not.toContain(agency.uscc);
    const byName = await platform.request({
      url: `/v1/public/intermediaries?name=${encodeURIComponent('恒信求实评估')}`,
    });
    expect(byName.json().items.map((i: { id: string }) => i.id)).toEqual([agency.uscc]);
    const published = (await platform.request({ url: detail })).json();
    expect(published.declarations).toMatchObject([
      { id, acceptedBy: finance.code, content: declaration.content, commitment: { signatory: '孙评估' } },
    ]);
    expect(published.declarations[0].commitment.clauses).toHaveLength(clauses.length);
    const exposure = '/v1/public/intermediaries/exposure?limit=500';
    expect(
      (await platform.request({ url: exposure })).json().items.map((i: { id: string }) => i.id),
    ).not.toContain(agency.uscc);

    const found = await platform.request({
      method: 'POST',
      url: `${url}/${id}/falsity`,
      token: finance.token,
      body: {
        documentNumber: '淄财监〔2026〕11号',
        decidedOn: '2026-04-02',
        facts: '申报的国有股权转让评估业绩系虚构',
      },
    });
    expect(found.statusCode, found.body).toBe(200);
    const linkedRecord = found.json().record.linkedRecords[0];
    expect(linkedRecord).toMatchObject({ role: 'directly_responsible' });
    await platform.drainConsumers();

    const exposed = (await platform.request({ url: exposure })).json().items;
    const entry = exposed.find((i: { id: string }) => i.id === agency.uscc);
    expect(entry).toMatchObject({ name, industry: 'appraisal' });
    expect(entry.records).toMatchObject([
      { category: 'intermediary_false_declaration', severity: 'serious', data: { declarationId: id } },
    ]);
    const after = (await platform.request({ url: detail })).json();
    expect(after.declarations).toEqual([]);
    expect(after.records.map((r: { category: string }) => r.category)).toContain(
      'intermediary_false_declaration',
    );

    // The responsible person has the record kept against them, as for any organisation record.
    const person = await platform.token('subject', { subject: responsible.id });
    const own = (
      await platform.request({ url: `/v1/subjects/${responsible.id}/report`, token: person })
    ).json();
    expect(own.report.items).toMatchObject([
      {
        recordId: linkedRecord.id,
        category: 'intermediary_false_declaration',
        linkedFrom: { role: 'directly_responsible' },
      },
    ]);
  });

  it('shows the grades that still stand, by the clock, and none whose validity has ended', async () => {
    platform.setNow(new Date('2026-05-20T02:00:00Z'));
    try {
      const audit = await registerSupervisor(platform, ['audit']);
      const agency = await registerIntermediary(
        platform,
        audit.token,
        'audit',
        '淄博某会计师事务所（普通合伙）',
      );
      await platform.drainConsumers();
      const evaluate = async (grade: string, period: { from: string; to: string }, validUntil?: string) => {
        const response = await platform.request({
          method: 'POST',
          url: '/v1/industry-evaluations',
          token: audit.token,
          body: {
            sourceId: `EVAL-${Math.random().toString(36).slice(2, 10)}`,
            subject: agency.uscc,
            industry: 'audit',
            grade,
            period,
            basis: '年度执业质量检查',
            ...(validUntil ? { validUntil } : {}),
          },
        });
        expect(response.statusCode, response.body).toBe(201);
      };
      // 2024's result stood through 2025; 2025's only until the end of March 2026.
      await evaluate('A', { from: '2024-01-01', to: '2024-12-31' });
      await evaluate('C', { from: '2025-01-01', to: '2025-12-31' }, '2026-03-31');
      await platform.drainConsumers();
      const shown = async () => {
        const column = (
          await platform.request({ url: '/v1/public/intermediaries?industry=audit&limit=500' })
        ).json();
        const listed = column.items.find((i: { id: string }) => i.id === agency.uscc);
        const detail = (await platform.request({ url: `/v1/public/intermediaries/${agency.uscc}` })).json();
        expect(detail.grades).toEqual(listed.grades);
        return listed.grades.map((g: { year: number; grade: string }) => `${g.year} ${g.grade}`);
      };
      expect(await shown()).toEqual([]);

      // The first quarter of 2026 stands until the end of the next quarter.
      await evaluate('B', { from: '2026-01-01', to: '2026-03-31' });
      await platform.drainConsumers();
      expect(await shown()).toEqual(['2026 B']);
      platform.setNow(new Date('2026-07-01T02:00:00Z'));
      expect(await shown()).toEqual([]);
    } finally {
      platform.setNow(undefined);
    }
  });

  it('pages the column by cursor and answers an unknown agency 404', async () => {
    const supervisor = await registerSupervisor(platform, ['other']);
    const ids = [];
    for (const n of [1, 2, 3])
      ids.push(
        (await registerIntermediary(platform, supervisor.token, 'other', `淄博某中介${n}有限公司`)).uscc,
      );
    await platform.drainConsumers();
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = (
        await platform.request({
          url: `/v1/public/intermediaries?industry=other&limit=2${next ? `&cursor=${next}` : ''}`,
        })
      ).json();
      seen.push(...page.items.map((i: { id: string }) => i.id));
      next = page.next;
    } while (next);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect((await platform.request({ url: `/v1/public/intermediaries/${ids[0]}x` })).statusCode).toBe(422);
    const missing = await platform.request({ url: `/v1/public/intermediaries/${uscc()}` });
    expect(missing.json()).toMatchObject({ status: 404, code: 'not_found' });
  });
});
