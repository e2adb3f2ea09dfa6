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

export const penaltyKinds = [
  'warning',
  'circulated_criticism',
  'fine',
  'confiscation',
  'suspension',
  'licence_revocation',
  'licence_downgrade',
  'production_restriction',
  'business_closure',
  'detention',
  'other',
] as const;
