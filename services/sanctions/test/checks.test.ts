import { randomBytes } from 'node:crypto';
import { newId } from '@credit/crypto';
import { company, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckLog } from '../src/domain/check-log.ts';
import { sanctionsPlatform } from './helpers.ts';

let platform: TestPlatform;
let department: string;

beforeAll(async () => {
  platform = await sanctionsPlatform();
  department = await platform.token('government', { org: 'zb-market-supervision' });
});
afterAll(async () => platform?.close());

const check = (subject: { kind: string; id: string }) =>
  platform.request({
    method: 'POST',
    url: '/v1/checks',
    token: department,
    body: {
      subject: subject.id,
      action: 'licence_application',
      purpose: '许可审查',
    },
  });

async function keptChecks(ids: string[]) {
  return platform.database.query<{ check_id: string; org: string; action: string; decision: string }>(
    'SELECT check_id, org, action, decision FROM sanctions.checks WHERE check_id = ANY($1::text[]) ORDER BY check_id',
    [ids],
  );
}

const checkCount = async () =>
  Number((await platform.database.query<{ n: string }>('SELECT count(*) AS n FROM sanctions.checks'))[0]?.n);

describe('the check log', () => {
  it('keeps every check when many arrive together, the groups written side by side', async () => {
    // Straight to the log, in one turn of the event loop: over HTTP, even from many sockets at
    // once, checks here reach it one by one and each insert is done before the next arrives.
    const log = createCheckLog(platform.database);
    const rows = Array.from({ length: 150 }, () => ({
      subjectKey: randomBytes(32),
      checkId: newId('chk'),
      org: 'zb-market-supervision',
      role: 'government',
      action: 'licence_application',
      purpose: '许可审查',
      decision: 'allow',
      entries: [],
      measures: [],
      checkedAt: new Date(),
    }));
    await Promise.all(rows.map((row) => log.append(row)));
    const kept = await keptChecks(rows.map((row) => row.checkId));
    expect(kept.map((row) => row.check_id)).toEqual(rows.map((row) => row.checkId).sort());
  });

  it('answers no check it could not keep, and keeps checks again once it can', async () => {
    const before = await checkCount();
    await platform.database.query(`
      CREATE FUNCTION sanctions.refuse_checks_for_test() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'check log unavailable for the test'; END $$`);
    await platform.database.query(`
      CREATE TRIGGER refuse_checks_for_test BEFORE INSERT ON sanctions.checks
        FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_checks_for_test()`);
    try {
      const refused = await Promise.all(Array.from({ length: 40 }, () => check(company())));
      for (const answer of refused) {
        expect(answer.statusCode).toBe(500);
        expect(answer.headers['content-type']).toContain('application/problem+json');
        expect(answer.json()).not.toHaveProperty('checkId');
      }
      expect(await checkCount()).toBe(before);
    } finally {
      await platform.database.query('DROP TRIGGER refuse_checks_for_test ON sanctions.checks');
      await platform.database.query('DROP FUNCTION sanctions.refuse_checks_for_test()');
    }

    const answer = await check(company());
    expect(answer.statusCode).toBe(200);
    expect(await keptChecks([answer.json().checkId])).toHaveLength(1);
    expect(await checkCount()).toBe(before + 1);
  });
});
