import { prohibitedFieldCategories } from '@credit/schema';
import { recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, ['person_other_basic', 'administrative_penalty']);
});
afterAll(async () => platform?.close());

/** One Chinese and several English spellings per prohibited category. */
const spellings: Record<string, string[]> = {
  religious_belief: ['宗教信仰', 'religiousBelief', 'religion'],
  genetic_data: ['基因', 'genetic_data', 'geneSequence'],
  fingerprint: ['指纹', 'fingerprint', 'finger_print'],
  blood_type: ['血型', 'bloodType', 'blood_type'],
  disease_history: ['疾病和病史', 'medicalHistory', 'chronic_disease'],
};

/** Every row of every table of the platform's own schemas, as text. */
async function everything(): Promise<string> {
  const tables = await platform.database.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { schema, name } of tables) {
    const rows = await platform.database.query<{ row: string }>(
      `SELECT t::text AS row FROM "${schema}"."${name}" t`,
    );
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

describe('prohibited information', () => {
  it('covers every prohibited category of the catalogue', () => {
    expect(Object.keys(spellings).sort()).toEqual(prohibitedFieldCategories.map((c) => c.code).sort());
  });

  const cases = Object.entries(spellings).flatMap(([category, keys]) =>
    keys.flatMap((key) => [
      { category, key, where: 'top level', build: (marker: string) => ({ [key]: marker }) },
      {
        category,
        key,
        where: 'nested in data',
        build: (marker: string) => ({
          data: { title: '资料', recordedOn: '2025-01-01', detail: { [key]: marker } },
        }),
      },
    ]),
  );

  it.each(cases)('refuses $key ($category) at $where, and keeps nothing of it', async ({ key, build }) => {
    const marker = `MARK-${Math.random().toString(36).slice(2)}`;
    const base = recordBody('person_other_basic', { data: { title: '资料', recordedOn: '2025-01-01' } });
    const extra = build(marker);
    const body = 'data' in extra ? { ...base, ...extra } : { ...base, ...extra };
    const single = await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider.token,
      body,
    });
    expect(single.statusCode).toBe(422);
    const problem = single.json();
    expect(problem.code).toBe('prohibited_field');
    expect(problem.errors[0]).toMatchObject({ code: 'prohibited_field', path: expect.stringContaining(key) });
    expect(single.body).not.toContain(marker);

    const batch = await platform.request({
      method: 'POST',
      url: '/v1/records/batch',
      token: provider.token,
      rawBody: JSON.stringify([body]),
    });
    expect(batch.json().items[0]).toMatchObject({ status: 422, problem: { code: 'prohibited_field' } });

    const stored = await everything();
    expect(stored).not.toContain(marker);
    expect(stored).not.toContain(key);
    expect(platform.logs.text()).not.toContain(marker);
    expect(platform.logs.text()).not.toContain(key);
  });

  it('refuses prohibited information inside related persons too', async () => {
    const body = recordBody('administrative_penalty', {
      relatedPersons: [{ role: 'legal_representative', id: '11010519491231002X', name: '王', 血型: 'AB' }],
    });
    const response = await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider.token,
      body,
    });
    expect(response.json()).toMatchObject({
      code: 'prohibited_field',
      errors: [{ path: 'relatedPersons.0.血型' }],
    });
  });
});
