import type { TokenVerifier } from '@credit/auth';
import { isPlainDate } from '@credit/calendar';
import { idFromDigest, newId, type PlatformSigner, sha256 } from '@credit/crypto';
import type { Executor } from '@credit/db';
import { ProblemError } from '@credit/errors';
import {
  type AuthorisationPurpose,
  type AuthorisationRequest,
  authorisationPurposes,
  catalogueClasses,
  findEntry,
  purposeMaxDays,
} from '@credit/schema';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import {
  type AuthorisationRepository,
  type AuthorisationRow,
  authorisationState,
} from '../repositories/authorisation-repository.ts';
import type { RegistryRepository } from '../repositories/registry-repository.ts';
import type { SubjectRef } from './subject-key.ts';

/** `typ` of the token the platform issues for an authorisation it records. */
export const authorisationTokenType = 'credit-authorisation+jwt';
/** `typ` of an authorisation the subject signed at the agency's side through the identity provider. */
export const subjectSignedAuthorisationType = 'credit-consent+jwt';

/** The header an agency presents its authorisation in. */
export const authorisationHeader = 'x-credit-authorisation';

const classCodes = new Set<string>(catalogueClasses.map((c) => c.code));

function checkScope(scope: string[] | undefined): void {
  const errors = (scope ?? []).flatMap((code, index) =>
    classCodes.has(code) || findEntry(code)
      ? []
      : [
          {
            path: `scope.${index}`,
            code: 'authorisation_invalid' as const,
            message: `'${code}' is neither a catalogue class nor an entry`,
          },
        ],
  );
  if (errors.length > 0) throw ProblemError.fromFieldErrors(errors);
}

function checkExpiry(purpose: AuthorisationPurpose, expiresAt: Date, now: Date): void {
  const cap = now.getTime() + purposeMaxDays[purpose] * 86_400_000;
  const message =
    expiresAt.getTime() <= now.getTime()
      ? 'expiresAt must be in the future'
      : expiresAt.getTime() > cap
        ? `an authorisation for ${purpose} lasts at most ${purposeMaxDays[purpose]} days`
        : undefined;
  if (message)
    throw ProblemError.fromFieldErrors([{ path: 'expiresAt', code: 'authorisation_invalid', message }]);
}

export interface AuthorisationContext {
  authorisations: AuthorisationRepository;
  registry: RegistryRepository;
  signer: PlatformSigner;
  verifier: TokenVerifier;
}

/** Grants an authorisation and issues the token the agency will present. */
export async function grantAuthorisation(
  context: AuthorisationContext,
  subject: SubjectRef,
  request: AuthorisationRequest,
  now: Date,
): Promise<{ row: AuthorisationRow; token: string }> {
  checkScope(request.scope);
  const expiresAt = new Date(request.expiresAt);
  checkExpiry(request.purpose, expiresAt, now);
  if (!(await context.registry.findAgency(request.agency))) {
    throw ProblemError.fromFieldErrors([
      { path: 'agency', code: 'authorisation_invalid', message: 'no registered credit agency has this USCC' },
    ]);
  }
  const row = await context.authorisations.insert({
    subjectKey: subject.key,
    authorisationId: newId('auz', now.getTime()),
    agencyUscc: request.agency,
    purpose: request.purpose,
    scope: request.scope ?? null,
    historyFrom: request.historyFrom ?? null,
    expiresAt,
    maxUses: request.maxUses ?? null,
    origin: 'platform',
    grantedAt: now,
  });
  const token = await context.signer.signJwt(
    { sbk: subject.key.toString('hex'), agency: row.agencyUscc, purpose: row.purpose },
    {
      typ: authorisationTokenType,
      expiresAt: row.expiresAt,
      jti: row.authorisationId,
      audience: row.agencyUscc,
    },
  );
  return { row, token };
}

interface SubjectSignedClaims {
  subject_id?: unknown;
  agency?: unknown;
  purpose?: unknown;
  scope?: unknown;
  history_from?: unknown;
  max_uses?: unknown;
  jti?: unknown;
  exp?: unknown;
}

/**
 * Resolves the authorisation an agency presents, for this subject and this agency, without
 * consuming a use. Refusals name why: revoked, expired, used up, or for someone else.
 */
