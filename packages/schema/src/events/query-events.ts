import { z } from 'zod';

/**
 * The contract of the query feed (`query.events`): every logged access to a subject's data and
 * every authorisation granted or revoked. The transparency log is its reader; payloads carry no
 * identity (the subject is the event's blind index, accessors are organisations and roles).
 */
export const queryEventSchemas = {
  'access.logged': z.object({
    entryId: z.string(),
    entryNo: z.number().int().positive(),
    accessedAt: z.string(),
    role: z.string(),
    org: z.string().nullable(),
    channel: z.string(),
    /** Hex chain hash of the access-log entry. */
    hash: z.string(),
  }),
  'authorisation.granted': z.object({
    authorisationId: z.string(),
    agency: z.string(),
    purpose: z.string(),
    scope: z.array(z.string()).nullable(),
    expiresAt: z.string(),
    maxUses: z.number().int().nullable(),
    origin: z.string(),
    grantedAt: z.string(),
  }),
  'authorisation.revoked': z.object({ authorisationId: z.string(), revokedAt: z.string() }),
} as const;

export type QueryEventType = keyof typeof queryEventSchemas;
export type QueryEvent<T extends QueryEventType> = z.infer<(typeof queryEventSchemas)[T]>;
