import type { Readable } from 'node:stream';
import { makeProblem, ProblemError } from '@credit/errors';
import { type BatchResult, batchResultSchema, recordSubmissionSchema } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PreparedRecord } from '../../domain/prepared-record.ts';
import type { ItemResult, Refusal } from '../../domain/record-intake.ts';
import { type BatchItem, jsonArrayItems, ndjsonItems } from './batch-stream.ts';
import { activeProvider } from './provider-guard.ts';
import { transparencyReceipt } from './record-responses.ts';

const ndjsonTypes = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];
const batchTypes = ['application/json', ...ndjsonTypes];

function toBatchItem(result: ItemResult, checkpointEveryMs: number): BatchResult['items'][number] {
  const item: BatchResult['items'][number] = {
    index: result.index,
    sourceId: result.sourceId,
    status: result.status,
  };
  if (result.outcome) {
    item.id = result.outcome.recordId;
    item.version = result.outcome.version;
    const receipt = transparencyReceipt(result.outcome.leaf, result.outcome.receivedAt, checkpointEveryMs);
    if (receipt) item.receipt = receipt;
  }
  if (result.problem) {
    item.problem = { code: result.problem.code };
    if (result.problem.detail) item.problem.detail = result.problem.detail;
    if (result.problem.errors) item.problem.errors = result.problem.errors;
    const recordId = result.problem.recordId;
    if (typeof recordId === 'string') item.id = recordId;
  }
  return item;
}

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
export async function batchRoutes(app: FastifyInstance) {
  const { intake, settings } = app.ingest;

  // This scope reads batch bodies itself, as a stream, instead of letting Fastify buffer them.
  for (const type of batchTypes) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  app.addContentTypeParser(batchTypes, (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/records/batch',
    {
      config: { auth: { roles: ['provider'] } },
      // The body is a stream consumed by the handler; the schema below documents it.
      validatorCompiler: () => (value: unknown) => ({ value }),
      schema: {
        tags: ['records'],
        summary: `Push up to ${settings.maxBatchItems} records as a JSON array or NDJSON`,
        description:
          'Each item is validated and answered on its own (`items[].status` as if pushed alone: 201, 200, 403, 409, 422). Accepted items are committed in chunks. A body that cannot be read to its end (malformed JSON array, too many items, too many bytes) answers 400 or 413 with the results of the items before that point in `items`; those are committed, and resubmitting converges.',
        body: {
          content: {
            'application/json': { schema: z.array(recordSubmissionSchema) },
            'application/x-ndjson': { schema: recordSubmissionSchema.describe('One record per line') },
          },
        },
        response: { 200: batchResultSchema },
      },
    },
    async (request) => {
      const provider = await activeProvider(app, request);
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      if (declaredLength > settings.batchBodyLimit) {
        throw new ProblemError(
          'payload_too_large',
          `a batch body is limited to ${settings.batchBodyLimit} bytes`,
        );
      }
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      // Without a body (and so without a content type) no parser ran and there is nothing to read.
      if (request.body === undefined || request.body === null)
        throw new ProblemError('bad_request', 'a batch needs a JSON array or NDJSON body');
      const stream = request.body as Readable;
      const source: AsyncGenerator<BatchItem> = ndjsonTypes.includes(mediaType)
        ? ndjsonItems(stream, settings.batchBodyLimit)
        : jsonArrayItems(stream, settings.batchBodyLimit);

      const items: BatchResult['items'] = [];
      let pending: PreparedRecord[] = [];
      let refusals: Refusal[] = [];
      const flush = async () => {
        if (pending.length === 0 && refusals.length === 0) return;
        const written = await intake.write(provider.code, pending, refusals, app.clock());
        for (const result of written) items.push(toBatchItem(result, settings.checkpointEveryMs));
        pending = [];
        refusals = [];
      };

      let stoppedBy: ProblemError | undefined;
      try {
        for await (const item of source) {
          if (item.index >= settings.maxBatchItems) {
            stoppedBy = new ProblemError(
              'batch_too_large',
              `a batch holds at most ${settings.maxBatchItems} items; the first ${settings.maxBatchItems} were processed (see items) and the rest were not read`,
            );
            break;
          }
          if ('error' in item) {
            refusals.push({
              index: item.index,
              sourceId: null,
              category: null,
              problem: makeProblem('malformed_json', item.error),
            });
          } else {
            const prepared = intake.prepare(item.value, provider, item.index, app.clock());
            if (prepared.ok) pending.push(prepared.item);
            else refusals.push(prepared.refusal);
          }
          if (pending.length + refusals.length >= settings.batchChunkSize) await flush();
        }
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        stoppedBy = error;
      }
      await flush();
      if (stoppedBy) {
        // Tell the caller exactly what was committed before the point where reading stopped.
        throw new ProblemError(stoppedBy.code, stoppedBy.problem.detail, { ...summarise(items) });
      }
      return summarise(items);
    },
  );
}
