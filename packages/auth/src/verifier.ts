import { ProblemError } from '@credit/errors';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { isRole, type Principal } from './principal.ts';

/** Asymmetric algorithms only: a shared-secret (HS*) or unsigned (`none`) token is never accepted. */
export const acceptedAlgorithms = [
  'ES256',
  'ES384',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
];

/** Access tokens are typed `at+jwt` (RFC 9068) or plain `JWT`; other JWS types (authorisations) are not tokens. */
const accessTokenTypes = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

export interface VerifierConfig {
  issuer: string;
  audience: string;
  keys: JWTVerifyGetKey;
  clockToleranceSeconds?: number;
}

export interface TokenVerifier {
  issuer: string;
  audience: string;
  verify(token: string): Promise<Principal>;
  /**
   * The principal of a token verified recently and still trusted, without waiting: most requests
   * present a token already seen, and a route hook can then finish synchronously.
   */
  recall(token: string): Principal | undefined;
  /** The key set function, for verifying other JWS issued by the same identity provider. */
  keys: JWTVerifyGetKey;
}

export function keysFromJwks(jwks: string | JSONWebKeySet): JWTVerifyGetKey {
  const set = typeof jwks === 'string' ? (JSON.parse(jwks) as JSONWebKeySet) : jwks;
  return createLocalJWKSet(set);
}

export function keysFromUrl(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
}

function refuse(detail: string): ProblemError {
  return new ProblemError('invalid_token', detail);
}

function principalFrom(payload: JWTPayload, issuer: string): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0)
    throw refuse('the token has no subject (sub)');
  const claimed = payload.roles;
  if (!Array.isArray(claimed)) throw refuse('the token has no roles claim');
  const principal: Principal = { sub: payload.sub, roles: claimed.filter(isRole), issuer };
  if (typeof payload.org === 'string' && payload.org.length > 0) principal.org = payload.org;
  if (typeof payload.subject_id === 'string' && payload.subject_id.length > 0)
    principal.subjectId = payload.subject_id;
  if (typeof payload.jti === 'string') principal.tokenId = payload.jti;
  if (typeof payload.exp === 'number') principal.expiresAt = new Date(payload.exp * 1000);
  return principal;
}

/** How long a verified token is taken on trust before its signature is checked again. */
const verifiedForMs = 60_000;
const verifiedTokensKept = 10_000;

export function createTokenVerifier(config: VerifierConfig): TokenVerifier {
  const clockTolerance = config.clockToleranceSeconds ?? 30;
  // A caller presents the same token on every request; checking its signature each time was
  // most of a cheap route's cost. Entries never outlive the token's expiry, and a key removed
  // from the issuer's set stops being trusted within a minute.
  const verified = new Map<string, { principal: Principal; until: number }>();
  async function verifySignature(token: string): Promise<Principal> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, config.keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: acceptedAlgorithms,
        clockTolerance,
        requiredClaims: ['exp', 'sub'],
      });
      const typ = protectedHeader.typ?.toLowerCase();
      if (typ !== undefined && !accessTokenTypes.has(typ))
        throw refuse(`a '${protectedHeader.typ}' JWS is not an access token`);
      return principalFrom(payload, config.issuer);
    } catch (error) {
      if (error instanceof ProblemError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw refuse('the token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw refuse(`claim '${error.claim}' is not acceptable`);
      if (error instanceof joseErrors.JWSSignatureVerificationFailed)
        throw refuse('the signature does not verify');
      if (error instanceof joseErrors.JOSEAlgNotAllowed)
        throw refuse('the signing algorithm is not accepted');
      if (error instanceof joseErrors.JWKSNoMatchingKey) throw refuse('no trusted key matches the token');
      if (error instanceof joseErrors.JOSEError) throw refuse('the token is not a valid JWT');
      throw error;
    }
  }

  function recall(token: string): Principal | undefined {
    const known = verified.get(token);
    if (!known) return undefined;
    if (known.until > Date.now()) return { ...known.principal };
    verified.delete(token);
    return undefined;
  }

  return {
    issuer: config.issuer,
    audience: config.audience,
    keys: config.keys,
    recall,
    async verify(token) {
      const known = recall(token);
      if (known) return known;
      const now = Date.now();
      const principal = await verifySignature(token);
      const until = Math.min(now + verifiedForMs, principal.expiresAt?.getTime() ?? now);
      if (until > now) {
        if (verified.size >= verifiedTokensKept) verified.delete(verified.keys().next().value as string);
        verified.set(token, { principal, until });
      }
      return { ...principal };
    },
  };
}

/** Reads `Authorization: Bearer <token>`; undefined when absent. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  if (!match) throw new ProblemError('invalid_token', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}
