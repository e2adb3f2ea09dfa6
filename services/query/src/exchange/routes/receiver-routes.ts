import { randomBytes } from 'node:crypto';
import { ProblemError } from '@credit/errors';
import { vetReceiverUrl, type ZodTypeProvider } from '@credit/http';
import {
  exchangeDeliverySchema,
  exchangeReceiverCreatedSchema,
  exchangeReceiverRegistrationSchema,
  exchangeReceiverSchema,
  exchangeReceiverUpdateSchema,
  exchangeReplaySchema,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  toPage,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BatchRow, LogRow, ReceiverRow, RefusalRow } from '../repositories/exchange-repository.ts';

const byId = z.strictObject({ id: prefixedId('xrc') });
const receiverListQuery = pageQuerySchema(z.tuple([prefixedId('xrc')]));
/** Batches are listed newest first by their number for the receiver. */
const deliveryListQuery = pageQuerySchema(z.tuple([z.number().int().min(1)]));

type ReceiverView = z.infer<typeof exchangeReceiverSchema>;
type DeliveryView = z.infer<typeof exchangeDeliverySchema>;

function receiverView(row: ReceiverRow, head: number): ReceiverView {
  return {
    id: row.receiverId,
    name: row.name,
    url: row.url,
    format: row.format as ReceiverView['format'],
    enabled: row.enabled,
    cursor: row.cursor,
    head,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function deliveryView(batch: BatchRow, entries: LogRow[], refusals: RefusalRow[]): DeliveryView {
  const refused = new Map(refusals.map((r) => [r.position, r]));
  const acknowledged = batch.status === 'acknowledged';
  return {
    batchId: batch.batchId,
    sequence: batch.batchNo,
    firstPosition: batch.firstPosition,
    lastPosition: batch.lastPosition,
    itemCount: batch.itemCount,
    replay: batch.replay,
    status: batch.status,
    attempts: batch.attempts,
    lastStatus: batch.lastStatus,
    lastError: batch.lastError,
    nextAttemptAt: batch.status === 'open' ? batch.nextAttemptAt.toISOString() : null,
    createdAt: batch.createdAt.toISOString(),
    lastAttemptAt: batch.lastAttemptAt?.toISOString() ?? null,
    acknowledgedAt: batch.acknowledgedAt?.toISOString() ?? null,
    acknowledgedItems: acknowledged ? batch.itemCount - batch.refusedCount : 0,
    items: entries.map((entry) => {
      const refusal = refused.get(entry.position);
      return {
        itemId: entry.itemId,
        position: entry.position,
        operation: entry.operation,
        cause: entry.cause,
        preset: entry.preset,
        id: entry.refId,
        version: entry.refVersion,
        outcome: refusal ? 'refused' : acknowledged ? 'acknowledged' : 'pending',
        refusal: refusal ? { code: refusal.code, reason: refusal.reason } : null,
      };
    }),
  };
}

const urlRule =
  'The URL must be `https` and resolve only to public addresses (not loopback, private, link-local, unique-local, multicast or metadata addresses) unless the operator allowed its host in `OUTBOUND_ALLOWED_HOSTS`; this is checked here (422 `receiver_not_allowed` or `receiver_unresolvable`) and again at each attempt, which connects to the checked address and never follows redirects.';

/**
 * The credit office's receivers of the delivery ledger (the provincial and national platforms):
 * where public changes go, and what became of every batch (docs/exchange.md).
 */
export async function receiverRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { exchange } = app.queryService;
  const found = async (id: string) => {
    const row = await exchange.findReceiver(id);
    if (!row) throw new ProblemError('not_found', 'no such receiver');
    return row;
  };

  app.post(
    '/v1/exchange/receivers',
    {
      config: { auth: { roles: ['admin'] }, headers: { location: [201] } },
      schema: {
        tags: ['exchange'],
        summary:
          'Configure a receiver of public changes (an upper platform); the answer carries the signing secret',
        description: `Batches of national item rows are POSTed to the URL, signed with \`X-Credit-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>\`, from the start of the exchange log. ${urlRule}`,
        body: exchangeReceiverRegistrationSchema,
        response: { 201: exchangeReceiverCreatedSchema },
      },
    },
    async (request, reply) => {
      const { name, url, format, secret } = request.body;
      await vetReceiverUrl(app.outbound, url);
      const signing = secret ?? randomBytes(32).toString('base64url');
      const row = await exchange.createReceiver({ name, url, format, secret: signing }, app.clock());
      reply.code(201).header('location', `/v1/exchange/receivers/${row.receiverId}`);
      return { ...receiverView(row, await exchange.head()), secret: signing };
    },
  );

  app.get(
    '/v1/exchange/receivers',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['exchange'],
        summary: 'List the receivers, by id',
        querystring: receiverListQuery,
        response: { 200: pageSchema(exchangeReceiverSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const page = toPage(await exchange.pageReceivers(cursor?.[0], limit + 1), limit, (r) => [r.receiverId]);
      const head = await exchange.head();
      return { ...page, items: page.items.map((row) => receiverView(row, head)) };
    },
  );

  app.get(
    '/v1/exchange/receivers/:id',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['exchange'],
        summary: 'One receiver, with its cursor in the exchange log',
        params: byId,
        response: { 200: exchangeReceiverSchema },
      },
    },
    async (request) => receiverView(await found(request.params.id), await exchange.head()),
  );

  app.patch(
    '/v1/exchange/receivers/:id',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['exchange'],
        summary: 'Change a receiver: name, URL, format, signing secret; `enabled: false` disables it',
        description: urlRule,
        params: byId,
        body: exchangeReceiverUpdateSchema,
        response: { 200: exchangeReceiverSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      await found(id);
      const { url, name, format, secret, enabled } = request.body;
      if (url !== undefined) await vetReceiverUrl(app.outbound, url);
      const row = await exchange.updateReceiver(
        id,
        {
          ...(name === undefined ? {} : { name }),
          ...(url === undefined ? {} : { url }),
          ...(format === undefined ? {} : { format }),
          ...(secret === undefined ? {} : { secret }),
          ...(enabled === undefined ? {} : { enabled }),
        },
        app.clock(),
      );
      if (!row) throw new ProblemError('not_found', 'no such receiver');
      return receiverView(row, await exchange.head());
    },
  );

  app.post(
    '/v1/exchange/receivers/:id/disable',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['exchange'],
        summary: 'Disable a receiver: nothing more is sent; its ledger stays (PATCH `enabled: true` resumes)',
        params: byId,
        response: { 200: exchangeReceiverSchema },
      },
    },
    async (request) => {
      await found(request.params.id);
      const row = await exchange.updateReceiver(request.params.id, { enabled: false }, app.clock());
      if (!row) throw new ProblemError('not_found', 'no such receiver');
      return receiverView(row, await exchange.head());
    },
  );

  app.post(
    '/v1/exchange/receivers/:id/replay',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['exchange'],
        summary: 'Send again from a log position: the batch in flight is superseded, the next starts there',
        params: byId,
        body: exchangeReplaySchema,
        response: { 200: exchangeReceiverSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { position } = request.body;
      await found(id);
      const head = await exchange.head();
      if (position > head + 1)
        throw new ProblemError('validation_failed', `the exchange log ends at position ${head}`, {
          errors: [{ path: 'position', code: 'validation_failed', message: `at most ${head + 1}` }],
        });
      const row = await exchange.replay(id, position, app.clock());
      if (!row) throw new ProblemError('not_found', 'no such receiver');
      app.queryService.exchangeSender.wake();
      return receiverView(row, head);
    },
  );

  app.get(
    '/v1/exchange/receivers/:id/deliveries',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['exchange'],
        summary:
          'The delivery ledger of a receiver: every batch, newest first, what it carried and what was answered',
        params: byId,
        querystring: deliveryListQuery,
        response: { 200: pageSchema(exchangeDeliverySchema) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { cursor, limit } = request.query;
      await found(id);
      const page = toPage(await exchange.pageBatches(id, cursor?.[0], limit + 1), limit, (b) => [b.batchNo]);
      const refusals = await exchange.refusalsOf(
        id,
        page.items.map((b) => b.batchNo),
      );
      const entries = await exchange.logRanges(
        page.items.map((b) => ({ first: b.firstPosition, last: b.lastPosition })),
      );
      const items = page.items.map((batch) =>
        deliveryView(
          batch,
          entries.filter((e) => e.position >= batch.firstPosition && e.position <= batch.lastPosition),
          refusals.filter((r) => r.batchNo === batch.batchNo),
        ),
      );
      return { ...page, items };
    },
  );
}
