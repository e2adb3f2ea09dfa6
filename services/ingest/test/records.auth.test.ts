import { recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, ['org_licence']);
});
afterAll(async () => platform?.close());

async function foreignToken(
  issuer: string,
  audience: string,
  claims: Record<string, unknown>,
  expiresIn = '1h',
) {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('someone')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(privateKey);
}

const push = (headers: Record<string, string>) =>
  platform.request({ method: 'POST', url: '/v1/records', headers, body: recordBody('org_licence') });

describe('authentication and roles on ingest', () => {
  it('answers 401 without a token, with an expired token and with a foreign issuer’s token', async () => {
    const missing = await push({});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('unauthenticated');
    expect(missing.headers['www-authenticate']).toContain('Bearer');

    const expired = await platform.token('provider', { org: provider.code, ttlSeconds: -120 });
    expect((await push({ authorization: `Bearer ${expired}` })).json()).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });

    const issuer = platform.runtime.verifier;
    const wrongIssuer = await foreignToken('https://evil.example', issuer.audience, {
      roles: ['provider'],
      org: provider.code,
    });
    expect((await push({ authorization: `Bearer ${wrongIssuer}` })).statusCode).toBe(401);
    const forgedKey = await foreignToken(issuer.issuer, issuer.audience, {
      roles: ['provider'],
      org: provider.code,
    });
    expect((await push({ authorization: `Bearer ${forgedKey}` })).statusCode).toBe(401);

    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({
        iss: issuer.issuer,
        aud: issuer.audience,
        sub: 'x',
        roles: ['provider'],
        org: provider.code,
        exp: 9_999_999_999,
      }),
    ).toString('base64url')}.`;
    expect((await push({ authorization: `Bearer ${unsigned}` })).statusCode).toBe(401);
    expect((await push({ authorization: 'Basic dXNlcjpwYXNz' })).statusCode).toBe(401);
  });

  it('answers 403 to a wrong role, and lets the provider in', async () => {
    for (const role of ['agency', 'subject', 'platform', 'government'] as const) {
      const token = await platform.token(role, { org: provider.code });
      // The second request finds the token among those verified recently: the role still counts.
      for (const attempt of ['verified', 'recalled']) {
        const response = await push({ authorization: `Bearer ${token}` });
        expect(response.statusCode, `${role}, ${attempt}`).toBe(403);
        expect(response.json().code).toBe('forbidden');
      }
    }
    expect((await push({ authorization: `Bearer ${provider.token}` })).statusCode).toBe(201);
    expect((await push({ authorization: `Bearer ${provider.token}` })).statusCode).toBe(201);
  });

  it('keeps provider administration to the credit office', async () => {
    const response = await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: provider.token,
      body: { code: 'self-made', name: 'x', categories: ['org_licence'] },
    });
    expect(response.statusCode).toBe(403);
  });

  it('every route declares who may call it', () => {
    const declared = platform.app.routeAccess.map((r) => `${r.method} ${r.url}`);
    expect(declared).toEqual(
      expect.arrayContaining([
        'POST /v1/records',
        'POST /v1/records/batch',
        'POST /v1/providers',
        'GET /v1/catalogue',
      ]),
    );
    for (const route of platform.app.routeAccess) expect(route.auth).toBeDefined();
  });

  it('hides another provider’s record as absent', async () => {
    const created = (await push({ authorization: `Bearer ${provider.token}` })).json();
    const other = await registerProvider(platform, ['org_licence']);
    const response = await platform.request({ url: `/v1/records/${created.id}`, token: other.token });
    expect(response.statusCode).toBe(404);
  });
});
