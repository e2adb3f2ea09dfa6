import { createPrivateKey, createSign, type JsonWebKey as NodeJsonWebKey, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

/** The platform's own identity as a signer: reports and authorisation tokens name it as issuer. */
export const platformIssuer = 'urn:credit-platform';

/**
 * The platform's signing key (ES256). It signs credit reports (detached JWS over the canonical
 * report) and authorisation tokens; `/.well-known/jwks.json` publishes the public half so anyone
 * can verify either without asking the platform.
 */
export interface PlatformSigner {
  kid: string;
  jwks: { keys: JWK[] };
  signJwt(
    claims: Record<string, unknown>,
    options: { typ: string; expiresAt: Date; jti: string; audience?: string },
  ): Promise<string>;
  /** Verifies a platform-issued JWT of the given `typ` at `now` (the platform clock); throws on any failure. */
  verifyJwt(token: string, typ: string, now?: Date): Promise<JWTPayload>;
  /** A detached compact JWS (`header..signature`) over `payload`. */
  signDetached(payload: string, typ: string): Promise<string>;
  verifyDetached(jws: string, payload: string, typ: string): Promise<DetachedVerification>;
}

export type DetachedVerification = { valid: true; kid: string } | { valid: false; reason: string };

/**
 * Checks a detached compact JWS over `payload` against a key set: the platform's own, or the
 * published JWKS held by someone verifying offline (a report's recipient).
 */
export async function verifyDetachedWith(
  keys: JSONWebKeySet | ReturnType<typeof createLocalJWKSet>,
  jws: string,
  payload: string,
  typ: string,
): Promise<DetachedVerification> {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') return { valid: false, reason: 'not a detached compact JWS' };
  const attached = `${parts[0]}.${Buffer.from(payload).toString('base64url')}.${parts[2]}`;
  const keySet = typeof keys === 'function' ? keys : createLocalJWKSet(keys);
  try {
    const { protectedHeader } = await compactVerify(attached, keySet, { algorithms: ['ES256'] });
    if (protectedHeader.typ !== typ) return { valid: false, reason: `not a '${typ}' signature` };
    return { valid: true, kid: protectedHeader.kid ?? '' };
  } catch {
    return { valid: false, reason: 'the signature does not match the content' };
  }
}

interface SigningKeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

const base64Piece = 3 * 16_384;

async function fromKeyFile(file: SigningKeyFile): Promise<PlatformSigner> {
  const privateKey = await importJWK(file.privateJwk, 'ES256');
  // The same key for Node's own signer: detached report signatures are made here directly.
  const nodeKey = createPrivateKey({ key: file.privateJwk as NodeJsonWebKey, format: 'jwk' });
  const jwks = { keys: [{ ...file.publicJwk, kid: file.kid, alg: 'ES256', use: 'sig' }] };
  const keySet = createLocalJWKSet(jwks);
  return {
    kid: file.kid,
    jwks,
    signJwt(claims, { typ, expiresAt, jti, audience }) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: file.kid, typ })
        .setIssuer(platformIssuer)
        .setIssuedAt()
        .setJti(jti)
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000));
      if (audience) jwt.setAudience(audience);
      return jwt.sign(privateKey);
    },
    async verifyJwt(token, typ, now) {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: platformIssuer,
        typ,
        algorithms: ['ES256'],
        ...(now ? { currentDate: now } : {}),
      });
      return payload;
    },
    // RFC 7515 by hand rather than through jose's CompactSign: its base64url of a 400 KB report
    // went through a UTF-8 string and btoa, 70 % of a report's time; Buffer's is native. The
    // result is the same compact JWS with the payload left out, verified below by jose.
    async signDetached(payload, typ) {
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: file.kid, typ })).toString('base64url');
      // A report's payload is hundreds of kilobytes: its base64url is hashed piece by piece
      // (pieces of a multiple of 3 bytes encode without padding) rather than built whole and
      // joined to the header, which would leave three more copies of that size to collect.
      const signer = createSign('sha256').update(`${header}.`, 'ascii');
      const bytes = Buffer.from(payload, 'utf8');
      for (let offset = 0; offset < bytes.length; offset += base64Piece)
        signer.update(bytes.subarray(offset, offset + base64Piece).toString('base64url'), 'ascii');
      const signature = signer.sign({ key: nodeKey, dsaEncoding: 'ieee-p1363' });
      return `${header}..${signature.toString('base64url')}`;
    },
    verifyDetached(jws, payload, typ) {
      return verifyDetachedWith(keySet, jws, payload, typ);
    },
  };
}

/** From `PLATFORM_SIGNING_KEY` (a private EC P-256 JWK with `kid`). */
export async function signerFromJwk(json: string): Promise<PlatformSigner> {
  const privateJwk = JSON.parse(json) as JWK;
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || !privateJwk.d) {
    throw new Error('PLATFORM_SIGNING_KEY must be a private EC P-256 JWK');
  }
  const { d: _d, ...publicJwk } = privateJwk;
  return fromKeyFile({ kid: privateJwk.kid ?? 'platform-1', privateJwk, publicJwk });
}

/** For the embedded default: generated once under DATA_DIR with mode 0600. */
export async function loadOrCreateSigner(path: string): Promise<PlatformSigner> {
  try {
    return await fromKeyFile(JSON.parse(await readFile(path, 'utf8')) as SigningKeyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `platform-${randomUUID().slice(0, 8)}`;
  const file: SigningKeyFile = {
    kid,
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return fromKeyFile(JSON.parse(await readFile(path, 'utf8')) as SigningKeyFile);
    throw error;
  }
  return fromKeyFile(file);
}
