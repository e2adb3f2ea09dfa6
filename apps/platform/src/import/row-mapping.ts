import { type CatalogueEntry, entryJsonSchema } from '@credit/schema';

/**
 * How a department's spreadsheet columns become a record. Standard headers are the envelope
 * fields (sourceId, subjectKind, subjectId, subjectName, occurredAt, consentRef) and the entry's
 * data fields by name; a mapping file maps other headers (often Chinese) to those targets, e.g.
 * { "统一社会信用代码": "subjectId", "处罚决定书文号": "data.documentNumber" }.
 */
export type ColumnMapping = Record<string, string>;

const envelopeFields = new Set([
  'sourceId',
  'subjectKind',
  'subjectId',
  'subjectName',
  'occurredAt',
  'consentRef',
]);

interface PropertySchema {
  type?: string | string[];
  items?: PropertySchema;
}

/** Converts a cell to the type the entry's JSON Schema wants (numbers, lists separated by ; or |, booleans). */
function coerce(value: string, schema: PropertySchema | undefined): unknown {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (type === 'number' || type === 'integer') {
    const number = Number(value.replaceAll(',', ''));
    return Number.isFinite(number) ? number : value;
  }
  if (type === 'boolean') return ['true', '1', 'yes', '是'].includes(value.trim().toLowerCase());
  if (type === 'array') return value.split(/[;|；]/).map((part) => coerce(part.trim(), schema?.items));
  return value;
}

export function rowMapper(entry: CatalogueEntry, mapping: ColumnMapping) {
  const properties = (entryJsonSchema(entry).properties ?? {}) as Record<string, PropertySchema>;
  const target = (header: string): string | undefined => {
    const mapped = mapping[header] ?? mapping[header.trim()];
    if (mapped) return mapped;
    if (envelopeFields.has(header)) return header;
    if (header in properties) return `data.${header}`;
    return undefined;
  };
  return {
    /** Headers that map nowhere: reported once, never sent (the catalogue would refuse them). */
    unmapped(headers: string[]): string[] {
      return headers.filter((h) => !target(h));
    },
    toRecord(row: Record<string, string>): Record<string, unknown> {
      const record: Record<string, unknown> = { category: entry.code };
      const subject: Record<string, unknown> = {};
      const data: Record<string, unknown> = {};
      for (const [header, raw] of Object.entries(row)) {
        const to = target(header);
        const value = raw?.trim() ?? '';
        if (!to || value === '') continue;
        if (to.startsWith('data.')) {
          const field = to.slice(5);
          data[field] = coerce(value, properties[field]);
        } else if (to === 'subjectKind') subject.kind = value;
        else if (to === 'subjectId') subject.id = value;
        else if (to === 'subjectName') subject.name = value;
        else record[to] = value;
      }
      record.subject = subject;
      record.data = data;
      return record;
    },
  };
}
