import type { Principal } from '@credit/auth';
import { startOfShanghaiDay } from '@credit/calendar';
import type { Executor } from '@credit/db';
import { ProblemError } from '@credit/errors';
import {
  type AuthorisationPurpose,
  authorisationPurposes,
  type IdentityReader,
  type PublicityLevel,
  publicityAllows,
  purposeRequiredMessage,
  severityCeiling,
} from '@credit/schema';
import type { AuthorisationRow } from '../repositories/authorisation-repository.ts';
import type { RecordRow } from '../repositories/read-model-repository.ts';
import { type AgencyRow, agencyLicensed } from '../repositories/registry-repository.ts';
import { type AuthorisationContext, presentedAuthorisation } from './authorisations.ts';
import { resolveSubject, type SubjectRef } from './subject-key.ts';

/**
 * Who is looking at a subject's file, and on what footing. REST and GraphQL both resolve their
 * caller through `resolveViewer` and filter through `admits`: one policy for both.
 */
export type Viewer =
  | { audience: 'self'; principal: Principal }
  | { audience: 'agency'; principal: Principal; agency: AgencyRow; authorisation: AuthorisationRow }
  | { audience: 'government'; principal: Principal; purpose: string; remit: readonly string[] | 'all' };

export interface ViewerRequest {
  authorisationToken?: string | undefined;
  purpose?: string | undefined;
  /** Where the caller put the purpose, to name it in a refusal (`query.purpose`, a GraphQL argument). */
  purposePath?: string;
}

export function isSelf(
  principal: Principal,
  subject: SubjectRef,
  keyring: Parameters<typeof resolveSubject>[0],
): boolean {
  if (!principal.roles.includes('subject')) return false;
  return resolveSubject(keyring, principal.subjectId)?.key.equals(subject.key) ?? false;
}

export async function resolveViewer(
  context: AuthorisationContext & { keyring: Parameters<typeof resolveSubject>[0] },
  executor: Executor,
  principal: Principal,
  subject: SubjectRef,
  request: ViewerRequest,
  now: Date,
): Promise<Viewer> {
  if (isSelf(principal, subject, context.keyring)) return { audience: 'self', principal };

  if (principal.roles.includes('agency')) {
    const agency = principal.org ? await context.registry.findAgency(principal.org, executor) : undefined;
    if (!agency)
      throw new ProblemError('agency_not_permitted', 'the token names no registered credit agency');
    if (agency.status !== 'active') throw new ProblemError('agency_not_permitted', 'the agency is suspended');
    if (!agencyLicensed(agency, now))
      throw new ProblemError('agency_not_permitted', 'the agency’s licence is not valid');
    const authorisation = await presentedAuthorisation(
      context,
      executor,
      request.authorisationToken,
      subject,
      agency.uscc,
      now,
    );
    return { audience: 'agency', principal, agency, authorisation };
  }

  if (principal.roles.includes('government') || principal.roles.includes('admin')) {
    const purpose = request.purpose?.trim();
    if (!purpose)
      throw ProblemError.fromFieldErrors([
        { path: request.purposePath ?? 'purpose', code: 'purpose_required', message: purposeRequiredMessage },
      ]);
    if (principal.roles.includes('government')) {
      const department = principal.org
        ? await context.registry.findDepartment(principal.org, executor)
        : undefined;
      if (department?.status !== 'active') {
        throw new ProblemError(
          'department_not_permitted',
          'the token names no registered government department',
        );
      }
      return { audience: 'government', principal, purpose, remit: department.remit };
    }
    return { audience: 'government', principal, purpose, remit: 'all' };
  }

  throw new ProblemError(
    'forbidden',
    'only the subject, an authorised agency or a government department may read this file',
  );
}

function inScope(scope: readonly string[] | null, record: RecordRow): boolean {
  return scope === null || scope.includes(record.classCode) || scope.includes(record.category);
}

/**
 * Whether a reader cleared for `clearance` may see the item: its publicity as recorded, and the
 * ceiling of its severity (minor dishonesty is not published; rows stored before that rule held
 * `authorised`, so the severity is checked here as well).
 */
export function clearedFor(clearance: PublicityLevel, record: RecordRow): boolean {
  return (
    publicityAllows(clearance, record.publicity) &&
    publicityAllows(clearance, severityCeiling(record.severity))
  );
}

/** Whether an item is out of its display period (展示期限) at `now`. */
export function expired(record: RecordRow, now: Date): boolean {
  return record.displayUntil !== null && record.displayUntil.getTime() <= now.getTime();
}

/**
 * Whether an upheld objection holds the item back (暂时屏蔽): the department found it wrong, so
 * nobody but the subject sees it until a version received after the decision (the correction)
 * has landed.
 */
export function withheld(record: RecordRow): boolean {
  return record.withheldSince !== null && record.receivedAt.getTime() < record.withheldSince.getTime();
}

/**
 * Whether an item stands for anyone but its subject: not withdrawn, not repaired, within its
 * display period, not withheld after an upheld objection.
 */
export function standing(record: RecordRow, now: Date): boolean {
  return (
    record.status === 'active' && record.repairedAt === null && !expired(record, now) && !withheld(record)
  );
}

/**
 * What the public sees (信用公示): standing items whose publicity, as the catalogue sets it for
 * the entry, the subject's kind and the severity (`effectivePublicity`), is `public`.
 */
export function publiclyDisclosed(record: RecordRow, now: Date): boolean {
  return standing(record, now) && clearedFor('public', record);
}

/**
 * What a viewer may see. The subject sees everything about them. Others see only standing
 * items (not withdrawn, not repaired) within their display period; agencies only public and
 * authorised items in the authorisation's scope and history window; departments their remit.
 */
export function admits(viewer: Viewer, record: RecordRow, now: Date): boolean {
  if (viewer.audience === 'self') return true;
  if (!standing(record, now)) return false;
  if (viewer.audience === 'agency') {
    const { authorisation } = viewer;
    if (!clearedFor('authorised', record)) return false;
    if (!inScope(authorisation.scope, record)) return false;
    return (
      authorisation.historyFrom === null ||
      record.occurredAt.getTime() >= startOfShanghaiDay(authorisation.historyFrom).getTime()
    );
  }
  return viewer.remit === 'all' || viewer.remit.includes(record.classCode);
}

/** Marks shown to the subject on items others would not see, and why. */
export function marksOf(record: RecordRow, now: Date) {
  return {
    withdrawn: record.status === 'withdrawn',
    expired: expired(record, now),
    disputed: record.disputed,
    withheld: withheld(record),
    repaired: record.repairedAt !== null,
  };
}

/** Reads by anyone but the subject are logged (查询使用登记). */
export function isLogged(viewer: Viewer): boolean {
  return viewer.audience !== 'self';
}

export function purposeOf(viewer: Viewer): string | null {
  if (viewer.audience === 'agency') return viewer.authorisation.purpose;
  if (viewer.audience === 'government') return viewer.purpose;
  return null;
}

/** How the viewer sees identities in the answer (the masking rule of packages/schema). */
export function identityReaderOf(viewer: Viewer): IdentityReader {
  if (viewer.audience === 'self') return { as: 'self' };
  if (viewer.audience === 'agency') {
    const { purpose } = viewer.authorisation;
    // A purpose the platform does not know (from an identity provider's consent) earns the least.
    const known = (authorisationPurposes as readonly string[]).includes(purpose);
    return { as: 'agency', purpose: known ? (purpose as AuthorisationPurpose) : 'other' };
  }
  return { as: 'official' };
}
