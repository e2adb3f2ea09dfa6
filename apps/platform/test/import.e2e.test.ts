import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { citizenId, createTestPlatform, type TestPlatform, uscc } from '@credit/testing';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
let platform: TestPlatform;
let baseUrl: string;
let dir: string;
let token: string;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  baseUrl = await platform.app.listen({ port: 0, host: '127.0.0.1' });
  dir = await mkdtemp(join(tmpdir(), 'credit-import-'));
  const admin = await platform.token('admin', { org: 'credit-office' });
  await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code: 'zb-amr-import', name: '市场监管', categories: ['administrative_penalty'] },
  });
  token = await platform.token('provider', { org: 'zb-amr-import', ttlSeconds: 3600 });
}, 60_000);
afterAll(async () => {
  await platform?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The import command. `asConfigured` leaves out --url and --token: it then finds the server and
 * its token the way `npm start` was configured (HOST, PORT, DATA_DIR), as a newcomer runs it.
 */
const importFile = (file: string, extra: string[] = [], asConfigured = false) =>
  run(
    process.execPath,
    [
      '--import',
      'tsx',
      'apps/platform/src/cli/import.ts',
      '--provider',
      'zb-amr-import',
      '--category',
      'administrative_penalty',
      '--file',
      file,
      ...(asConfigured ? [] : ['--url', baseUrl, '--token', token]),
      '--batch',
      '2',
      ...extra,
    ],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...(asConfigured
          ? { DATA_DIR: platform.cliEnvironment.DATA_DIR, HOST: '127.0.0.1', PORT: new URL(baseUrl).port }
          : {}),
      },
    },
  );

/** The percentages of the progress lines, in order. */
function percentages(stderr: string): number[] {
  return [...stderr.matchAll(/ · (\d+)% · /g)].map((m) => Number(m[1]));
}

describe('the import command', () => {
  it('imports a GBK spreadsheet with Chinese headers, reports bad rows, and adds nothing when run again', async () => {
    const header = [
      '业务编号',
      '主体类型',
      '统一社会信用代码',
      '主体名称',
      '处罚日期',
      '决定日期',
      '处罚决定书文号',
      '处罚机关',
      '违法行为',
      '违法事实',
      '处罚依据',
      '处罚种类',
      '罚款金额',
    ];
    const row = (n: number, kind: string, id: string) => [
      `CF-${n}`,
      kind,
      id,
      `淄博测试${n}有限公司`,
      '2025-08-01',
      '2025-08-01',
      `淄市监罚〔2025〕${n}号`,
      '淄博市市场监督管理局',
      '无照经营',
      '未取得营业执照从事经营',
      '《无证无照经营查处办法》第十三条',
      'fine;confiscation',
      '"5,000"',
    ];
    const rows = [
      row(1, 'legal_person', uscc()),
      row(2, 'legal_person', uscc()),
      row(3, 'legal_person', '913703000000000000'),
      row(4, 'legal_person', uscc()),
      row(5, 'legal_person', citizenId()),
      row(6, 'legal_person', uscc()),
    ];
    const file = join(dir, '行政处罚.csv');
    await writeFile(file, iconv.encode([header, ...rows].map((r) => r.join(',')).join('\r\n'), 'gbk'));
    const mappingFile = join(dir, 'mapping.json');
    await writeFile(
      mappingFile,
      JSON.stringify({
        业务编号: 'sourceId',
        主体类型: 'subjectKind',
        统一社会信用代码: 'subjectId',
        主体名称: 'subjectName',
        处罚日期: 'occurredAt',
        决定日期: 'data.decidedOn',
        处罚决定书文号: 'data.documentNumber',
        处罚机关: 'data.authority',
        违法行为: 'data.violation',
        违法事实: 'data.facts',
        处罚依据: 'data.legalBasis',
        处罚种类: 'data.penaltyKinds',
        罚款金额: 'data.amount',
      }),
    );

    const firstRun = await importFile(file, ['--mapping', mappingFile], true);
    const first = JSON.parse(firstRun.stdout.trim().split('\n').at(-1) as string);
    expect(first).toMatchObject({ url: baseUrl, rows: 6, created: 4, refused: 2, resumed: false });
    // Progress counts the rows the platform has answered, batch by batch (two rows of six each),
    // not the bytes read ahead: the whole file is one read, which showed 100 % from the start.
    const shown = percentages(firstRun.stderr);
    expect(shown).toHaveLength(4);
    expect(shown[0]).toBeGreaterThan(20);
    expect(shown[0]).toBeLessThan(50);
    expect(shown[1]).toBeGreaterThan(shown[0] as number);
    expect(shown[1]).toBeLessThan(80);
    expect(shown.slice(2)).toEqual([100, 100]);
    const report = await readFile(`${file}.refusals.csv`, 'utf8');
    expect(report.split('\n')[0]).toBe('row,sourceId,field,code,message');
    expect(report).toMatch(/^3,CF-3,subject\.id,invalid_identifier,/m);
    expect(report).toMatch(/^5,CF-5,subject\.id,subject_kind_mismatch,/m);

    const stored = await platform.database.query<{ source_id: string }>(
      "SELECT source_id FROM ingest.records WHERE provider_code = 'zb-amr-import' ORDER BY source_id",
    );
    expect(stored.map((r) => r.source_id)).toEqual(['CF-1', 'CF-2', 'CF-4', 'CF-6']);
    const amounts = await platform.database.query<{ amount: number; kinds: string[] }>(
      "SELECT (data->>'amount')::numeric AS amount, data->'penaltyKinds' AS kinds FROM ingest.record_versions WHERE provider_code = 'zb-amr-import' LIMIT 1",
    );
    expect(Number(amounts[0]?.amount)).toBe(5000);
    expect(amounts[0]?.kinds).toEqual(['fine', 'confiscation']);

    // Run again: the state file says everything was answered.
    const second = JSON.parse(
      (await importFile(file, ['--mapping', mappingFile])).stdout.trim().split('\n').at(-1) as string,
    );
    expect(second).toMatchObject({ rows: 0, created: 0, skipped: 6, resumed: true });
    // Even from scratch (state discarded), idempotent pushes add nothing.
    const again = JSON.parse(
      (await importFile(file, ['--mapping', mappingFile, '--restart'])).stdout
        .trim()
        .split('\n')
        .at(-1) as string,
    );
    expect(again).toMatchObject({ rows: 6, created: 0, unchanged: 4, refused: 2 });
    const count = await platform.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM ingest.records WHERE provider_code = 'zb-amr-import'",
    );
    expect(Number(count[0]?.n)).toBe(4);
  }, 90_000);
});
