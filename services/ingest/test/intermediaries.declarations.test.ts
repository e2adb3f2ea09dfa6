import {
  citizenId,
  registerIntermediary,
  registerProvider,
  registerSupervisor,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await ingestPlatform();
});
afterAll(async () => platform?.close());

const auditClauses = ['truthful', 'lawful_practice', 'service_standards', 'liability', 'audit_independence'];

function declaration(content: Record<string, unknown> = {}) {
  return {
    content: {
      qualifications: [{ name: '会计师事务所执业证书', number: '37030001', issuedBy: '山东省财政厅' }],
      capabilities: [{ name: '年报审计', description: '国有企业年报审计' }],
      practice: { serviceScope: '审计、验资', practitionerCount: 12 },
      engagements: [
        {
          client: '淄博市某国有企业',
          project: '2025年度财务审计',
          service: '审计',
          completedOn: '2026-03-31',
        },
      ],
      ...content,
    },
    commitment: { accepted: auditClauses, signatory: '王会计', signedOn: '2026-04-01' },
  };
}

describe('self-declaration (seeds/003 四(一)、(三))', () => {
  it('refuses prohibited and consent-gated fields as records do, and a commitment short of the format', async () => {
    const finance = await registerSupervisor(platform, ['audit']);
    const agency = await registerIntermediary(platform, finance.token, 'audit');
    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    const send = (body: unknown) => platform.request({ method: 'POST', url, token: agency.token, body });

    const prohibited = await send(
      declaration({ capabilities: [{ name: '某', description: '某', religion: '佛教' }] }),
    );
    expect(prohibited.json()).toMatchObject({ status: 422, code: 'prohibited_field' });
    expect(prohibited.body).not.toContain('佛教');
    const gated = await send(declaration({ practice: { serviceScope: '审计', income: 1_000_000 } }));
    expect(gated.json()).toMatchObject({ status: 422, code: 'consent_required' });
    const short = await send({
      ...declaration(),
      commitment: { ...declaration().commitment, accepted: ['truthful'] },
    });
    expect(short.json()).toMatchObject({ status: 422, errors: [{ path: 'commitment.accepted' }] });
    expect((await send(declaration({ slogan: '诚信第一' }))).json()).toMatchObject({ code: 'unknown_field' });

    const listed = await platform.request({ url, token: agency.token });
    expect(listed.json().items).toEqual([]);
    const other = await registerIntermediary(platform, finance.token, 'audit');
    const foreign = await platform.request({ method: 'POST', url, token: other.token, body: declaration() });
    expect(foreign.statusCode).toBe(403);
  });

  it('refuses a commitment signed, or a past engagement completed, after today (Asia/Shanghai)', async () => {
    const finance = await registerSupervisor(platform, ['audit']);
    const agency = await registerIntermediary(platform, finance.token, 'audit');
    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    // 2026-05-06 00:30 in Shanghai is still 2026-05-05 in UTC.
    platform.setNow(new Date('2026-05-05T16:30:00Z'));
    try {
      const send = (body: unknown) => platform.request({ method: 'POST', url, token: agency.token, body });
      const base = declaration();
      const signedLater = await send({ ...base, commitment: { ...base.commitment, signedOn: '2099-01-01' } });
      expect(signedLater.json()).toMatchObject({ status: 422, errors: [{ path: 'commitment.signedOn' }] });
      const engagement = { ...base.content.engagements[0], completedOn: '2026-05-07' };
      const completedLater = await send(declaration({ engagements: [engagement] }));
      expect(completedLater.json()).toMatchObject({
        status: 422,
        errors: [{ path: 'content.engagements.0.completedOn' }],
      });
      const today = await send({
        ...declaration({ engagements: [{ ...engagement, completedOn: '2026-05-06' }] }),
        commitment: { ...base.commitment, signedOn: '2026-05-06' },
      });
      expect(today.statusCode, today.body).toBe(201);
    } finally {
      platform.setNow(undefined);
    }
  });

  it('is reviewed only by a supervising department, and a false one becomes a record against the agency and its responsible person', async () => {
    const finance = await registerSupervisor(platform, ['audit']);
    const housing = await registerSupervisor(platform, ['tendering_agency']);
    const agency = await registerIntermediary(platform, finance.token, 'audit');
    const responsible = { id: citizenId(), name: '李主任' };
    for (const [person, flag] of [
      [responsible, true],
      [{ id: citizenId(), name: '张助理' }, false],
    ] as const) {
      const linked = await platform.request({
        method: 'POST',
        url: `/v1/intermediaries/${agency.uscc}/practitioners`,
        token: finance.token,
        body: { person, responsible: flag },
      });
      expect(linked.statusCode).toBe(201);
    }
    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    const submitted = await platform.request({
      method: 'POST',
      url,
      token: agency.token,
      body: declaration(),
    });
    expect(submitted.statusCode).toBe(201);
    expect(submitted.json()).toMatchObject({ status: 'submitted', commitment: { signatory: '王会计' } });
    expect(submitted.json().commitment.clauses.map((c: { code: string }) => c.code)).toEqual(auditClauses);
    const id = submitted.json().id;

    const review = `${url}/${id}/review`;
    const outsider = await platform.request({
      method: 'POST',
      url: review,
      token: housing.token,
      body: { decision: 'accept' },
    });
    expect(outsider.json()).toMatchObject({ status: 403, code: 'department_not_permitted' });
    const accepted = await platform.request({
      method: 'POST',
      url: review,
      token: finance.token,
      body: { decision: 'accept' },
    });
    expect(accepted.json()).toMatchObject({ status: 'accepted', reviewedBy: finance.code });
    const twice = await platform.request({
      method: 'POST',
      url: review,
      token: finance.token,
      body: { decision: 'return', reasons: '材料不全' },
    });
    expect(twice.json()).toMatchObject({ status: 409, code: 'invalid_state' });

    const finding = {
      documentNumber: '淄财监〔2026〕9号',
      decidedOn: '2026-05-06',
      facts: '申报的审计业绩经核实不存在',
    };
    const falsity = `${url}/${id}/falsity`;
    expect(
      (await platform.request({ method: 'POST', url: falsity, token: housing.token, body: finding }))
        .statusCode,
    ).toBe(403);
    const found = await platform.request({
      method: 'POST',
      url: falsity,
      token: finance.token,
      body: finding,
    });
    expect(found.statusCode, found.body).toBe(200);
    const body = found.json();
    expect(body).toMatchObject({ status: 'found_false', reasons: finding.facts });
    expect(body.record.linkedRecords).toEqual([{ id: expect.any(String), role: 'directly_responsible' }]);
    expect(body.records).toEqual([body.record.id, body.record.linkedRecords[0].id]);
    const again = await platform.request({
      method: 'POST',
      url: falsity,
      token: finance.token,
      body: finding,
    });
    expect(again.json().record).toMatchObject({ id: body.record.id, created: false });

    const versions = await platform.database.query<{
      category: string;
      severity: string;
      subject_kind: string;
    }>(
      'SELECT category, severity, subject_kind FROM ingest.record_versions WHERE record_id = ANY($1) ORDER BY subject_kind',
      [body.records],
    );
    expect(versions).toEqual([
      { category: 'intermediary_false_declaration', severity: 'serious', subject_kind: 'legal_person' },
      { category: 'intermediary_false_declaration', severity: 'serious', subject_kind: 'natural_person' },
    ]);
    const events = await platform.database.query<{ type: string }>(
      'SELECT type FROM ingest.events WHERE aggregate_id = $1 ORDER BY seq',
      [id],
    );
    expect(events.map((e) => e.type)).toEqual(['declaration.accepted', 'declaration.found_false']);
  });

  it('finds a declaration false once: another supervising department cannot record it again, and the same finding again answers its record after a responsible person joined', async () => {
    const finance = await registerSupervisor(platform, ['audit']);
    const other = await registerSupervisor(platform, ['audit']);
    const agency = await registerIntermediary(platform, finance.token, 'audit');
    const link = (person: { id: string; name: string }) =>
      platform.request({
        method: 'POST',
        url: `/v1/intermediaries/${agency.uscc}/practitioners`,
        token: finance.token,
        body: { person, responsible: true },
      });
    expect((await link({ id: citizenId(), name: '李主任' })).statusCode).toBe(201);
    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    const submitted = await platform.request({
      method: 'POST',
      url,
      token: agency.token,
      body: declaration(),
    });
    const falsity = `${url}/${submitted.json().id}/falsity`;
    const finding = {
      documentNumber: '淄财监〔2026〕11号',
      decidedOn: '2026-05-06',
      facts: '申报业绩不存在',
    };
    const found = await platform.request({
      method: 'POST',
      url: falsity,
      token: finance.token,
      body: finding,
    });
    expect(found.statusCode, found.body).toBe(200);
    const records = found.json().records;

    // A second department's finding of the same declaration would be a second 严重失信 record.
    const second = await platform.request({
      method: 'POST',
      url: falsity,
      token: other.token,
      body: { ...finding, documentNumber: '淄财监〔2026〕12号' },
    });
    expect(second.json()).toMatchObject({ status: 409, code: 'invalid_state' });

    // A responsible person linked after the finding is not named on it; the finding's replay stands.
    expect((await link({ id: citizenId(), name: '赵经理' })).statusCode).toBe(201);
    const again = await platform.request({
      method: 'POST',
      url: falsity,
      token: finance.token,
      body: finding,
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ records, record: { id: records[0], created: false } });

    const written = await platform.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ingest.records WHERE origin = 'pushed' AND source_id = $1`,
      [`false-declaration-${submitted.json().id}`],
    );
    expect(written).toEqual([{ count: 1 }]);
  });

  it('records one finding when two supervising departments find a declaration false at the same instant', async () => {
    const first = await registerSupervisor(platform, ['audit']);
    const departments = [
      first,
      await registerSupervisor(platform, ['audit']),
      await registerSupervisor(platform, ['audit']),
    ];
    const agency = await registerIntermediary(platform, first.token, 'audit');
    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    const submitted = await platform.request({
      method: 'POST',
      url,
      token: agency.token,
      body: declaration(),
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const id = submitted.json().id;
    const answers = await Promise.all(
      departments.map((department, i) =>
        platform.request({
          method: 'POST',
          url: `${url}/${id}/falsity`,
          token: department.token,
          body: { documentNumber: `淄财监〔2026〕2${i}号`, decidedOn: '2026-05-06', facts: '申报业绩不存在' },
        }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409, 409]);
    const winner = answers.find((answer) => answer.statusCode === 200)?.json();
    for (const lost of answers.filter((answer) => answer.statusCode === 409))
      expect(lost.json()).toMatchObject({ code: 'invalid_state' });
    // One 严重失信 record of the agency: the departments that lost wrote none.
    const written = await platform.database.query<{ provider_code: string }>(
      `SELECT provider_code FROM ingest.records WHERE category = 'intermediary_false_declaration'
         AND subject_kind = 'legal_person' AND source_id = $1`,
      [`false-declaration-${id}`],
    );
    expect(written).toEqual([{ provider_code: winner?.reviewedBy }]);
  });

  it('gives a finding back when its record is refused, so another department may find the declaration false', async () => {
    const first = await registerSupervisor(platform, ['audit']);
    const second = await registerSupervisor(platform, ['audit']);
    const agency = await registerIntermediary(platform, first.token, 'audit');
    const url = `/v1/intermediaries/${agency.uscc}/declarations`;
    const submitted = await platform.request({
      method: 'POST',
      url,
      token: agency.token,
      body: declaration(),
    });
    const falsity = `${url}/${submitted.json().id}/falsity`;
    const finding = {
      documentNumber: '淄财监〔2026〕31号',
      decidedOn: '2026-05-06',
      facts: '申报业绩不存在',
    };
    // A decision dated after today is refused as any record's would be: no record, nothing taken.
    const refused = await platform.request({
      method: 'POST',
      url: falsity,
      token: first.token,
      body: { ...finding, decidedOn: '2099-01-01' },
    });
    expect(refused.statusCode, refused.body).toBe(422);
    const found = await platform.request({
      method: 'POST',
      url: falsity,
      token: second.token,
      body: finding,
    });
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toMatchObject({ status: 'found_false', reviewedBy: second.code });
    const late = await platform.request({ method: 'POST', url: falsity, token: first.token, body: finding });
    expect(late.json()).toMatchObject({ status: 409, code: 'invalid_state' });
  });

  it('queues the declarations awaiting a department’s review across the agencies of its industries, oldest first', async () => {
    const both = await registerSupervisor(platform, ['other', 'tendering_agency']);
    const tendering = await registerSupervisor(platform, ['tendering_agency']);
    const first = await registerIntermediary(platform, both.token, 'other', '淄博某中介服务有限公司');
    const agent = await registerIntermediary(
      platform,
      both.token,
      'tendering_agency',
      '淄博某招标代理有限公司',
    );
    const second = await registerIntermediary(platform, both.token, 'other', '淄博某咨询服务有限公司');
    const common = ['truthful', 'lawful_practice', 'service_standards', 'liability'];
    const submitted: string[] = [];
    const start = Date.parse('2026-04-01T01:00:00Z');
    for (const [minute, agency, accepted] of [
      [0, first, common],
      [1, agent, [...common, 'no_collusion']],
      [2, second, common],
      [3, first, common],
    ] as const) {
      platform.setNow(new Date(start + minute * 60_000));
      const body = { ...declaration(), commitment: { ...declaration().commitment, accepted } };
      const response = await platform.request({
        method: 'POST',
        url: `/v1/intermediaries/${agency.uscc}/declarations`,
        token: agency.token,
        body,
      });
      expect(response.statusCode, response.body).toBe(201);
      submitted.push(response.json().id);
    }
    const [oldest, tender, reviewed, newest] = submitted as [string, string, string, string];
    // Reviewed, it leaves the queue.
    const review = await platform.request({
      method: 'POST',
      url: `/v1/intermediaries/${second.uscc}/declarations/${reviewed}/review`,
      token: both.token,
      body: { decision: 'return', reasons: '业绩证明材料不全' },
    });
    expect(review.statusCode, review.body).toBe(200);

    const queue = (token: string, query = '') =>
      platform.request({ url: `/v1/declarations/awaiting-review${query}`, token });
    const pages: { id: string; agency: string; agencyName: string; status: string }[][] = [];
    let next: string | undefined;
    do {
      const page = (await queue(both.token, `?limit=2${next ? `&cursor=${next}` : ''}`)).json();
      pages.push(page.items);
      next = page.next;
    } while (next);
    expect(pages.map((page) => page.map((item) => item.id))).toEqual([[oldest, tender], [newest]]);
    expect(pages[0]?.[0]).toMatchObject({
      agency: first.uscc,
      agencyName: '淄博某中介服务有限公司',
      industry: 'other',
      status: 'submitted',
    });
    expect(pages[0]?.[1]).toMatchObject({ agency: agent.uscc, agencyName: '淄博某招标代理有限公司' });

    const ids = async (token: string, query = '') =>
      (await queue(token, query)).json().items.map((item: { id: string }) => item.id);
    expect(await ids(tendering.token)).toEqual([tender]);
    expect(await ids(both.token, '?industry=other')).toEqual([oldest, newest]);
    expect(
      await ids(await platform.token('admin', { org: 'credit-office' }), '?industry=tendering_agency'),
    ).toEqual([tender]);
    expect((await queue(tendering.token, '?industry=other')).json()).toMatchObject({
      status: 403,
      code: 'department_not_permitted',
    });
    const unsupervising = await registerProvider(platform, ['administrative_penalty']);
    expect((await queue(unsupervising.token)).json()).toMatchObject({
      status: 403,
      code: 'department_not_permitted',
    });
    expect((await queue(first.token)).statusCode).toBe(403);
  });
});
