import { z } from 'zod';
import { instant, prefixedId } from './common.ts';

export const objectionTargetTypes = ['record', 'listEntry', 'evaluation'] as const;
export const objectionStatuses = [
  'submitted',
  'accepted',
  'inadmissible',
  'under_review',
  'upheld',
  'rejected',
  'closed',
] as const;

export const objectionRequestSchema = z.strictObject({
  target: z.strictObject({ type: z.enum(objectionTargetTypes), id: z.string().min(1).max(64) }),
  reason: z.string().trim().min(1).max(4000),
  evidence: z
    .array(
      z.strictObject({
        description: z.string().trim().min(1).max(1000),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      }),
    )
    .max(50)
    .optional(),
});

export const deadlineSchema = z.object({
  kind: z.string(),
  dueAt: instant()
    .nullable()
    .describe('End of the deadline (Asia/Shanghai working days where the rule says so)'),
  met: z.boolean(),
  overdue: z.boolean(),
  awaitingCalendar: z
    .number()
    .int()
    .nullable()
    .describe(
      'The year whose official calendar this deadline waits for (awaiting_calendar): it is computed once the credit office loads that year',
    ),
});

const awaitingCalendar = z
  .number()
  .int()
  .nullable()
  .describe(
    'awaiting_calendar: the earliest year whose official calendar a deadline of this case waits for; null when every deadline is computed',
  );

export const caseEventSchema = z.object({
  status: z.string(),
  at: instant(),
  actor: z.string(),
  note: z.string().nullable(),
});

export const objectionSchema = z.object({
  id: prefixedId('obj'),
  target: z.object({ type: z.enum(objectionTargetTypes), id: z.string() }),
  responsibleDepartment: z.string(),
  status: z.enum(objectionStatuses),
  outcome: z.enum(['upheld', 'rejected', 'inadmissible']).nullable(),
  reason: z.string(),
  filedAt: instant(),
  dueAt: instant()
    .nullable()
    .describe(
      'The department answers by then: 30 days from filing, moved to the next working day when the 30th is a rest day; null while awaiting the calendar',
    ),
  deadlines: z.array(deadlineSchema),
  overdue: z.boolean(),
  awaitingCalendar,
  history: z.array(caseEventSchema),
});
export type ObjectionView = z.infer<typeof objectionSchema>;

export const objectionDecisionSchema = z.strictObject({
  outcome: z.enum(['upheld', 'rejected']),
  note: z.string().trim().min(1).max(4000),
});

export const objectionAdmissionSchema = z.strictObject({
  admissible: z.boolean(),
  note: z.string().trim().min(1).max(2000),
});

export const deadlineExtensionSchema = z.strictObject({
  workingDays: z.number().int().min(1).max(60),
  reason: z.string().trim().min(1).max(2000),
});

export const repairTargetTypes = ['record', 'listEntry'] as const;
export const repairStatuses = [
  'submitted',
  'needs_supplement',
  'not_accepted',
  'accepted',
  'approved',
  'denied',
  'effective',
] as const;

export const repairPrecheckSchema = z.object({
  target: z.object({ type: z.enum(repairTargetTypes), id: z.string() }),
  repairable: z.boolean(),
  eligibleNow: z.boolean(),
  earliestDate: z
    .string()
    .nullable()
    .describe('YYYY-MM-DD (Asia/Shanghai) from which an application is possible'),
  rule: z.string().describe('Which minimum publicity period applies'),
});

export const repairRequestSchema = z.strictObject({
  target: z.strictObject({ type: z.enum(repairTargetTypes), id: z.string().min(1).max(64) }),
  obligationPerformed: z
    .literal(true)
    .describe('The obligation the record names has been performed (纠正失信行为、履行法定义务)'),
  evidence: z
    .array(
      z.strictObject({
        description: z.string().trim().min(1).max(1000),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      }),
    )
    .min(1)
    .max(50),
  commitment: z.string().trim().min(10).max(4000).describe('The credit commitment letter (信用承诺书)'),
});

export const repairSchema = z.object({
  id: prefixedId('rpr'),
  target: z.object({ type: z.enum(repairTargetTypes), id: z.string() }),
  responsibleDepartment: z.string(),
  status: z.enum(repairStatuses),
  filedAt: instant(),
  dueAt: instant()
    .nullable()
    .describe(
      'The next deadline: acceptance (3 working days from receipt), then the result (10 working days from filing)',
    ),
  deadlines: z.array(deadlineSchema),
  overdue: z.boolean(),
  awaitingCalendar,
  history: z.array(caseEventSchema),
});
export type RepairView = z.infer<typeof repairSchema>;

export const repairStepSchema = z.strictObject({
  action: z.enum(['accept', 'not_accept', 'request_supplement', 'approve', 'deny']),
  note: z.string().trim().min(1).max(4000),
});

export const repairSupplementSchema = z.strictObject({
  evidence: z
    .array(
      z.strictObject({
        description: z.string().trim().min(1).max(1000),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      }),
    )
    .min(1)
    .max(50),
});

export const calendarYearSchema = z.strictObject({
  holidays: z
    .array(z.iso.date())
    .max(120)
    .describe(
      'Every day off the notice lists (放假), weekend days inside a holiday period included; ordinary weekends need not be listed',
    ),
  workdays: z.array(z.iso.date()).max(30).describe('Weekend days that are workdays (调休)'),
});

export const noticeSchema = z.object({
  id: z.string(),
  kind: z.string(),
  referenceId: z.string(),
  title: z.string(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: instant(),
});
