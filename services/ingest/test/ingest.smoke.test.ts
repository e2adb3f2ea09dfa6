import { citizenId, recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

/**
 * The ingest essentials on whatever database the project gives this file: the `pglite-smoke`
 * project runs it on embedded PGlite (the quick start's database), `main` on PostgreSQL.
 */
let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, ['administrative_penalty', 'person_education']);
});
afterAll(async () => platform?.close());

describe(`ingest smoke`, () => {
  it('pushes, recognises a resubmission, corrects, withdraws and verifies the chain', async () => {
    const body = recordBody('administrative_penalty', {
      relatedPersons: [{ role: 'legal_representative', id: citizenId(), name: '孙丽' }],
    });
    const push = () => platform.request({ method: 'POST', url: '/v1/records', token: provider.token, body });
    const created = await push();
    expect(created.statusCode, created.body).toBe(201);
    expect((await push()).statusCode).toBe(200);
    const { sourceId, ...content } = body;
    const corrected = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: { ...content, data: { ...content.data, amount: 1000 } },
    });
    expect(corrected.json().version).toBe(2);
    const withdrawn = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: { reason: '撤销' },
    });
    expect(withdrawn.json()).toMatchObject({ version: 3, status: 'withdrawn' });
    const view = (
      await platform.request({ url: `/v1/records/${created.json().id}`, token: provider.token })
    ).json();
    expect(view).toMatchObject({ currentVersion: 3, chainValid: true });
  });

  it('takes a mixed batch and refuses prohibited information', async () => {
    const lines = [
      recordBody('person_education'),
      { ...recordBody('person_education'), 指纹: 'x' },
      recordBody('person_education'),
    ];
    const response = await platform.request({
      method: 'POST',
      url: '/v1/records/batch',
      token: provider.token,
      rawBody: lines.map((l) => JSON.stringify(l)).join('\n'),
      contentType: 'application/x-ndjson',
    });
    expect(response.json().items.map((i: { status: number }) => i.status)).toEqual([201, 422, 201]);
  });
});
