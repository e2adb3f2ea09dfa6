import { normaliseIdentifier } from './normalise.ts';
import type { IdentifierCheck } from './result.ts';

const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const checkCharacters = '10X98765432';

/**
 * Province-level prefixes of the GB/T 2260 address code in use on identity numbers
 * (83 is issued on residence permits for Taiwan residents).
 */
const provincePrefixes = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
  '83',
]);

export interface CitizenIdParts {
  addressCode: string;
  /** Birth date as YYYY-MM-DD. */
  birthDate: string;
  sequence: string;
  /** GB 11643: an odd sequence code is assigned to men, an even one to women. */
  sex: 'male' | 'female';
}

export function citizenIdCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * (weights[i] as number);
  return checkCharacters.charAt(sum % 11);
}

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Checks a GB 11643-1999 citizen identity number. `today` bounds the birth date. */
export function checkCitizenId(raw: string, today: Date = new Date()): IdentifierCheck {
  const value = normaliseIdentifier(raw);
  if (!/^[0-9]{17}[0-9X]$/.test(value)) {
    return { ok: false, reason: 'a citizen identity number has 17 digits and a check character (0–9 or X)' };
  }
  if (!provincePrefixes.has(value.slice(0, 2))) {
    return { ok: false, reason: 'the address code does not start with a province code' };
  }
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (year < 1900 || !isRealDate(year, month, day)) {
    return { ok: false, reason: 'positions 7–14 are not a real birth date' };
  }
  if (Date.UTC(year, month - 1, day) > today.getTime()) {
    return { ok: false, reason: 'the birth date is in the future' };
  }
  if (citizenIdCheckCharacter(value.slice(0, 17)) !== value.charAt(17)) {
    return { ok: false, reason: 'the check character (position 18) is wrong' };
  }
  return { ok: true, value };
}

export function parseCitizenId(value: string): CitizenIdParts {
  const sequence = value.slice(14, 17);
  return {
    addressCode: value.slice(0, 6),
    birthDate: `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`,
    sequence,
    sex: Number(sequence) % 2 === 1 ? 'male' : 'female',
  };
}

/** Full civil capacity (完全民事行为能力) starts at 18: true when the person was 18 or older at `at`. */
export function isAdultAt(value: string, at: Date): boolean {
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  const eighteenth = Date.UTC(year + 18, month - 1, day);
  return at.getTime() >= eighteenth;
}
