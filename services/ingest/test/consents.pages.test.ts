import { citizenId, expectPaginatesToEnd, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await ingestPlatform();
});
afterAll(async () => platform?.close());

describe('a subject’s consents, page by page', () => {
  it('walks every consent of the subject, newest first, and none of another subject', async () => {
    const provider = await registerProvider(platform, ['person_employment']);
    const person = citizenId();
    const token = await platform.token('subject', { subject: person });
    const grant = async (subject: string, as: string) => {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/consents',
        token: as,
        body: {
          subject: { kind: 'natural_person', id: subject },
          provider: provider.code,
          fields: ['income'],
          purpose: '就业信用档案',
          purposes: ['employment'],
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id as string;
    };
    const ids: string[] = [];
    for (let n = 0; n < 7; n++) ids.push(await grant(person, token));
    const stranger = citizenId();
    await grant(stranger, await platform.token('subject', { subject: stranger }));

    await expectPaginatesToEnd(platform, {
      url: '/v1/consents',
      token,
      limit: 3,
      idOf: (consent: { id: string }) => consent.id,
      expected: [...ids].sort().reverse(),
      ordered: true,
    });
    const forged = await platform.request({ url: '/v1/consents?cursor=bm9wZQ', token });
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
  });
});
