import { generateCitizenId, generateUscc, type Random } from '@credit/schema';

const random: Random = Math.random;

/** A fresh, valid enterprise USCC (type code 91) or another type code. */
export function uscc(typeCode = '91'): string {
  return generateUscc(random, typeCode);
}

/** A fresh, valid citizen identity number of an adult. */
export function citizenId(fromYear = 1960, toYear = 1995): string {
  return generateCitizenId(random, fromYear, toYear);
}

/** A source id nobody else in the test run uses. */
export function sourceId(prefix = 'SRC'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
