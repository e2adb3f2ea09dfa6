import { citizenIdCheckCharacter } from './citizen-id.ts';
import { organisationCodeCheckCharacter, usccAlphabet, usccCheckCharacter } from './uscc.ts';

/** A source of randomness in [0, 1); pass a seeded one for reproducible data sets. */
export type Random = () => number;

/** Mulberry32: a tiny seeded generator, enough for reproducible synthetic identifiers. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(random: Random, alphabet: string): string {
  return alphabet.charAt(Math.floor(random() * alphabet.length));
}

const regionCodes = [
  '370303',
  '370302',
  '370304',
  '370305',
  '370306',
  '370321',
  '370322',
  '370323',
  '370700',
];

/**
 * Generates a syntactically valid USCC (GB 32100-2015) for tests and demo data. The type code
 * defaults to an enterprise (91); `typeCode` chooses another (e.g. '12' for a public institution).
 */
export function generateUscc(random: Random = Math.random, typeCode = '91'): string {
  const region = regionCodes[Math.floor(random() * regionCodes.length)] as string;
  let organisationCode = '';
  for (let i = 0; i < 8; i++) organisationCode += pick(random, usccAlphabet);
  organisationCode += organisationCodeCheckCharacter(organisationCode);
  // An organisation code's check may be X, which the USCC alphabet allows; other letters it cannot produce.
  const body = typeCode + region + organisationCode;
  return body + usccCheckCharacter(body);
}

/**
 * Generates a valid citizen identity number (GB 11643-1999) for a person born between
 * `fromYear` and `toYear`; the region is a Zibo district code, the sequence random.
 */
export function generateCitizenId(random: Random = Math.random, fromYear = 1950, toYear = 2000): string {
  const region = regionCodes[Math.floor(random() * regionCodes.length)] as string;
  const year = fromYear + Math.floor(random() * (toYear - fromYear + 1));
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  const sequence = String(Math.floor(random() * 1000)).padStart(3, '0');
  const body = `${region}${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${sequence}`;
  return body + citizenIdCheckCharacter(body);
}
