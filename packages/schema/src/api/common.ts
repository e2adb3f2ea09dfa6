import { z } from 'zod';

/** Ids cross the API with a type prefix (`rec_…`, `cns_…`) so a misplaced id is obvious. */
export const prefixedId = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-z]{16,40}$`))
    .describe(`Identifier with the \`${prefix}_\` prefix`);

const instantSchema = z.iso
  .datetime({ offset: true })
  .describe('Instant, ISO 8601 with offset (stored in UTC)');

/** One schema for every instant, so the OpenAPI document writes it once (as `Instant`). */
export const instant = () => instantSchema;

/**
 * A recorded fact's time: an instant with offset, or a calendar date in Asia/Shanghai, which is
 * how departments' documents date their decisions. A date is kept and read back as that date.
 */
export const occurredAtSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('When the fact happened: ISO 8601 instant with offset, or a date (Asia/Shanghai)');

/** A fact's time as read back: the plain date it was given as, or the instant in UTC. */
const occurredAtViewSchema = z
  .union([z.iso.date(), instant()])
  .describe('When the fact happened: the date (YYYY-MM-DD, Asia/Shanghai) as given, or an instant in UTC');
export const occurredAtView = () => occurredAtViewSchema;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })).optional(),
    // Extension members (RFC 9457 §3.2) some refusals carry, named here so the document is closed.
    recordId: z
      .string()
      .optional()
      .describe('`record_withdrawn`, `record_erased`, `source_id_conflict`: the record concerned'),
    currentVersion: z
      .number()
      .int()
      .optional()
      .describe('`precondition_failed`: the version the record is at (send it as If-Match)'),
    objectionId: z.string().optional().describe('`already_under_objection`: the open objection'),
    objectionUntil: z
      .string()
      .optional()
      .describe('`objection_window_open`: when the subject’s objection window closes'),
    earliestDate: z
      .string()
      .optional()
      .describe('`repair_not_yet_eligible`: the first day a repair may be applied for (Asia/Shanghai)'),
    repairId: z.string().optional().describe('`already_repaired`, `already_under_repair`: that repair'),
    limits: z
      .record(z.string(), z.number())
      .optional()
      .describe('`query_too_complex`: the limits a GraphQL operation must stay within'),
    measured: z
      .record(z.string(), z.number())
      .optional()
      .describe('`query_too_complex`: what the operation asked for, measured as the limits are'),
  })
  .describe('RFC 9457 problem details');
