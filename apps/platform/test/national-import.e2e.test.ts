import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nationalSourceId } from '@credit/schema';
import { citizenId, createTestPlatform, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/*
 * Departments' existing 双公示 files, pushed with no mapping: through the batch API with
 * `format=shuanggongshi-…`, and through `npm run import -- --preset …` from CSV (UTF-8 with a BOM,
 * GBK), XLSX and JSON Lines. Refusals name the national item; what was accepted reads back through
 * the query API with the national values converted (万元 to 元, national date forms to dates).
 */

const providerCode = 'zb-ee-national';
let platform: TestPlatform;
let token: string;
let dir: string;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  dir = await mkdtemp(join(tmpdir(), 'credit-national-'));
  const admin = await platform.token('admin', { org: 'credit-office' });
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: {
      code: providerCode,
      name: '淄博市生态环境局',
      categories: ['administrative_penalty', 'org_licence'],
    },
  });
  expect(registered.statusCode, registered.body).toBe(201);
  token = await platform.token('provider', { org: providerCode, ttlSeconds: 3600 });
}, 60_000);
afterAll(async () => {
  await platform?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let serial = 0;

/** A penalty row as a department's 双公示 table holds it (2021 items, amounts in 万元). */
function penaltyRow(overrides: Record<string, string> = {}): Record<string, string> {
  serial++;
  return {
    行政相对人名称: `淄博测试化工${serial}有限公司`,
    行政相对人类别: '法人及非法人组织',
    '行政相对人代码_1（统一社会信用代码）': uscc(),
    法定代表人: '王某',
    法定代表人证件类型: '身份证',
    法定代表人证件号码: citizenId(),
    证件类型: '',
    证件号码: '',
    行政处罚决定书文号: `淄环罚〔2026〕${serial}号`,
    违法行为类型: '超标排放大气污染物',
    违法事实: '在线监测数据显示颗粒物排放浓度超过排放标准',
    处罚依据: '《中华人民共和国大气污染防治法》第九十九条',
    处罚类别: '罚款;没收违法所得、没收非法财物',
    处罚内容: '罚款二十万零五千元，没收违法所得一元',
    '罚款金额（万元）': '20.5',
    '没收违法所得、没收非法财物的金额（万元）': '0.0001',
    暂扣或吊销证照名称及编号: '',
    处罚决定日期: '2026/03/18',
    处罚有效期: '2027/03/18',
    公示截止期: '2029/03/18',
    处罚机关: '淄博市生态环境局',
    处罚机关统一社会信用代码: uscc('11'),
    数据来源单位: '淄博市生态环境局',
    数据来源单位统一社会信用代码: uscc('11'),
    备注: '',
    ...overrides,
  };
}

/** A natural person's penalty row: identified by 证件号码, no USCC. */
function personPenaltyRow(id = citizenId()): Record<string, string> {
  return penaltyRow({
    行政相对人名称: '李某',
    行政相对人类别: '自然人',
    '行政相对人代码_1（统一社会信用代码）': '',
    法定代表人: '',
    法定代表人证件类型: '',
    法定代表人证件号码: '',
    证件类型: '身份证',
    证件号码: id,
    处罚类别: '警告',
    '罚款金额（万元）': '',
    '没收违法所得、没收非法财物的金额（万元）': '',
    处罚决定日期: '20260320',
  });
}

function licenceRow(overrides: Record<string, string> = {}): Record<string, string> {
  serial++;
  return {
    行政相对人名称: `淄博测试食品${serial}有限公司`,
    行政相对人类别: '法人及非法人组织',
    统一社会信用代码: uscc(),
    法定代表人: '赵某',
    行政许可决定文书名称: '准予行政许可决定书',
    行政许可决定文书号: `淄市监许〔2026〕${serial}号`,
    许可类别: '普通',
    许可证书名称: '食品经营许可证',
    许可编号: `JY1370303${String(serial).padStart(7, '0')}`,
    许可内容: '预包装食品销售',
    许可决定日期: '2026-04-02',
    有效期自: '2026-04-02',
    有效期至: '2031-04-01',
    许可机关: '淄博市市场监督管理局',
    许可机关统一社会信用代码: uscc('11'),
    数据来源单位: '淄博市市场监督管理局',
    备注: '',
    ...overrides,
  };
}

/** A USCC whose check character is wrong: the platform refuses it as an identifier. */
function badUscc(): string {
  const good = uscc();
  return good.slice(0, 17) + (good.endsWith('0') ? '1' : '0');
}

interface Answer {
  status: number;
  sourceId: string | null;
  id?: string;
  problem?: { code: string; errors?: { path: string; item?: string; code: string; message: string }[] };
}

const pushNational = async (format: string, rawBody: string, contentType = 'application/json') => {
  const response = await platform.request({
    method: 'POST',
    url: `/v1/records/batch?format=${format}`,
    token,
    rawBody,
    contentType,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { created: number; unchanged: number; refused: number; items: Answer[] };
};

async function disclosed(id: string) {
  const response = await platform.request({ url: `/v1/public/subjects/${id}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    subject: { kind: string; name: string };
    items: { recordId: string; category: string; occurredAt: string; data: Record<string, unknown> }[];
  };
}

describe('POST /v1/records/batch?format=shuanggongshi-…', () => {
  it('takes a JSON array of penalty rows, refusing bad rows by their national items, and the query API reads the values back', async () => {
    const good = penaltyRow();
    const person = citizenId();
    const rows = [
      good,
      personPenaltyRow(person),
      penaltyRow({ '行政相对人代码_1（统一社会信用代码）': badUscc() }),
      penaltyRow({ 处罚决定日期: '2026-02-30', 处罚类别: '罚款;训诫', 行政相对人类别: '企业' }),
      penaltyRow({ 法定代表人证件号码: '370303199001011234' }),
    ];
    const result = await pushNational('shuanggongshi-penalty', JSON.stringify(rows));
    expect(result.items.map((i) => i.status)).toEqual([201, 201, 422, 422, 422]);
    const goodUscc = good['行政相对人代码_1（统一社会信用代码）'] as string;
    expect(result.items[0]?.sourceId).toBe(
      nationalSourceId('shuanggongshi-penalty', good.行政处罚决定书文号 as string, goodUscc),
    );

    // The platform's own identifier check, named by the item the identifier came from.
    expect(result.items[2]?.problem?.errors).toEqual([
      expect.objectContaining({ path: 'subject.id', item: '统一社会信用代码', code: 'invalid_identifier' }),
    ]);
    // What the items cannot give, all at once.
    expect(result.items[3]?.problem?.errors?.map((e) => [e.item, e.path])).toEqual(
      expect.arrayContaining([
        ['行政相对人类别', 'subject.kind'],
        ['处罚决定日期', 'data.decidedOn'],
        ['处罚类别', 'data.penaltyKinds'],
      ]),
    );
    expect(result.items[4]?.problem?.errors).toEqual([
      expect.objectContaining({ path: 'relatedPersons.0.id', item: '法定代表人证件号码' }),
    ]);
    for (const item of result.items.slice(2))
      for (const error of item.problem?.errors ?? [])
        expect(error.message).toMatch(new RegExp(`^${error.item}:`));

    // The same file again names the same records: nothing is added.
    const again = await pushNational(
      'shuanggongshi-penalty',
      rows.map((r) => JSON.stringify(r)).join('\n'),
      'application/x-ndjson',
    );
    expect(again).toMatchObject({ created: 0, unchanged: 2, refused: 3 });

    await platform.drainConsumers();
    const page = await disclosed(goodUscc);
    expect(page.subject).toMatchObject({ kind: 'legal_person', name: good.行政相对人名称 });
    const penalty = page.items.find((i) => i.recordId === result.items[0]?.id);
    expect(penalty).toMatchObject({
      category: 'administrative_penalty',
      occurredAt: '2026-03-18',
      data: {
        documentNumber: good.行政处罚决定书文号,
        decidedOn: '2026-03-18',
        penaltyKinds: ['fine', 'confiscation'],
        content: good.处罚内容,
        amount: 205_000,
        confiscatedYuan: 1,
        authority: '淄博市生态环境局',
        authorityUscc: good.处罚机关统一社会信用代码,
      },
    });

    // A natural person's penalty is no public item; the person reads it in their own report.
    const own = await platform.token('subject', { subject: person });
    const report = await platform.request({ url: `/v1/subjects/${person}/report`, token: own });
    expect(report.statusCode, report.body).toBe(200);
    const item = report
      .json()
      .report.items.find((i: { recordId: string }) => i.recordId === result.items[1]?.id);
    expect(item).toMatchObject({
      category: 'administrative_penalty',
      occurredAt: '2026-03-20',
      data: { penaltyKinds: ['warning'], decidedOn: '2026-03-20' },
    });
    expect(item.data.amount).toBeUndefined();
  });

  it('takes NDJSON licence rows and names the item of a refusal the catalogue makes', async () => {
    const good = licenceRow({ 有效期至: '长期', 许可类别: '认可' });
    const rows = [
      good,
      licenceRow({
        行政相对人类别: '自然人',
        统一社会信用代码: '',
        证件类型: '身份证',
        证件号码: citizenId(),
      }),
      licenceRow({ 有效期至: '2031-04-31' }),
      licenceRow({ 许可机关: '' }),
    ];
    const result = await pushNational(
      'shuanggongshi-licence',
      rows.map((r) => JSON.stringify(r)).join('\n'),
      'application/x-ndjson',
    );
    expect(result.items.map((i) => i.status)).toEqual([201, 422, 422, 422]);
    expect(result.items[1]?.problem?.errors).toEqual([
      expect.objectContaining({
        path: 'subject.kind',
        item: '行政相对人类别',
        code: 'category_not_applicable',
      }),
    ]);
    expect(result.items[2]?.problem?.errors).toEqual([
      expect.objectContaining({ path: 'data.validUntil', item: '有效期至' }),
    ]);
    expect(result.items[3]?.problem?.errors).toEqual([
      expect.objectContaining({ path: 'data.issuingAuthority', item: '许可机关' }),
    ]);

    await platform.drainConsumers();
    const page = await disclosed(good.统一社会信用代码 as string);
    expect(page.items.find((i) => i.recordId === result.items[0]?.id)).toMatchObject({
      category: 'org_licence',
      occurredAt: '2026-04-02',
      data: {
        licenceName: '食品经营许可证',
        licenceNumber: good.行政许可决定文书号,
        certificateNumber: good.许可编号,
        licenceType: 'qualification',
        content: '预包装食品销售',
        validFrom: '2026-04-02',
        issuingAuthority: '淄博市市场监督管理局',
        authorityUscc: good.许可机关统一社会信用代码,
      },
    });
  });

  it('refuses an item that is not an object of national items, and an unknown format', async () => {
    const result = await pushNational('shuanggongshi-penalty', '[[1,2], "行政处罚"]');
    expect(result.items.map((i) => [i.status, i.problem?.code])).toEqual([
      [422, 'validation_failed'],
      [422, 'validation_failed'],
    ]);
    const unknown = await platform.request({
      method: 'POST',
      url: '/v1/records/batch?format=shuanggongshi-bankruptcy',
      token,
      rawBody: '[]',
      contentType: 'application/json',
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0]).toMatchObject({ path: 'query.format' });
  });
});
