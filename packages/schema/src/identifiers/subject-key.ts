import { checkCitizenId } from './citizen-id.ts';
import { identifierScheme, type SubjectKind } from './subject.ts';
import { checkUscc } from './uscc.ts';

/** A keyed HMAC under the platform's blind-index key (the keyring's `blindIndex`). */
export type BlindIndex = (domain: string, value: string) => Buffer;

export interface SubjectRef {
  /** The blind index: the subject's key in every service's tables. */
  key: Buffer;
  scheme: 'citizen_id' | 'uscc';
  identifier: string;
}

/**
 * The subject key of a normalised identifier. Every service derives it the same way, so a
 * subject is found by the same key everywhere without any service storing its identifier in clear.
 */
export function subjectKeyOf(blindIndex: BlindIndex, kind: SubjectKind, normalisedId: string): Buffer {
  return blindIndex(`subject:${identifierScheme(kind)}`, normalisedId);
}

/** Resolves a raw identifier from a path, body or token: a citizen identity number or a USCC. */
export function resolveSubjectIdentifier(
  blindIndex: BlindIndex,
  raw: string | undefined,
): SubjectRef | undefined {
  if (!raw) return undefined;
  const person = checkCitizenId(raw);
  if (person.ok)
    return {
      key: subjectKeyOf(blindIndex, 'natural_person', person.value),
      scheme: 'citizen_id',
      identifier: person.value,
    };
  const organisation = checkUscc(raw);
  if (organisation.ok)
    return {
      key: subjectKeyOf(blindIndex, 'legal_person', organisation.value),
      scheme: 'uscc',
      identifier: organisation.value,
    };
  return undefined;
}
