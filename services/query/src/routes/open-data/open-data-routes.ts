import { Readable } from 'node:stream';
import { shanghaiDate } from '@credit/calendar';
import { ProblemError } from '@credit/errors';
import type { ZodTypeProvider } from '@credit/http';
import {
  type OpenDataManifest,
  openDataCutHeadersSchema,
  openDataCutStatusSchema,
  openDataDayParamsSchema,
  openDataDaySchema,
  openDataFileParamsSchema,
  pageQuerySchema,
  pageSchema,
  signedOpenDataManifestSchema,
  toPage,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseCut } from '../../domain/open-data.ts';
import type { OpenDataRepository } from '../../repositories/open-data-repository.ts';

const daysQuery = pageQuerySchema(z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2}$/)]));

const mediaTypes = { csv: 'text/csv; charset=utf-8', jsonl: 'application/jsonl; charset=utf-8' } as const;

const fileContent = {
  'text/csv': { schema: { type: 'string', format: 'binary' } },
  'application/jsonl': { schema: { type: 'string', format: 'binary' } },
};

/** What a 202 tells a client to wait before asking where a cut stands. */
const cutRetrySeconds = 5;

/**
 * The wait `Prefer` asks for (RFC 7240), in milliseconds: `wait=N` seconds, at most 60 (a
 * connection must outlive it); `respond-async` alone, none; neither, 10 s. Preferences the server
 * does not understand are ignored, as the RFC asks.
 */
export function preferredWaitMs(prefer: string | undefined): number {
  let async = false;
  let wait: number | undefined;
  for (const preference of (prefer ?? '').split(',')) {
    const [name, value] =
      preference
        .split(';')[0]
        ?.split('=')
        .map((part) => part.trim().toLowerCase()) ?? [];
    if (name === 'respond-async') async = true;
    else if (name === 'wait' && value && /^\d{1,6}$/.test(value)) wait = Number(value);
  }
  return Math.min(wait ?? (async ? 0 : 10), 60) * 1000;
}

/** What `promise` gives if it settles within `ms`; undefined after. Its rejection within `ms` is thrown. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  // No wait: only what has settled already (a settled promise wins a race it is first in).
  if (ms === 0) return Promise.race([promise, Promise.resolve(undefined)]);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One byte range of `Range: bytes=a-b | a- | -n` over a file of `size` bytes; undefined when there
 * is no usable single range (the whole file is sent, as RFC 9110 allows), 'unsatisfiable' when
 * it starts past the end.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/** The bytes start..end of a stored file, read chunk by chunk as the client takes them. */
function chunkStream(
  repository: OpenDataRepository,
  file: { day: string; name: string; chunkBytes: number },
  start: number,
  end: number,
): Readable {
  const first = Math.floor(start / file.chunkBytes);
  const last = Math.floor(end / file.chunkBytes);
  let next = first;
  return new Readable({
    async read() {
      try {
        if (next > last) {
          this.push(null);
          return;
        }
        // A few chunks a statement: one round trip per few MiB, never the whole file.
        const upTo = Math.min(last, next + 3);
        const rows = await repository.chunks(file.day, file.name, next, upTo);
        for (const row of rows) {
          const base = row.chunkNo * file.chunkBytes;
          const from = Math.max(start - base, 0);
          const to = Math.min(end - base + 1, row.content.length);
          this.push(Buffer.from(row.content.subarray(from, to)));
        }
        next = upTo + 1;
      } catch (error) {
        this.destroy(error as Error);
      }
    },
  });
}

/**
 * Open data (开放数据), no token: each day's cut of everything public disclosure shows, in the
 * national 双公示 items (docs/open-data.md): a signed manifest per day, full and incremental files
 * as CSV (UTF-8 with BOM) and JSON Lines, streamed and readable by byte range.
 */
