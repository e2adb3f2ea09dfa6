import { normaliseIdentifier } from './normalise.ts';
import type { IdentifierCheck } from './result.ts';

/** GB 32100-2015 character set: digits and upper-case letters without I, O, Z, S, V. */
export const usccAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const weights = Array.from({ length: 17 }, (_, i) => 3 ** i % 31);

export interface UsccParts {
  /** 登记管理部门代码 (position 1). */
  registrationDepartment: string;
  /** 机构类别代码 (position 2). */
  organisationType: string;
  /** 登记管理机关行政区划码 (positions 3–8). */
  regionCode: string;
  /** 主体标识码 (组织机构代码, positions 9–17). */
  organisationCode: string;
}

export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = usccAlphabet.indexOf(first17.charAt(i));
    if (value < 0) throw new RangeError(`character outside the GB 32100 alphabet at position ${i + 1}`);
    sum += value * (weights[i] as number);
  }
  return usccAlphabet.charAt((31 - (sum % 31)) % 31);
}

export function checkUscc(raw: string): IdentifierCheck {
  const value = normaliseIdentifier(raw);
  if (value.length !== 18) return { ok: false, reason: 'a USCC has 18 characters' };
  for (let i = 0; i < 18; i++) {
    const c = value.charAt(i);
    if (!usccAlphabet.includes(c)) {
      return { ok: false, reason: `character '${c}' at position ${i + 1} is not allowed (no I, O, Z, S, V)` };
    }
  }
  if (!/^[0-9]{6}$/.test(value.slice(2, 8))) {
    return { ok: false, reason: 'positions 3–8 must be the digits of an administrative region code' };
  }
  if (usccCheckCharacter(value.slice(0, 17)) !== value.charAt(17)) {
    return { ok: false, reason: 'the check character (position 18) is wrong' };
  }
  return { ok: true, value };
}

export function parseUscc(value: string): UsccParts {
  return {
    registrationDepartment: value.charAt(0),
    organisationType: value.charAt(1),
    regionCode: value.slice(2, 8),
    organisationCode: value.slice(8, 17),
  };
}
