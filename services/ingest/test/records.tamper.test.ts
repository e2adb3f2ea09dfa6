import { recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, ['administrative_penalty']);
});
afterAll(async () => platform?.close());

describe('tamper evidence of the record store', () => {
  it('refuses UPDATE, DELETE and TRUNCATE on history tables', async () => {
    const created = (
      await platform.request({
        method: 'POST',
        url: '/v1/records',
        token: provider.token,
        body: recordBody('administrative_penalty'),
      })
    ).json();
    for (const statement of [
      `UPDATE ingest.record_versions SET reason = 'x' WHERE record_id = '${created.id}'`,
      `DELETE FROM ingest.record_versions WHERE record_id = '${created.id}'`,
      `DELETE FROM ingest.records WHERE record_id = '${created.id}'`,
      `UPDATE ingest.events SET type = 'x' WHERE aggregate_id = '${created.id}'`,
    ]) {
      await expect(platform.database.execScript(statement), statement).rejects.toThrow(/append-only/);
    }
  });

  it('detects a version altered behind the platform’s back', async () => {
    const body = recordBody('administrative_penalty');
    const created = (
      await platform.request({ method: 'POST', url: '/v1/records', token: provider.token, body })
    ).json();
    const { sourceId, ...content } = body;
    await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: { ...content, data: { ...content.data, amount: 1 } },
    });
    const before = (
      await platform.request({ url: `/v1/records/${created.id}`, token: provider.token })
    ).json();
    expect(before.chainValid).toBe(true);

    // An operator with table-owner rights lowers the fine in version 1 and hides the trace.
    await platform.database.execScript(`
      ALTER TABLE ingest.record_versions DISABLE TRIGGER record_versions_append_only;
      UPDATE ingest.record_versions SET data = jsonb_set(data, '{amount}', '10') WHERE record_id = '${created.id}' AND version = 1;
      ALTER TABLE ingest.record_versions ENABLE TRIGGER record_versions_append_only;`);
    const after = (
      await platform.request({ url: `/v1/records/${created.id}`, token: provider.token })
    ).json();
    expect(after.versions[0].data.amount).toBe(10);
    expect(after.chainValid).toBe(false);
  });
});