export async function openDataRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { openData, settings } = app.queryService;
  const publicLimit = app.rateLimitFor('public', settings.publicRateLimit);

  app.get(
    '/v1/open-data/days',
    {
      config: { auth: 'public', rateLimit: publicLimit },
      schema: {
        tags: ['open-data'],
        summary: 'The days open data was cut for, newest first',
        description:
          'A mirror starts from the newest day whose full files are still kept and applies each later day’s increments in order (`previousDay` chains them). Rate-limited like public disclosure.',
        querystring: daysQuery,
        response: { 200: pageSchema(openDataDaySchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await openData.cutPage(cursor?.[0], limit + 1);
      const page = toPage(rows, limit, (row) => [row.day]);
      return {
        ...page,
        items: page.items.map((row) => ({
          day: row.day,
          previousDay: row.previousDay,
          cutAt: row.cutAt.toISOString(),
          manifest: `/v1/open-data/days/${row.day}/manifest`,
        })),
      };
    },
  );

  app.get(
    '/v1/open-data/days/:day/manifest',
    {
      config: { auth: 'public', rateLimit: publicLimit },
      schema: {
        tags: ['open-data'],
        summary:
          'A day’s signed manifest: its files, their sizes, SHA-256 and record counts, and the checkpoint they were cut at',
        description:
          'The signature is a detached JWS over the canonical JSON of `manifest` (keys sorted, no spaces), made with the keys at /.well-known/jwks.json like signed reports.',
        params: openDataDayParamsSchema,
        response: { 200: signedOpenDataManifestSchema },
      },
    },
    async (request, reply) => {
      const cut = await openData.cut(request.params.day);
      if (!cut) throw new ProblemError('not_found', `open data was not cut for ${request.params.day}`);
      reply.header('cache-control', 'public, max-age=31536000, immutable');
      return parseCut(cut);
    },
  );

  app.get(
    '/v1/open-data/days/:day/files/:name',
    {
      config: {
        auth: 'public',
        rateLimit: publicLimit,
        problems: ['range_not_satisfiable'],
        headers: { etag: [200, 206], 'accept-ranges': [200, 206], 'content-range': [206] },
      },
      schema: {
        tags: ['open-data'],
        summary: 'One file of a day’s cut, streamed; `Range: bytes=…` answers 206 with those bytes',
        description:
          'Files never change once cut: the ETag is the SHA-256 the manifest gives. One byte range a request (`bytes=a-b`, `bytes=a-`, `bytes=-n`); other Range forms are answered with the whole file. Kept 2 days (full files) and 31 days (increments).',
        params: openDataFileParamsSchema,
        response: {
          200: { description: 'The whole file', content: fileContent },
          206: { description: 'The bytes asked for', content: fileContent },
        },
      },
    },
    async (request, reply) => {
      const { day, name } = request.params;
      const file = await openData.file(day, name);
      if (!file) throw new ProblemError('not_found', `no open-data file ${name} of ${day} is kept`);
      const etag = `"${file.sha256}"`;
      reply
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(mediaTypes[file.format]);
      const ifRange = request.headers['if-range'];
      const range = ifRange && ifRange !== etag ? undefined : byteRange(request.headers.range, file.bytes);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${file.bytes}`);
        throw new ProblemError('range_not_satisfiable', `the file has ${file.bytes} bytes`);
      }
      const { start, end } = range ?? { start: 0, end: file.bytes - 1 };
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${file.bytes}`);
      reply.header('content-length', end - start + 1);
      if (file.bytes === 0) return reply.send('');
      return reply.send(chunkStream(openData, file, start, end));
    },
  );

  app.post(
    '/v1/open-data/cuts',
    {
      config: {
        auth: { roles: ['admin'] },
        headers: { location: [200, 201, 202], 'retry-after': [202] },
      },
      schema: {
        tags: ['open-data'],
        summary: 'Cut today’s open data now (the platform also cuts once a day on its own)',
        description:
          'Answers 201 with the new cut’s signed manifest, or 200 with today’s when it was cut already or by a cut this request joined. A cut still running after the wait `Prefer` asks for (RFC 7240 `wait=N`, at most 60 s; `respond-async`: none; default 10 s) is answered 202 with its status at `Location` (GET /v1/open-data/cuts/{day}). Asking again joins the running cut.',
        headers: openDataCutHeadersSchema,
        response: {
          200: openDataCutStatusSchema,
          201: openDataCutStatusSchema,
          202: openDataCutStatusSchema,
        },
      },
    },
    async (request, reply) => {
      const now = app.clock();
      const answerCut = (
        cut: { day: string; manifest: OpenDataManifest; signature: string },
        status: 200 | 201,
      ) =>
        reply
          .code(status)
          .header('location', `/v1/open-data/days/${cut.day}/manifest`)
          .send({ day: cut.day, state: 'cut', manifest: cut.manifest, signature: cut.signature });
      // A day cut already is answered at once, whatever the wait asked for.
      const stored = await openData.cut(shanghaiDate(now));
      if (stored) return answerCut({ day: stored.day, ...parseCut(stored) }, 200);
      const { day, startedAt, done, joined } = app.queryService.openDataCuts.start(now);
      const cut = await settledWithin(done, preferredWaitMs(request.headers.prefer));
      if (cut) return answerCut(cut, cut.created && !joined ? 201 : 200);
      return reply
        .code(202)
        .header('location', `/v1/open-data/cuts/${day}`)
        .header('retry-after', String(cutRetrySeconds))
        .send({ day, state: 'running', startedAt: startedAt.toISOString() });
    },
  );

  app.get(
    '/v1/open-data/cuts/:day',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['open-data'],
        summary: 'Where the cut of a day stands: cut (with its signed manifest), running, or failed',
        description:
          '404 when the day was neither cut nor asked for since the server started. A failed cut is tried again by the daily job or another POST /v1/open-data/cuts.',
        params: openDataDayParamsSchema,
        response: { 200: openDataCutStatusSchema },
      },
    },
    async (request) => {
      const status = await app.queryService.openDataCuts.status(request.params.day);
      if (!status)
        throw new ProblemError(
          'not_found',
          `open data is neither cut nor being cut for ${request.params.day}`,
        );
      return status;
    },
  );
}
