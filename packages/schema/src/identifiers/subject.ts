import { checkCitizenId, isAdultAt } from './citizen-id.ts';
import type { IdentifierCheck } from './result.ts';
import { checkUscc, parseUscc } from './uscc.ts';

export const subjectKinds = [
  'natural_person',
  'legal_person',
  'non_enterprise_legal_person',
  'unincorporated_org',
] as const;
export type SubjectKind = (typeof subjectKinds)[number];

export type OrganisationKind = Exclude<SubjectKind, 'natural_person'>;

export const organisationKinds = subjectKinds.filter((k) => k !== 'natural_person') as OrganisationKind[];

export function isOrganisationKind(kind: SubjectKind): boolean {
  return kind !== 'natural_person';
}

const allOrganisations: readonly SubjectKind[] = organisationKinds;

/**
 * GB 32100-2015 positions 1–2 (registration department, organisation type) where they tell
 * what kind of organisation a code belongs to. Codes not listed tell nothing certain (a 司法行政
 * registration may be a partnership law firm or a legal person), so any organisation kind fits.
 */
const kindsByTypeCode: Record<string, readonly SubjectKind[]> = {
  // 机构编制: 机关, 事业单位, 编办直管的群众团体
  '11': ['non_enterprise_legal_person'],
  '12': ['non_enterprise_legal_person'],
  '13': ['non_enterprise_legal_person'],
  // 民政: 社会团体, 民办非企业单位 (社会服务机构), 基金会
  '51': ['non_enterprise_legal_person'],
  '52': ['non_enterprise_legal_person', 'unincorporated_org'],
  '53': ['non_enterprise_legal_person'],
  // 工商 (市场监管): 企业 (法人 or 非法人 branches and partnerships), 个体工商户, 农民专业合作社
  '91': ['legal_person', 'unincorporated_org'],
  '92': ['unincorporated_org'],
  '93': ['legal_person'],
};

export function kindsAllowedForUscc(uscc: string): readonly SubjectKind[] {
  const { registrationDepartment, organisationType } = parseUscc(uscc);
  return kindsByTypeCode[registrationDepartment + organisationType] ?? allOrganisations;
}

export type SubjectIdentifierProblem =
  | { code: 'invalid_identifier'; message: string }
  | { code: 'subject_kind_mismatch'; message: string }
  | { code: 'subject_not_adult'; message: string };

/**
 * Checks a subject's identifier against its declared kind and returns the normalised form.
 * `at` is when the recorded fact happened: a natural person must have been an adult then.
 */
export function checkSubjectIdentifier(
  kind: SubjectKind,
  raw: string,
  at: Date = new Date(),
  today: Date = new Date(),
): { ok: true; value: string } | { ok: false; problem: SubjectIdentifierProblem } {
  if (kind === 'natural_person') {
    const check = checkCitizenId(raw, today);
    if (!check.ok) {
      const looksLikeUscc = checkUscc(raw).ok;
      return {
        ok: false,
        problem: looksLikeUscc
          ? {
              code: 'subject_kind_mismatch',
              message: 'a natural person is identified by a citizen identity number, not a USCC',
            }
          : { code: 'invalid_identifier', message: check.reason },
      };
    }
    if (!isAdultAt(check.value, at)) {
      return {
        ok: false,
        problem: {
          code: 'subject_not_adult',
          message: 'only persons of full civil capacity (18 or older at the time) are subjects',
        },
      };
    }
    return check;
  }
  const check: IdentifierCheck = checkUscc(raw);
  if (!check.ok) {
    const looksLikePerson = checkCitizenId(raw, today).ok;
    return {
      ok: false,
      problem: looksLikePerson
        ? {
            code: 'subject_kind_mismatch',
            message: `a ${kind} is identified by a USCC, not a citizen identity number`,
          }
        : { code: 'invalid_identifier', message: check.reason },
    };
  }
  const allowed = kindsAllowedForUscc(check.value);
  if (!allowed.includes(kind)) {
    return {
      ok: false,
      problem: {
        code: 'subject_kind_mismatch',
        message: `the USCC's registration and type code (${check.value.slice(0, 2)}) fits ${allowed.join(' or ')}, not ${kind}`,
      },
    };
  }
  return check;
}

/** Which identifier scheme a kind uses; the blind index is namespaced by it. */
export function identifierScheme(kind: SubjectKind): 'citizen_id' | 'uscc' {
  return kind === 'natural_person' ? 'citizen_id' : 'uscc';
}
