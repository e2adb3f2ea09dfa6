import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { nationalSourceId } from '@credit/schema';
import { citizenId, createTestPlatform, type TestPlatform, uscc } from '@credit/testing';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/*
 * Departments' existing 双公示 files, pushed with no mapping: through the batch API with
 * `format=shuanggongshi-…`, and through `npm run import -- --preset …` from CSV (UTF-8 with a BOM,
 * GBK), XLSX and JSON Lines. Refusals name the national item; what was accepted reads back through
 * the query API with the national values converted (万元 to 元, national date forms to dates).
 */

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const providerCode = 'zb-ee-national';
let platform: TestPlatform;
let baseUrl: string;
let token: string;
let dir: string;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  baseUrl = await platform.app.listen({ port: 0, host: '127.0.0.1' });
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

/** `npm run import -- --preset …` against the test server; answers its JSON summary and stderr. */
async function importWithPreset(preset: string, file: string, extra: string[] = []) {
  const { stdout, stderr } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'apps/platform/src/cli/import.ts',
      '--provider',
      providerCode,
      '--preset',
      preset,
      '--file',
      file,
      '--url',
      baseUrl,
      '--token',
      token,
      '--batch',
      '3',
      ...extra,
    ],
    { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  return { summary: JSON.parse(stdout.trim().split('\n').at(-1) as string), stderr };
}

const csvCell = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
const csv = (rows: Record<string, string>[]) => {
  const headers = Object.keys(rows[0] as Record<string, string>);
  return [headers, ...rows.map((row) => headers.map((h) => row[h] ?? ''))]
    .map((cells) => cells.map(csvCell).join(','))
    .join('\r\n');
};

/** The refusal report's lines after its header, as objects. */
async function refusals(file: string): Promise<{ row: string; item: string; field: string; code: string }[]> {
  const [header, ...lines] = (await readFile(`${file}.refusals.csv`, 'utf8')).trim().split('\n');
  expect(header).toBe('row,sourceId,item,field,code,message');
  return lines.map((line) => {
    const [row, , item, field, code] = line.split(',');
    return { row: row as string, item: item as string, field: field as string, code: code as string };
  });
}

/** The penalty the query API shows the public for an organisation's row. */
async function publicPenalty(row: Record<string, string>) {
  await platform.drainConsumers();
  const page = await disclosed(row['行政相对人代码_1（统一社会信用代码）'] as string);
  return page.items.find(
    (i) => i.category === 'administrative_penalty' && i.data.documentNumber === row.行政处罚决定书文号,
  );
}

describe('npm run import -- --preset', () => {
  it('imports a UTF-8 CSV with a BOM, reports refusals by national item, and adds nothing when run again', async () => {
    const rows = [
      penaltyRow(),
      penaltyRow({ '罚款金额（万元）': '1.5' }),
      penaltyRow({ '行政相对人代码_1（统一社会信用代码）': badUscc() }),
      penaltyRow({ 处罚决定日期: '2026.13.01' }),
      personPenaltyRow(),
    ];
    const file = join(dir, '行政处罚-utf8.csv');
    await writeFile(file, `\uFEFF${csv(rows)}`);
    const { summary, stderr } = await importWithPreset('shuanggongshi-penalty', file);
    expect(summary).toMatchObject({ category: 'administrative_penalty', rows: 5, created: 3, refused: 2 });
    expect(stderr).toContain('national items read but kept nowhere: 处罚有效期');
    expect(await refusals(file)).toEqual([
      { row: '3', item: '统一社会信用代码', field: 'subject.id', code: 'invalid_identifier' },
      { row: '4', item: '处罚决定日期', field: 'data.decidedOn', code: 'validation_failed' },
    ]);
    expect(await publicPenalty(rows[1] as Record<string, string>)).toMatchObject({
      occurredAt: '2026-03-18',
      data: { amount: 15_000, confiscatedYuan: 1, penaltyKinds: ['fine', 'confiscation'] },
    });

    // From scratch (no state file), the same rows name the same records.
    const again = await importWithPreset('shuanggongshi-penalty', file, ['--restart']);
    expect(again.summary).toMatchObject({ rows: 5, created: 0, unchanged: 3, refused: 2 });
  });

  it('detects a GBK CSV of licences, headed with the older numbered names', async () => {
    const good = licenceRow({ 许可类别: '登记', 有效期至: '2030/12/31' });
    const rows = [good, licenceRow({ 许可类别: '临时' })].map(
      ({ 统一社会信用代码: code, ...rest }) =>
        ({ '行政相对人代码_1(统一社会信用代码)': code, ...rest }) as Record<string, string>,
    );
    const file = join(dir, '行政许可-gbk.csv');
    await writeFile(file, iconv.encode(csv(rows), 'gbk'));
    const { summary } = await importWithPreset('shuanggongshi-licence', file);
    expect(summary).toMatchObject({ category: 'org_licence', rows: 2, created: 1, refused: 1 });
    expect(await refusals(file)).toEqual([
      { row: '2', item: '许可类别', field: 'data.licenceType', code: 'validation_failed' },
    ]);
    await platform.drainConsumers();
    const page = await disclosed(good.统一社会信用代码 as string);
    expect(page.subject.name).toBe(good.行政相对人名称);
    expect(page.items.find((i) => i.category === 'org_licence')).toMatchObject({
      data: {
        licenceName: '食品经营许可证',
        licenceType: 'registration',
        validUntil: '2030-12-31',
        certificateNumber: good.许可编号,
      },
    });
  });

  it('reads an XLSX workbook with date and number cells', async () => {
    const rows = [penaltyRow(), penaltyRow({ 处罚类别: '罚款、警告' }), penaltyRow({ 违法事实: '' })];
    const headers = Object.keys(rows[0] as Record<string, string>);
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('行政处罚');
    sheet.addRow(headers);
    for (const row of rows)
      sheet.addRow(
        headers.map((h) => {
          const value = row[h] ?? '';
          // As departments' spreadsheets hold them: dates as date cells, amounts as numbers.
          if (h === '处罚决定日期') return new Date(Date.UTC(2026, 2, 18));
          if (h === '罚款金额（万元）') return 0.35;
          return value;
        }),
      );
    const file = join(dir, '行政处罚.xlsx');
    await workbook.xlsx.writeFile(file);

    const { summary } = await importWithPreset('shuanggongshi-penalty', file);
    expect(summary).toMatchObject({ rows: 3, created: 2, refused: 1 });
    expect(await refusals(file)).toEqual([
      { row: '3', item: '违法事实', field: 'data.facts', code: 'validation_failed' },
    ]);
    expect(await publicPenalty(rows[1] as Record<string, string>)).toMatchObject({
      occurredAt: '2026-03-18',
      data: { decidedOn: '2026-03-18', amount: 3500, penaltyKinds: ['fine', 'warning'] },
    });
  });

  it('reads JSON Lines of national items', async () => {
    const rows = [penaltyRow({ 处罚决定日期: '20260401' }), penaltyRow({ 行政相对人类别: '' })];
    const file = join(dir, '行政处罚.jsonl');
    await writeFile(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const { summary } = await importWithPreset('shuanggongshi-penalty', file);
    expect(summary).toMatchObject({ rows: 2, created: 1, refused: 1 });
    expect(await refusals(file)).toEqual([
      { row: '2', item: '行政相对人类别', field: 'subject.kind', code: 'validation_failed' },
    ]);
    expect(await publicPenalty(rows[0] as Record<string, string>)).toMatchObject({
      occurredAt: '2026-04-01',
      data: { amount: 205_000 },
    });
  });
});
