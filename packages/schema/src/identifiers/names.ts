import type { Random } from './generate.ts';

/**
 * Synthetic names for tests and the demo. They live beside the identifier generators because the
 * suite's log scan must recognise every name they can produce, wherever it turns up.
 */
export const syntheticNameParts = {
  familyNames: [
    '王',
    '李',
    '张',
    '刘',
    '陈',
    '杨',
    '赵',
    '黄',
    '周',
    '吴',
    '徐',
    '孙',
    '胡',
    '朱',
    '高',
    '林',
  ],
  givenNames: [
    '伟',
    '芳',
    '娜',
    '敏',
    '静',
    '丽',
    '强',
    '磊',
    '军',
    '洋',
    '勇',
    '艳',
    '杰',
    '娟',
    '涛',
    '明',
  ],
  companyWords: [
    '华泰',
    '鲁中',
    '齐盛',
    '博山',
    '张店',
    '淄川',
    '恒通',
    '金岭',
    '新华',
    '汇丰',
    '瑞祥',
    '宏达',
  ],
  companyTrades: [
    '陶瓷',
    '化工',
    '建材',
    '餐饮',
    '商贸',
    '物流',
    '医药',
    '机械',
    '电子',
    '食品',
    '纺织',
    '科技',
  ],
} as const;

function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** A three-character person name: a family name and two given-name characters. */
export function generatePersonName(random: Random = Math.random): string {
  const { familyNames, givenNames } = syntheticNameParts;
  return pick(random, familyNames) + pick(random, givenNames) + pick(random, givenNames);
}

/** An enterprise name (淄博…有限公司), or an institution's (淄博市…中心). */
export function generateOrganisationName(random: Random = Math.random, institution = false): string {
  const { companyWords, companyTrades } = syntheticNameParts;
  return institution
    ? `淄博市${pick(random, companyWords)}中心`
    : `淄博${pick(random, companyWords)}${pick(random, companyTrades)}有限公司`;
}

/** Matches any name the generators above can produce. */
export const syntheticNamePattern: RegExp = (() => {
  const { familyNames, givenNames, companyWords, companyTrades } = syntheticNameParts;
  const given = `[${givenNames.join('')}]`;
  const words = `(?:${companyWords.join('|')})`;
  return new RegExp(
    `[${familyNames.join('')}]${given}{2}|淄博${words}(?:${companyTrades.join('|')})有限公司|淄博市${words}中心`,
    'u',
  );
})();
