import { z } from 'zod';

/** Building blocks shared by catalogue entries, so the same notion has the same shape everywhere. */

export const text = (max = 500) => z.string().trim().min(1).max(max);
export const isoDate = () => z.iso.date().describe('Calendar date, YYYY-MM-DD (Asia/Shanghai)');
export const amountYuan = () =>
  z.number().finite().nonnegative().max(1e13).describe('Amount in yuan (元), up to two decimals');
export const documentNumber = () => text(100).describe('Document number (文书号), e.g. 淄市监罚〔2024〕12号');
export const authorityName = () => text(200).describe('Deciding or issuing authority');
export const optionalUscc = () =>
  z
    .string()
    .regex(/^[0-9A-HJ-NPQRTUWXY]{18}$/)
    .describe('USCC of the authority, when known');

/**
 * The Chinese label of each value of the catalogue's closed sets, by set (the set's definition
 * object, which `.describe()` and `.optional()` copies of the schema share).
 */
const optionLabels = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * A closed set of values, each with the label a reader sees: the API carries the value
 * (`refusing_to_perform_with_ability`), a report prints its label (有履行能力而拒不履行…). The
 * labels are the set's definition, so no value can be added without one.
 */
export function labelledEnum<const K extends string>(labels: Readonly<Record<K, string>>) {
  const schema = z.enum(Object.keys(labels) as [K, ...K[]]);
  optionLabels.set(schema.def, labels);
  return schema;
}

/** The label of `value` in the closed set a field holds (the set itself, or a list or optional one of it). */
export function optionLabelOf(field: z.ZodType | undefined, value: string): string | undefined {
  let schema: unknown = field;
  for (let depth = 0; schema && depth < 4; depth++) {
    if (schema instanceof z.ZodEnum) return optionLabels.get(schema.def)?.[value];
    if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) schema = schema.unwrap();
    else return undefined;
  }
  return undefined;
}

/** Kinds of administrative penalty, labelled as the national 双公示 format names them. */
export const penaltyKindLabels = {
  warning: '警告',
  circulated_criticism: '通报批评',
  fine: '罚款',
  confiscation: '没收违法所得、没收非法财物',
  suspension: '暂扣许可证件',
  licence_revocation: '吊销许可证件',
  licence_downgrade: '降低资质等级',
  production_restriction: '限制开展生产经营活动',
  business_closure: '责令关闭',
  detention: '行政拘留',
  other: '其他',
} as const;

export const penaltyKinds = Object.keys(penaltyKindLabels) as [
  keyof typeof penaltyKindLabels,
  ...(keyof typeof penaltyKindLabels)[],
];
