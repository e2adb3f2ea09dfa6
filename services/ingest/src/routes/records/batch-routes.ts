import type { Readable } from 'node:stream';
import { ProblemError } from '@credit/errors';
import { problemResponse, type ZodTypeProvider, zodValidatorCompiler } from '@credit/http';
import {
  type BatchResult,
  batchResultSchema,
  batchStoppedSchema,
  nationalFormats,
  nationalLicenceItemSchema,
  nationalPenaltyItemSchema,
  recordSubmissionSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RawBatchItem } from '../../domain/batch-item.ts';
import { countAnswer } from '../../domain/record-intake.ts';
import type { BatchItemAnswer } from '../../intake-threads/batch-chunk.ts';
import { jsonArrayItems, ndjsonItems } from './batch-stream.ts';
import { activeProvider } from './provider-guard.ts';

const ndjsonTypes = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];
const batchTypes = ['application/json', ...ndjsonTypes];

const batchQuery = z.strictObject({
  format: z
    .enum(nationalFormats)
    .optional()
    .describe(
      'The items are rows of the national 双公示 data items instead of records: `shuanggongshi-penalty` (行政处罚, pushed as administrative_penalty) or `shuanggongshi-licence` (行政许可, pushed as org_licence). Each row is converted to a record (subject kind from 行政相对人类别, dates to YYYY-MM-DD, amounts from 万元 to 元, sourceId from the decision document number and the subject) and checked like any other; refusals name the national item in `errors[].item` beside our field in `path`',
    ),
});

const batchItem = z.union([recordSubmissionSchema, nationalPenaltyItemSchema, nationalLicenceItemSchema]);

function summarise(items: BatchResult['items']): BatchResult {
  return {
    received: items.length,
    created: items.filter((i) => i.status === 201).length,
    unchanged: items.filter((i) => i.status === 200).length,
    refused: items.filter((i) => i.status >= 400).length,
    items,
  };
}

/**
 * `POST /v1/records/batch`: a JSON array or NDJSON, read as a stream and written in chunks of
 * one transaction each, so memory stays flat and a crash leaves whole chunks or nothing. Every
 * item answers for itself; resubmitting the same batch converges (committed items answer 200).
 */
export async function batchRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { batches, count, settings } = app.ingest;
  // BATCH_BODY_LIMIT_BYTES, from the host.
  const bodyLimit = app.batchBodyLimit;

  // This scope reads batch bodies itself, as a stream, instead of letting Fastify buffer them.
  for (const type of batchTypes) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  app.addContentTypeParser(batchTypes, (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/records/batch',
    {
      config: { auth: { roles: ['provider'] } },
      // The body is a stream consumed by the handler; the schema below documents it.
      validatorCompiler: (route) =>
        route.httpPart === 'body' ? (value: unknown) => ({ value }) : zodValidatorCompiler(route),
      schema: {
        tags: ['records'],
        summary: `Push up to ${settings.maxBatchItems} records as a JSON array or NDJSON`,
        description:
          'Each item is validated and answered on its own (`items[].status` as if pushed alone: 201, 200, 403, 409, 422). Accepted items are committed in chunks of one transaction each, several of which may be written at once: a failure leaves every chunk whole or absent, never part of one. A body that cannot be read to its end (malformed JSON array, too many items, too many bytes) answers 400 or 413 with the results of the items before that point in `items`; those are committed, and resubmitting converges. A body refused before any item (not a JSON array) answers a plain problem.\n\nThe body schemas say what an item must be to be stored, not what the request must be to be read: any JSON value is taken as an item, and one that does not fit the record schema is answered in `items[]` as its own refusal (422 with `errors`), never by refusing the batch. NDJSON (`application/x-ndjson`, also read as `application/ndjson` or `application/jsonl`) is one JSON value per line, each described by the record schema; blank lines are ignored and a line that is not JSON refuses that item only.',
        querystring: batchQuery,
        body: {
          content: {
            'application/json': { schema: z.array(batchItem) },
            'application/x-ndjson': {
              schema: batchItem.describe(
                'One line of the body: the body is such records (or rows of national items), one JSON value per line',
              ),
            },
          },
        },
        response: {
          200: batchResultSchema,
          400: problemResponse(
            batchStoppedSchema,
            'Refused whole (no body, not a JSON array): a plain problem; stopped partway by malformed JSON: the problem with the results of the items before that point',
          ),
          413: problemResponse(
            batchStoppedSchema,
            'Too many items or bytes (`batch_too_large`, `payload_too_large`): the problem with the results of the items read before that point',
          ),
        },
      },
    },
    async (request) => {
      const provider = await activeProvider(app, request);
      const { format } = request.query;
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      if (declaredLength > bodyLimit) {
        throw new ProblemError('payload_too_large', `a batch body is limited to ${bodyLimit} bytes`);
      }
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      // Without a body (and so without a content type) no parser ran and there is nothing to read.
      if (request.body === undefined || request.body === null)
        throw new ProblemError('bad_request', 'a batch needs a JSON array or NDJSON body');
      const stream = request.body as Readable;
      const source: AsyncGenerator<RawBatchItem> = ndjsonTypes.includes(mediaType)
        ? ndjsonItems(stream, bodyLimit)
        : jsonArrayItems(stream, bodyLimit);
      const batchProvider = { code: provider.code, categories: provider.categories };

      // Chunks in flight, oldest first: answers are kept in item order whichever commits first,
      // and at most `batches.concurrency` are held, so memory stays flat however long the body.
      const inFlight: Promise<BatchItemAnswer[]>[] = [];
      const items: BatchResult['items'] = [];
      const settleOldest = async () => {
        const answers = await (inFlight.shift() as Promise<BatchItemAnswer[]>);
        for (const answer of answers) {
          countAnswer(count, answer);
          items.push(answer);
        }
      };
      let pending: RawBatchItem[] = [];
      const dispatch = async () => {
        if (pending.length === 0) return;
        const chunk = {
          provider: batchProvider,
          items: pending,
          nowMs: app.clock().getTime(),
          ...(format ? { format } : {}),
        };
        pending = [];
        const answered = batches.run(chunk);
        // Settled by settleOldest in order; this only keeps an early failure from being unhandled.
        answered.catch(() => {});
        inFlight.push(answered);
        if (inFlight.length >= batches.concurrency) await settleOldest();
      };

      let stoppedBy: ProblemError | undefined;
      let failure: unknown;
      try {
        for await (const item of source) {
          if (item.index >= settings.maxBatchItems) {
            stoppedBy = new ProblemError(
              'batch_too_large',
              `a batch holds at most ${settings.maxBatchItems} items; the first ${settings.maxBatchItems} were processed (see items) and the rest were not read`,
            );
            break;
          }
          pending.push(item);
          if (pending.length >= settings.batchChunkSize) await dispatch();
        }
      } catch (error) {
        if (error instanceof ProblemError) stoppedBy = error;
        else failure = error;
      }
      try {
        if (failure === undefined) await dispatch();
      } finally {
        // Every chunk handed out is waited for before answering, whatever happens: the answer
        // (or the error) then describes exactly what was committed.
        while (inFlight.length > 0) {
          try {
            await settleOldest();
          } catch (error) {
            failure ??= error;
          }
        }
      }
      if (failure !== undefined) throw failure;
      // A batch refused before any item is a plain problem; one stopped partway tells the caller
      // exactly what was committed before the point where reading stopped.
      if (stoppedBy && items.length === 0) throw stoppedBy;
      if (stoppedBy)
        throw new ProblemError(stoppedBy.code, stoppedBy.problem.detail, { ...summarise(items) });
      return summarise(items);
    },
  );
}
