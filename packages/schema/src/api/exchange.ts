import { z } from 'zod';

/**
 * The delivery ledger to the upper (provincial, national) platforms (docs/exchange.md): the
 * receivers the credit office configures, the batches they were sent, and what they answered.
 */

/** How a batch's items travel: one JSON document of national item rows (docs/exchange.md). */
export const exchangeFormats = ['national-items-json'] as const;

const receiverUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .describe(
    'Where batches are POSTed: `https`, resolving only to public addresses, unless the operator named the host in `OUTBOUND_ALLOWED_HOSTS`',
  );
const receiverSecret = z
  .string()
  .min(32)
  .max(200)
  .describe('The HMAC-SHA256 signing secret; omit it and the platform generates one (answered once)');

export const exchangeReceiverRegistrationSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('Who receives, e.g. 省公共信用信息平台'),
  url: receiverUrl,
  format: z.enum(exchangeFormats).default('national-items-json'),
  secret: receiverSecret.optional(),
});

export const exchangeReceiverUpdateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    url: receiverUrl.optional(),
    format: z.enum(exchangeFormats).optional(),
    secret: receiverSecret.optional().describe('A new signing secret, used from the next attempt on'),
    enabled: z
      .boolean()
      .optional()
      .describe('false disables the receiver: nothing is sent until it is enabled again'),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' });

export const exchangeReceiverSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  format: z.enum(exchangeFormats),
  enabled: z.boolean(),
  cursor: z
    .number()
    .int()
    .describe('The last log position the receiver acknowledged (or a replay moved it back to)'),
  head: z.number().int().describe('The newest position of the exchange log'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const exchangeReceiverCreatedSchema = exchangeReceiverSchema.extend({
  secret: z.string().describe('The signing secret; shown only in this answer'),
});

export const exchangeReplaySchema = z.strictObject({
  position: z
    .number()
    .int()
    .min(1)
    .describe('The first log position to send again; everything after it follows in order'),
});

export const exchangeDeliveryStatuses = ['open', 'acknowledged', 'superseded'] as const;

export const exchangeDeliverySchema = z.object({
  batchId: z.string(),
  sequence: z.number().int().describe('The batch’s number for this receiver (1, 2, …)'),
  firstPosition: z.number().int(),
  lastPosition: z.number().int(),
  itemCount: z.number().int(),
  replay: z.boolean().describe('Sent again after a replay: positions the receiver had acknowledged before'),
  status: z
    .enum(exchangeDeliveryStatuses)
    .describe(
      'open: being sent or retried; acknowledged: the receiver answered for it; superseded: a replay replaced it',
    ),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable().describe('The HTTP status of the last attempt'),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedItems: z.number().int(),
  items: z
    .array(
      z.object({
        itemId: z.string(),
        position: z.number().int(),
        operation: z.enum(['upsert', 'delete']),
        cause: z.string(),
        preset: z.string(),
        id: z.string().describe('The record’s or list entry’s id (平台记录编号)'),
        version: z.number().int(),
        outcome: z.enum(['pending', 'acknowledged', 'refused']),
        refusal: z.object({ code: z.string().nullable(), reason: z.string() }).nullable(),
      }),
    )
    .describe('What the batch carried, and the receiver’s answer for each item'),
});

/**
 * What a receiver answers (2xx) to acknowledge a batch: its id, and the items it refused with
 * why. Every item not refused is accepted. Any other answer is a failure, retried.
 */
export const exchangeAcknowledgementSchema = z.object({
  batchId: z.string(),
  refused: z
    .array(
      z.object({
        itemId: z.string(),
        code: z.string().max(100).optional(),
        reason: z.string().min(1),
      }),
    )
    .max(10_000)
    .default([]),
});
export type ExchangeAcknowledgement = z.infer<typeof exchangeAcknowledgementSchema>;
