import { readFeed } from '@credit/events';
import { recordEventSchema } from '@credit/schema';
import { citizenId, eventually, recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, ['administrative_penalty', 'org_licence', 'person_education']);
});
afterAll(async () => platform?.close());

const push = (body: unknown) =>
  platform.request({ method: 'POST', url: '/v1/records', token: provider.token, body });

describe('pushing a record', () => {
  it('answers 201 with the platform id, and the identical record again 200 with the same id', async () => {
    const body = recordBody('org_licence');
    const first = await push(body);
    expect(first.statusCode).toBe(201);
    const receipt = first.json();
    expect(receipt).toMatchObject({
      id: expect.stringMatching(/^rec_/),
      sourceId: body.sourceId,
      version: 1,
      status: 'active',
      created: true,
    });
    expect(first.headers.location).toBe(`/v1/records/${receipt.id}`);
    expect(first.headers.etag).toBe('"v1"');

    const again = await push(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: receipt.id, version: 1, created: false, hash: receipt.hash });

    // Key order and identifier spelling do not make a different record.
    const reordered = {
      data: body.data,
      occurredAt: body.occurredAt,
      subject: { ...body.subject, id: ` ${body.subject.id.toLowerCase()} ` },
      category: body.category,
      sourceId: body.sourceId,
    };
    expect((await push(reordered)).json()).toMatchObject({ id: receipt.id, created: false });
  });

  it('answers 409 for the same sourceId with other content, naming the existing record', async () => {
    const body = recordBody('org_licence');
    const created = (await push(body)).json();
    const conflicting = await push({ ...body, data: { ...body.data, licenceName: '另一许可证' } });
    expect(conflicting.statusCode).toBe(409);
    expect(conflicting.headers['content-type']).toContain('application/problem+json');
    expect(conflicting.json()).toMatchObject({ code: 'source_id_conflict', recordId: created.id });
  });

  it('corrects a record into version 2 with the hash chain intact, and withdraws it keeping history', async () => {
    const body = recordBody('administrative_penalty');
    const created = (await push(body)).json();
    const { sourceId, ...content } = body;

    const corrected = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      headers: { 'if-match': '"v1"' },
      body: { ...content, data: { ...content.data, amount: 30000 }, reason: '复议后变更罚款金额' },
    });
    expect(corrected.statusCode).toBe(200);
    expect(corrected.json()).toMatchObject({ id: created.id, version: 2, status: 'active' });

    const stale = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      headers: { 'if-match': '"v1"' },
      body: { ...content, data: { ...content.data, amount: 20000 } },
    });
    expect(stale.statusCode).toBe(412);

    const withdrawn = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: { reasonCode: 'decision_revoked', reason: '行政复议撤销原处罚决定' },
    });
    expect(withdrawn.statusCode).toBe(200);
    expect(withdrawn.json()).toMatchObject({ version: 3, status: 'withdrawn' });

    const view = (await platform.request({ url: `/v1/records/${created.id}`, token: provider.token })).json();
    expect(view.status).toBe('withdrawn');
    expect(view.chainValid).toBe(true);
    expect(view.versions.map((v: { operation: string }) => v.operation)).toEqual([
      'create',
      'correct',
      'withdraw',
    ]);
    expect(view.versions[0].data.amount).toBe(50000);
    expect(view.versions[1].data.amount).toBe(30000);
    expect(view.versions[1].prevHash).toBe(view.versions[0].hash);
    expect(view.versions[2].prevHash).toBe(view.versions[1].hash);
    expect(view.versions[2]).toMatchObject({
      reasonCode: 'decision_revoked',
      reason: '行政复议撤销原处罚决定',
    });

    const again = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: { reason: 'again' },
    });
    expect(again.json()).toMatchObject({ version: 3, status: 'withdrawn' });
    const correctWithdrawn = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: content,
    });
    expect(correctWithdrawn.statusCode).toBe(409);
    expect(correctWithdrawn.json().code).toBe('record_withdrawn');
  });

  it('records an organisation dishonesty also against its legal representative, and carries corrections to them', async () => {
    const representative = citizenId();
    const responsible = citizenId();
    const body = recordBody('administrative_penalty', {
      relatedPersons: [
        { role: 'legal_representative', id: representative, name: '王强' },
        { role: 'directly_responsible', id: responsible, name: '赵敏' },
      ],
    });
    const created = await push(body);
    expect(created.statusCode).toBe(201);
    const linked = created.json().linkedRecords;
    expect(linked.map((l: { role: string }) => l.role).sort()).toEqual([
      'directly_responsible',
      'legal_representative',
    ]);

    const admin = await platform.token('admin', { org: 'credit-office' });
    const personal = (await platform.request({ url: `/v1/records/${linked[0].id}`, token: admin })).json();
    expect(personal).toMatchObject({
      origin: 'linked',
      linkedFrom: { recordId: created.json().id },
      category: 'administrative_penalty',
      subject: { kind: 'natural_person' },
      status: 'active',
    });
    expect(personal.subject.id).toMatch(/^\d{6}\*{8}[\dX]{4}$/);

    // Dropping one person from the record withdraws that person's record; the other is corrected.
    const { sourceId, ...content } = body;
    await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${sourceId}`,
      token: provider.token,
      body: {
        ...content,
        relatedPersons: [{ role: 'legal_representative', id: representative, name: '王强' }],
        data: { ...content.data, amount: 45000 },
      },
    });
    const states = await Promise.all(
      linked.map(async (l: { id: string; role: string }) => {
        const view = (await platform.request({ url: `/v1/records/${l.id}`, token: admin })).json();
        return [l.role, view.status, view.versions.at(-1).data.amount, view.chainValid];
      }),
    );
    expect(Object.fromEntries(states.map(([role, ...rest]) => [role, rest]))).toEqual({
      legal_representative: ['active', 45000, true],
      directly_responsible: ['withdrawn', 50000, true],
    });
  });

  it('appends one event per accepted change in the same transaction, carrying no identity in clear', async () => {
    const person = citizenId();
    const body = recordBody('person_education', {
      subject: { kind: 'natural_person', id: person, name: '陈晨' },
    });
    const created = (await push(body)).json();
    // The feed releases an event once every older write transaction of the cluster has ended.
    const mine = await eventually(
      async () =>
        (await readFeed(platform.database.db, 'ingest', { txId: '0', seq: 0 }, 10_000)).filter(
          (e) => e.aggregateId === created.id,
        ),
      (events) => events.length > 0,
    );
    expect(mine).toHaveLength(1);
    const payload = recordEventSchema.parse(mine[0]?.payload);
    expect(payload).toMatchObject({
      recordId: created.id,
      version: 1,
      operation: 'create',
      category: 'person_education',
      publicity: 'authorised',
    });
    expect(JSON.stringify(mine[0])).not.toContain(person);
    expect(JSON.stringify(mine[0])).not.toContain('陈晨');
    const decrypted = platform.runtime.keyring.decrypt(
      payload.subject.keyId,
      Buffer.from(payload.subject.identifierCipher, 'base64'),
      Buffer.concat([Buffer.from('identifier:'), Buffer.from(payload.subject.key, 'hex')]),
    );
    expect(decrypted).toBe(person);
  });

  it('stores natural persons’ identity numbers and names only encrypted', async () => {
    const person = citizenId();
    await push(
      recordBody('person_education', { subject: { kind: 'natural_person', id: person, name: '欧阳娜娜' } }),
    );
    const dump = await platform.database.query<{ t: string }>(
      `SELECT string_agg(x::text, ' ') AS t FROM (
         SELECT s::text AS x FROM ingest.subjects s UNION ALL SELECT v::text FROM ingest.record_versions v
         UNION ALL SELECT r::text FROM ingest.records r UNION ALL SELECT e::text FROM ingest.events e) all_rows`,
    );
    const text = dump[0]?.t ?? '';
    expect(text.length).toBeGreaterThan(1000);
    expect(text).not.toContain(person);
    expect(text).not.toContain('欧阳娜娜');
  });
});
