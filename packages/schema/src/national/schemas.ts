import { z } from 'zod';
import { nameComponent } from '../api/components.ts';
import { sourceIdSchema } from '../api/records.ts';
import { type NationalFormat, type NationalItem, nationalPresets } from './items.ts';

function itemDescription(item: NationalItem): string {
  const unit = item.unit ? ` In ${item.unit} (a header 罚款金额（元） gives it in 元).` : '';
  if (!item.target) return `Read, kept nowhere: ${item.why}.`;
  return `→ ${item.target}.${unit}${item.why ? ` ${item.why}.` : ''}`;
}

/** The documented shape of one row of a national format: the items as the standard names them. */
function itemsSchema(format: NationalFormat) {
  const preset = nationalPresets[format];
  const shape: Record<string, z.ZodType> = {
    sourceId: sourceIdSchema
      .optional()
      .describe(
        'Not a national item: the department’s own record id, when it has one; otherwise derived from the decision document’s number and the subject’s identifier',
      ),
  };
  for (const item of preset.items) {
    const value = z.union([z.string(), z.number()]).describe(itemDescription(item));
    shape[item.name] = item.required ? value : value.optional();
  }
  return z
    .strictObject(shape)
    .describe(
      `${preset.zh}: one row of the national data items, pushed as ${preset.category} with \`format=${format}\`. Headers departments’ exports use for the same items (行政相对人代码_1（统一社会信用代码）, 罚款金额（万元）, full-width brackets, …) are read as these items; a date is YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD; 行政相对人类别 is 法人及非法人组织, 个体工商户 or 自然人.`,
    );
}

export const nationalPenaltyItemSchema = itemsSchema('shuanggongshi-penalty');
export const nationalLicenceItemSchema = itemsSchema('shuanggongshi-licence');
nameComponent(nationalPenaltyItemSchema, 'NationalPenaltyItems');
nameComponent(nationalLicenceItemSchema, 'NationalLicenceItems');
