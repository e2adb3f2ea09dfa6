import { ProblemError } from '@credit/errors';
import { feedStart } from '@credit/events';
import {
  consistencyHeaders,
  principalOf,
  readLagTolerant,
  requireSubject,
  type ZodTypeProvider,
} from '@credit/http';
import {
  discloseIdentifier,
  encodeCursor,
  type IdentityReader,
  listingChangeSchema,
  listingStatusBatchSchema,
  listingStatusSchema,
  pageQuerySchema,
  pageSchema,
  type SubjectRef,
  subjectIdSchema,
} from '@credit/schema';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { withoutIncentivesForDishonest } from '../domain/incentive-guard.ts';
import { standing, triggeredMeasures } from '../domain/verdicts.ts';

const platformActions = ['platform_entry', 'platform_ranking'] as const;
const bySubject = z.strictObject({ subjectId: subjectIdSchema });
/** The feed's position: the writing transaction's id and the event's sequence number. */
const changesQuery = pageQuerySchema(z.tuple([z.string().regex(/^\d{1,20}$/), z.number().int().min(0)]));

type ListingStatus = z.infer<typeof listingStatusSchema>;

/**
 * Merchant listing status for e-commerce platforms: red, black and watch status with the
 * measures that concern platforms; for individual sellers (natural persons) the status and
 * measures only, never which entries or records lie behind them.
 */
export async function listingRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  /** Platforms see merchants who are persons minimally; the credit office names them to look them up. */
  const readerOf = (request: FastifyRequest): IdentityReader =>
    principalOf(request).roles.includes('admin') ? { as: 'official' } : { as: 'platform' };

  const cache = app.sanctions.listing;
  async function statuses(
    request: FastifyRequest,
    subjects: SubjectRef[],
    reader: IdentityReader,
  ): Promise<ListingStatus[]> {
    const now = app.clock();
    const allMeasures = cache.measures();
    const standingVerdicts = subjects.map((subject) => {
      const entries = standing(cache.entriesOf(subject.key), now);
      return {
        subject,
        subjectKey: subject.key,
        entries,
        applied: triggeredMeasures(entries, allMeasures, platformActions),
      };
    });
    // Entries come from memory; only a subject an incentive would reward is read (dishonesty since).
    const verdicts = await readLagTolerant(app, request, (db) =>
      withoutIncentivesForDishonest(db, app.sanctions, standingVerdicts, now),
    );
    return verdicts.map(({ subject, entries: inForce, applied }) => {
      const person = subject.scheme === 'citizen_id';
      const kind = person ? 'natural_person' : 'legal_person';
      return {
        subject: { kind, id: discloseIdentifier(reader, 'subject', kind, subject.identifier) },
        status: {
          red: inForce.some((e) => e.listKind === 'red'),
          black: inForce.some((e) => e.listKind === 'black'),
          watch: inForce.some((e) => e.listKind === 'watch'),
        },
        entries: person
          ? []
          : inForce.map((e) => ({
              id: e.entryId,
              listKind: e.listKind,
              domain: e.domain,
              validFrom: e.validFrom?.toISOString() ?? null,
              validUntil: e.validUntil?.toISOString() ?? null,
            })),
        measures: applied.map((m) => ({
          code: m.code,
          name: m.name,
          actions: m.actions as ListingStatus['measures'][number]['actions'],
          effect: m.effect,
          legalBasis: m.legalBasis,
        })),
      };
    });
  }

  app.get(
    '/v1/listing-status/:subjectId',
    {
      config: {
        auth: { roles: ['platform', 'admin'] },
        rateLimit: app.rateLimitFor('listing'),
        problems: ['invalid_consistency_token'],
      },
      schema: {
        tags: ['listing'],
        summary: 'A merchant’s red/black/watch status',
        description:
          'A merchant who is a person is answered with a masked identity number (370***********123X); the credit office sees it whole.',
        params: bySubject,
        headers: consistencyHeaders,
        response: { 200: listingStatusSchema },
      },
    },
    async (request) => {
      const { subjectId } = request.params;
      const [status] = await statuses(
        request,
        [requireSubject(app.keyring, subjectId, 'subjectId')],
        readerOf(request),
      );
      return status;
    },
  );

  app.post(
    '/v1/listing-status',
    {
      config: {
        auth: { roles: ['platform', 'admin'] },
        rateLimit: app.rateLimitFor('listing'),
        problems: ['invalid_consistency_token'],
      },
      schema: {
        tags: ['listing'],
        summary: `Status of up to ${app.sanctions.settings.maxBatchSubjects} merchants at once`,
        description:
          'In the order asked. Merchants who are persons are answered with masked identity numbers (370***********123X).',
        body: listingStatusBatchSchema,
        headers: consistencyHeaders,
        response: { 200: z.object({ items: z.array(listingStatusSchema) }) },
      },
    },
    async (request) => {
      const { subjects } = request.body;
      const limit = app.sanctions.settings.maxBatchSubjects;
      if (subjects.length > limit)
        throw new ProblemError('batch_too_large', `at most ${limit} subjects at once`);
      return {
        items: await statuses(
          request,
          subjects.map((id, index) => requireSubject(app.keyring, id, `subjects.${index}`)),
          readerOf(request),
        ),
      };
    },
  );

  app.get(
    '/v1/listing-changes',
    {
      config: { auth: { roles: ['platform'] }, problems: ['invalid_consistency_token'] },
      schema: {
        tags: ['listing'],
        summary: 'Listing changes of the merchants this platform watches, in order, by cursor',
        description:
          'A feed, gap-free: a change appears once every transaction that started before it has ended. Every page answers `next`, the position to resume from, also when it holds no change yet; a page that is not full means the platform has read everything written so far.',
        querystring: changesQuery,
        headers: consistencyHeaders,
        response: { 200: pageSchema(listingChangeSchema).extend({ next: z.string() }) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const after = cursor ? { txId: cursor[0], seq: cursor[1] } : feedStart;
      const platform = principalOf(request).org ?? '';
      const result = await readLagTolerant(app, request, (db) =>
        db.execute(sql`
        SELECT e.tx_id::text AS tx_id, e.seq, e.event_id, e.type, e.payload, e.created_at
        FROM sanctions.events e
        JOIN sanctions.watches w ON w.subject_key = e.subject_key AND w.platform = ${platform}
        WHERE (e.tx_id, e.seq) > (${after.txId}::xid8, ${after.seq}::bigint)
          AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          AND e.type IN ('list.entry.published', 'list.entry.exited')
        ORDER BY e.tx_id, e.seq
        LIMIT ${limit}`),
      );
      const rows = ((result as unknown as { rows?: unknown[] }).rows ?? result) as {
        tx_id: string;
        seq: string | number;
        event_id: string;
        type: string;
        payload: z.infer<typeof listingChangeSchema>;
        created_at: Date | string;
      }[];
      const last = rows.at(-1);
      return {
        items: rows.map((row) => ({ ...row.payload, eventId: row.event_id, type: row.type })),
        next: encodeCursor(last ? [last.tx_id, Number(last.seq)] : [after.txId, after.seq]),
      };
    },
  );
}
