import { z } from 'zod';

/**
 * The contract of the repair feed (`repair.events`): what query and sanctions change when an
 * item is disputed, repaired, or leaves its display period, and calendar years the credit office
 * loaded. Calendar events concern no subject and carry the all-zero subject key.
 */
export const repairEventSchemas = {
  'objection.opened': z.object({ objectionId: z.string(), targetType: z.string(), targetId: z.string() }),
  'objection.closed': z.object({
    objectionId: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    outcome: z.string(),
  }),
  'objection.upheld': z.object({ objectionId: z.string(), targetType: z.string(), targetId: z.string() }),
  'record.repaired': z.object({ repairId: z.string(), recordId: z.string(), repairedAt: z.string() }),
  'entry.repaired': z.object({ repairId: z.string(), entryId: z.string(), repairedAt: z.string() }),
  'record.display_ended': z.object({ recordId: z.string(), displayUntil: z.string() }),
  'calendar.year.loaded': z.object({
    year: z.number().int(),
    holidays: z.array(z.string()),
    workdays: z.array(z.string()),
  }),
} as const;

export type RepairEventType = keyof typeof repairEventSchemas;
export type RepairEvent<T extends RepairEventType> = z.infer<(typeof repairEventSchemas)[T]>;

/** The key platform-wide events carry instead of a subject's. */
export const platformWideKey = Buffer.alloc(32);
