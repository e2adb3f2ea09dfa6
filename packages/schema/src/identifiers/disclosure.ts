import type { AuthorisationPurpose } from '../api/query.ts';
import { maskCitizenId, maskCitizenIdMinimal, maskPersonName, maskPersonNameMinimal } from './mask.ts';
import type { SubjectKind } from './subject.ts';

/**
 * How much of a person's identity an answer shows:
 * - `full`: the identity number and the name;
 * - `partial`: the name, and the identity number without birth date and sequence
 *   (370303********123X) — enough to recognise a person one deals with, not to reconstruct;
 * - `masked`: that number and the family name with a star per other character (张**);
 * - `minimal`: 370***********123X and the family name (张*, whatever the length);
 * - `hidden`: neither.
 */
export type Disclosure = 'full' | 'partial' | 'masked' | 'minimal' | 'hidden';

/** Who reads an answer, and on what footing. */
export type IdentityReader =
  /** The subject, about themselves. */
  | { as: 'self' }
  /** A government department within its remit, or the credit office, naming the subject for a stated purpose. */
  | { as: 'official' }
  /** A credit agency presenting the subject's authorisation: its purpose decides. */
  | { as: 'agency'; purpose: AuthorisationPurpose }
  /** A providing department or the credit office handling records, entries and cases by their ids or in lists. */
  | { as: 'staff' }
  /** An e-commerce platform checking and following merchants. */
  | { as: 'platform' }
  /** Anyone, without a token. */
  | { as: 'public' };

/** The person an answer is about, or a person named on a record about someone else. */
export type IdentityRelation = 'subject' | 'related';

/**
 * The one rule (docs/security.md): what each reader sees of the subject and of related persons.
 * Agencies see the subject as their purpose needs — identity checks for a loan, a lease or a job
 * need the number; a tender or cooperation needs to recognise the counterpart; anything else
 * does not need the person at all — and related persons, who authorised nothing, minimally.
 */
const rule: Record<Exclude<IdentityReader['as'], 'agency'>, Record<IdentityRelation, Disclosure>> = {
  self: { subject: 'full', related: 'partial' },
  official: { subject: 'full', related: 'partial' },
  staff: { subject: 'masked', related: 'masked' },
  platform: { subject: 'minimal', related: 'minimal' },
  public: { subject: 'minimal', related: 'hidden' },
};

const agencySubject: Record<AuthorisationPurpose, Disclosure> = {
  loan: 'full',
  lease: 'full',
  employment: 'full',
  tender: 'partial',
  cooperation: 'partial',
  other: 'minimal',
};

export function disclosureFor(reader: IdentityReader, relation: IdentityRelation): Disclosure {
  if (reader.as === 'agency') return relation === 'subject' ? agencySubject[reader.purpose] : 'minimal';
  return rule[reader.as][relation];
}

/**
 * A person's identity as `reader` may see it. Organisations' codes and names are registration
 * data published under 双公示, so they pass unchanged; only natural persons are masked.
 */
export function discloseIdentity<T extends { id: string; name: string }>(
  reader: IdentityReader,
  relation: IdentityRelation,
  kind: SubjectKind,
  identity: T,
): T {
  if (kind !== 'natural_person') return identity;
  switch (disclosureFor(reader, relation)) {
    case 'full':
      return identity;
    case 'partial':
      return { ...identity, id: maskCitizenId(identity.id) };
    case 'masked':
      return { ...identity, id: maskCitizenId(identity.id), name: maskPersonName(identity.name) };
    case 'minimal':
      return {
        ...identity,
        id: maskCitizenIdMinimal(identity.id),
        name: maskPersonNameMinimal(identity.name),
      };
    case 'hidden':
      return { ...identity, id: '', name: '' };
  }
}

/** Only the identity number, where an answer carries no name. */
export function discloseIdentifier(
  reader: IdentityReader,
  relation: IdentityRelation,
  kind: SubjectKind,
  id: string,
): string {
  return discloseIdentity(reader, relation, kind, { id, name: '' }).id;
}
