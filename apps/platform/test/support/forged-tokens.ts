import { readFile } from 'node:fs/promises';
import { devIssuerKeyPath, type Role } from '@credit/auth';
import { generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';

/** Ways a bearer token can be wrong while looking right; each must be refused with 401. */
export const invalidTokenKinds = [
  'expired',
  'not yet valid',
  'wrong audience',
  'wrong issuer',
  'bad signature',
  'alg none',
  'tampered payload',
] as const;
export type InvalidTokenKind = (typeof invalidTokenKinds)[number];

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Signs tokens with the platform's trusted development key (read from DATA_DIR, as `npm run
 * token` does) but with claims the verifier must refuse, and with keys or algorithms it must
 * not trust.
 */
export async function tokenForger(dataDir: string, issuer: string, audience: string) {
  const file = JSON.parse(await readFile(devIssuerKeyPath(dataDir), 'utf8')) as {
    kid: string;
    privateJwk: JWK;
  };
  const trustedKey = await importJWK(file.privateJwk, 'ES256');
  const { privateKey: strangerKey } = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);

  const sign = (claims: JWTPayload, key: typeof trustedKey = trustedKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: file.kid, typ: 'at+jwt' }).sign(key);

  return async function forge(kind: InvalidTokenKind, role: Role, org: string): Promise<string> {
    const claims: JWTPayload = {
      iss: issuer,
      aud: audience,
      sub: `${role}-caller`,
      roles: [role],
      org,
      iat: now,
      exp: now + 3600,
    };
    switch (kind) {
      case 'expired':
        // Beyond the verifier's clock tolerance.
        return sign({ ...claims, iat: now - 7200, exp: now - 600 });
      case 'not yet valid':
        return sign({ ...claims, nbf: now + 3600 });
      case 'wrong audience':
        return sign({ ...claims, aud: 'some-other-service' });
      case 'wrong issuer':
        return sign({ ...claims, iss: 'https://issuer.invalid' });
      case 'bad signature':
        return sign(claims, strangerKey);
      case 'alg none':
        return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      case 'tampered payload': {
        // A genuine signature over other claims: the payload was edited after signing.
        const [header, , signature] = (await sign({ ...claims, sub: 'someone-else' })).split('.');
        return `${header}.${base64url(claims)}.${signature}`;
      }
    }
  };
}
