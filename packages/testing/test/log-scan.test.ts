import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCitizenId, generatePersonName, generateUscc, seededRandom } from '@credit/schema';
import { describe, expect, inject, it } from 'vitest';
import { LogScanner, scanCaptureDirectory } from '../src/log-scan.ts';
import { createTestPlatform } from '../src/test-platform.ts';

const random = seededRandom(6);
const clean = JSON.stringify({
  level: 30,
  time: '2026-06-01T02:00:00.000Z',
  service: 'credit-platform',
  reqId: '6f1c2a9e-3b7d-4c1e-9a55-0d2f7e8b9c10',
  req: { method: 'GET', route: '/v1/subjects/:id/report' },
  res: { statusCode: 200 },
  record: 'rec_06fa9xad021n30bnbg89z9bv5r',
  hash: '3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b',
  // 18 digits whose check character is wrong: not an identity number.
  reference: '110105194912310020',
  msg: 'request completed',
});

describe('the log scan', () => {
  it('catches identity numbers, USCCs, names and payload values, masked in its report, and passes clean lines', () => {
    const person = generateCitizenId(random, 1970, 1990);
    const company = generateUscc(random);
    const scanner = new LogScanner({
      names: ['赵敏'],
      payloads: ['淄张市监罚〔2025〕215号', 'He said "no" twice'],
    });
    const found = (line: string) => scanner.scanLine(line).map((l) => [l.kind, l.value]);

    expect(found(clean)).toEqual([]);
    expect(found(JSON.stringify({ level: 50, msg: `no subject ${person}` }))).toEqual([
      ['citizen_id', `${person.slice(0, 3)}***********${person.slice(14)}`],
    ]);
    expect(found(JSON.stringify({ level: 40, err: { message: `duplicate ${company}` } }))).toEqual([
      ['uscc', `${company.slice(0, 3)}***********${company.slice(14)}`],
    ]);
    expect(found(JSON.stringify({ level: 30, msg: '处理赵敏的记录' }))).toEqual([['name', '赵*']]);
    const demoName = generatePersonName(random);
    expect(found(JSON.stringify({ level: 30, msg: `主体${demoName}` })).map(([kind]) => kind)).toEqual([
      'name',
    ]);
    expect(
      found(JSON.stringify({ level: 30, data: { documentNumber: '淄张市监罚〔2025〕215号' } })),
    ).toHaveLength(1);
    // Found as it appears in a JSON line, quotes escaped.
    expect(found(JSON.stringify({ level: 30, facts: 'He said "no" twice' })).map(([kind]) => kind)).toEqual([
      'payload',
    ]);
    console.info(
      `log scan self-test: 1 clean line passed; an identity number, a USCC, a sent name, a generated name and 2 payload values each caught`,
    );
  });

  it('reads a capture directory: log files scanned line by line, sent values from the tests', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'log-scan-'));
    try {
      await writeFile(
        join(directory, '1.log'),
        `${clean}\n${JSON.stringify({ level: 30, msg: '欧阳娜娜' })}\n`,
      );
      await writeFile(join(directory, '1.sent'), `${JSON.stringify({ kind: 'name', value: '欧阳娜娜' })}\n`);
      const { lines, leaks } = await scanCaptureDirectory(directory);
      expect(lines).toBe(2);
      expect(leaks).toEqual([{ kind: 'name', value: '欧**娜', where: '1.log:2' }]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('receives every line a test platform logs', async () => {
    const platform = await createTestPlatform([]);
    try {
      const marker = `marker-${Date.now().toString(36)}`;
      platform.app.log.info({ marker }, 'log capture wiring');
      const captured = await readFile(join(inject('logCapture'), `${process.pid}.log`), 'utf8');
      expect(captured).toContain(marker);
    } finally {
      await platform.close();
    }
  });
});
