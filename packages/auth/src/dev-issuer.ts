import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { Role } from './principal.ts';
import { createTokenVerifier, keysFromJwks, type TokenVerifier } from './verifier.ts';

export const devIssuer = 'urn:credit-platform:dev-issuer';
export const devAudience = 'credit-platform';

interface DevKeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export function devIssuerKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'dev-issuer.json');
}

/**
 * A local identity provider for development and the embedded default: its signing key lives
 * under DATA_DIR so `npm run token` and the running server agree without any configuration.
 */
export interface DevIssuer {
  issuer: string;
  audience: string;
  jwks: { keys: JWK[] };
  verifier: TokenVerifier;
  sign(claims: {
    roles: Role[];
    org?: string;
    subjectId?: string;
    sub?: string;
    ttlSeconds?: number;
  }): Promise<string>;
  /** Signs an arbitrary JWS with the issuer's key (e.g. a subject-signed authorisation). */
  signJws(payload: Record<string, unknown>, typ: string, ttlSeconds?: number): Promise<string>;
}

async function loadOrCreate(path: string): Promise<DevKeyFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as DevKeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `dev-${randomUUID().slice(0, 8)}`;
  const file: DevKeyFile = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
  } catch (error) {
    // Another process created it first: use theirs so both agree.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return JSON.parse(await readFile(path, 'utf8')) as DevKeyFile;
    throw error;
  }
  return file;
}

export async function openDevIssuer(dataDir: string): Promise<DevIssuer> {
  const file = await loadOrCreate(devIssuerKeyPath(dataDir));
  const privateKey = await importJWK(file.privateJwk, 'ES256');
  const jwks = { keys: [file.publicJwk] };
  const verifier = createTokenVerifier({
    issuer: devIssuer,
    audience: devAudience,
    keys: keysFromJwks(jwks),
  });
  const signJws = async (payload: Record<string, unknown>, typ: string, ttlSeconds = 3600) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: file.kid, typ })
      .setIssuer(devIssuer)
      .setAudience(devAudience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(privateKey);
  return {
    issuer: devIssuer,
    audience: devAudience,
    jwks,
    verifier,
    signJws,
    async sign({ roles, org, subjectId, sub, ttlSeconds = 3600 }) {
      const claims: Record<string, unknown> = { roles };
      if (org) claims.org = org;
      if (subjectId) claims.subject_id = subjectId;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: file.kid, typ: 'at+jwt' })
        .setIssuer(devIssuer)
        .setAudience(devAudience)
        .setSubject(sub ?? subjectId ?? org ?? roles.join('+'))
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(privateKey);
    },
  };
}
