import { normaliseIdentifier } from './normalise.ts';
import type { IdentifierCheck } from './result.ts';

/** GB 32100-2015 character set: digits and upper-case letters without I, O, Z, S, V. */
export const usccAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const weights = Array.from({ length: 17 }, (_, i) => 3 ** i % 31);

/**
 * GB 32100-2015 tables 1–2: each registration department (登记管理部门, position 1) and the
 * organisation types (机构类别, position 2) it issues. A code outside these pairs is not a USCC,
 * which also keeps most citizen identity numbers (whose first digits are province codes) from
 * passing as one by checksum coincidence.
 */
export const usccTypeCodes: Readonly<Record<string, string>> = {
  '1': '1239', // 机构编制: 机关, 事业单位, 编办直管群众团体, 其他
  '2': '19', // 外交
  '3': '123459', // 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
  '4': '19', // 文化
  '5': '1239', // 民政: 社会团体, 民办非企业单位, 基金会, 其他
  '6': '129', // 旅游
  '7': '129', // 宗教
  '8': '19', // 工会
  '9': '123', // 工商: 企业, 个体工商户, 农民专业合作社
  A: '19', // 中央军委改革和编制办公室
  N: '1239', // 农业: 组级, 村级, 乡镇级集体经济组织, 其他
  Y: '1', // 其他
};

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

const organisationCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2];

/**
 * GB 11714 check character of an organisation code (组织机构代码), which a USCC carries as its
 * 主体标识码 in positions 9–17. Letters count A = 10 … Z = 35.
 */
export function organisationCodeCheckCharacter(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = first8.charAt(i);
    const value = /[0-9]/.test(c) ? Number(c) : c.charCodeAt(0) - 55;
    sum += value * (organisationCodeWeights[i] as number);
  }
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
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
  const types = usccTypeCodes[value.charAt(0)];
  if (!types?.includes(value.charAt(1))) {
    return {
      ok: false,
      reason: `'${value.slice(0, 2)}' is not a registration department and organisation type of GB 32100`,
    };
  }
  if (!/^[0-9]{6}$/.test(value.slice(2, 8))) {
    return { ok: false, reason: 'positions 3–8 must be the digits of an administrative region code' };
  }
  if (organisationCodeCheckCharacter(value.slice(8, 16)) !== value.charAt(16)) {
    return {
      ok: false,
      reason: 'positions 9–17 are not an organisation code (GB 11714 check character at position 17)',
    };
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