export async function presentedAuthorisation(
  context: AuthorisationContext,
  executor: Executor,
  token: string | undefined,
  subject: SubjectRef,
  agencyUscc: string,
  now: Date,
): Promise<AuthorisationRow> {
  if (!token)
    throw new ProblemError(
      'authorisation_required',
      `present the subject's authorisation in the ${authorisationHeader} header`,
    );
  let typ: string | undefined;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch {
    throw new ProblemError('authorisation_required', 'the authorisation is not a JWS');
  }

  let row: AuthorisationRow | undefined;
  if (typ === authorisationTokenType) {
    let claims: Record<string, unknown>;
    try {
      claims = await context.signer.verifyJwt(token, authorisationTokenType, now);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED')
        throw new ProblemError('authorisation_expired', 'the authorisation has expired');
      throw new ProblemError('authorisation_required', 'the authorisation token does not verify');
    }
    if (claims.sbk !== subject.key.toString('hex') || claims.agency !== agencyUscc) {
      throw new ProblemError(
        'authorisation_mismatch',
        'this authorisation was given for another subject or agency',
      );
    }
    row = await context.authorisations.find(subject.key, String(claims.jti), executor);
  } else if (typ === subjectSignedAuthorisationType) {
    row = await registerSubjectSigned(context, executor, token, subject, agencyUscc, now);
  } else {
    throw new ProblemError(
      'authorisation_required',
      `the authorisation must be a '${authorisationTokenType}' or '${subjectSignedAuthorisationType}' JWS`,
    );
  }
  if (!row) throw new ProblemError('authorisation_required', 'no such authorisation is on file');
  if (row.agencyUscc !== agencyUscc)
    throw new ProblemError('authorisation_mismatch', 'this authorisation names another agency');
  const state = authorisationState(row, now);
  if (state === 'revoked')
    throw new ProblemError('authorisation_revoked', 'the subject revoked this authorisation');
  if (state === 'expired') throw new ProblemError('authorisation_expired', 'the authorisation has expired');
  if (state === 'exhausted')
    throw new ProblemError('authorisation_exhausted', 'the authorisation has no uses left');
  return row;
}

/**
 * An authorisation the subject signed through the trusted identity provider (seeds/002: 社会化
 * 应用机构 query after the subject registers and authorises on their platform). On first
 * presentation it is recorded, so the subject can see and revoke it and its uses are counted.
 */
async function registerSubjectSigned(
  context: AuthorisationContext,
  executor: Executor,
  token: string,
  subject: SubjectRef,
  agencyUscc: string,
  now: Date,
): Promise<AuthorisationRow> {
  let claims: SubjectSignedClaims;
  try {
    ({ payload: claims } = await jwtVerify(token, context.verifier.keys, {
      issuer: context.verifier.issuer,
      typ: subjectSignedAuthorisationType,
      requiredClaims: ['exp', 'jti', 'subject_id', 'agency', 'purpose'],
      currentDate: now,
    }));
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED')
      throw new ProblemError('authorisation_expired', 'the authorisation has expired');
    throw new ProblemError(
      'authorisation_required',
      'the subject-signed authorisation does not verify against the identity provider',
    );
  }
  const signedFor = typeof claims.subject_id === 'string' ? claims.subject_id.trim().toUpperCase() : '';
  if (signedFor !== subject.identifier || claims.agency !== agencyUscc) {
    throw new ProblemError(
      'authorisation_mismatch',
      'this authorisation was signed for another subject or agency',
    );
  }
  const purpose = authorisationPurposes.find((p) => p === claims.purpose);
  if (!purpose)
    throw new ProblemError('authorisation_required', 'the signed authorisation names no known purpose');
  const expiresAt = new Date(
    Math.min(Number(claims.exp) * 1000, now.getTime() + purposeMaxDays[purpose] * 86_400_000),
  );
  if (
    claims.history_from !== undefined &&
    !(typeof claims.history_from === 'string' && isPlainDate(claims.history_from))
  )
    throw new ProblemError(
      'authorisation_required',
      'the signed authorisation’s history_from is not a date (YYYY-MM-DD)',
    );
  const scope = Array.isArray(claims.scope)
    ? claims.scope.filter((s): s is string => typeof s === 'string')
    : null;
  const id = idFromDigest('auz', sha256(context.verifier.issuer, '\u0000', String(claims.jti)));
  const existing = await context.authorisations.find(subject.key, id, executor);
  if (existing) return existing;
  return context.authorisations.insert(
    {
      subjectKey: subject.key,
      authorisationId: id,
      agencyUscc,
      purpose,
      scope: scope && scope.length > 0 ? scope : null,
      historyFrom: typeof claims.history_from === 'string' ? claims.history_from : null,
      expiresAt,
      maxUses:
        typeof claims.max_uses === 'number' && claims.max_uses > 0 ? Math.floor(claims.max_uses) : null,
      origin: 'identity_provider',
      grantedAt: now,
    },
    executor,
  );
}
