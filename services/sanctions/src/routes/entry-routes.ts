import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { principalOf, requireSubject, tokenSubject, type ZodTypeProvider } from '@credit/http';
import {
  entryDecisionSchema,
  entryStatuses,
  listEntrySchema,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  subjectIdSchema,
  toPage,
} from '@credit/schema';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listEntries } from '../db/schema.ts';
import { publishEntry, rejectEntry } from '../domain/entry-decisions.ts';
import { entryViews } from '../domain/entry-views.ts';

const byId = z.strictObject({ id: prefixedId('lst') });
const bySubject = z.strictObject({ id: subjectIdSchema });
/**
 * Entries are listed newest first by id: ids begin with their creation time and never change, so
 * a cursor holds the last id of a page (an order by `updated_at` would move entries between pages
 * while a department decides them).
 */
const entryCursor = z.tuple([prefixedId('lst')]);
const listQuery = pageQuerySchema(entryCursor, { status: z.enum(entryStatuses).optional() });
const subjectEntriesQuery = pageQuerySchema(entryCursor);

/** List entries: departments find and decide proposals; subjects see notices about them. */
export async function entryRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v1/list-entries',
    {
      config: { auth: { roles: ['admin', 'government'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Entries to decide or follow: a department sees those it identifies, the credit office all',
        description: 'Newest first.',
        querystring: listQuery,
        response: { 200: pageSchema(listEntrySchema) },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const principal = principalOf(request);
      const conditions: SQL[] = [];
      if (status) conditions.push(eq(listEntries.status, status));
      if (!principal.roles.includes('admin'))
        conditions.push(eq(listEntries.identifyingDepartment, principal.org ?? ''));
      if (cursor) conditions.push(lt(listEntries.entryId, cursor[0]));
      const rows = await app.db
        .select()
        .from(listEntries)
        .where(and(...conditions))
        .orderBy(desc(listEntries.entryId))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => [row.entryId]);
      return { ...page, items: await entryViews(app.db, app.sanctions, page.items, { as: 'staff' }) };
    },
  );

  app.get(
    '/v1/list-entries/:id',
    {
      config: { auth: { roles: ['admin', 'government'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'One entry with its measures and full history',
        params: byId,
        response: { 200: listEntrySchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [row] = await app.db.select().from(listEntries).where(eq(listEntries.entryId, id));
      if (!row) throw new ProblemError('not_found', 'no such list entry');
      const [view] = await entryViews(app.db, app.sanctions, [row], { as: 'staff' });
      return view;
    },
  );

  app.post(
    '/v1/list-entries/:id/decision',
    {
      config: {
        auth: { roles: ['admin', 'government'] },
        problems: ['invalid_state', 'objection_window_open'],
      },
      schema: {
        tags: ['sanctions'],
        summary: 'The identifying department decides: publish with validity, or reject',
        description:
          'Black and watch entries can be decided only after their objection window (working days) has passed.',
        params: byId,
        body: entryDecisionSchema,
        response: { 200: listEntrySchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const principal = principalOf(request);
      const now = app.clock();
      const decided = await inTransaction(app.db, async (tx) => {
        const [entry] = await tx.select().from(listEntries).where(eq(listEntries.entryId, id)).for('update');
        if (!entry) throw new ProblemError('not_found', 'no such list entry');
        if (!principal.roles.includes('admin') && principal.org !== entry.identifyingDepartment) {
          throw new ProblemError(
            'not_identifying_department',
            `only ${entry.identifyingDepartment} decides this entry`,
          );
        }
        if (entry.status !== 'noticed' && entry.status !== 'proposed') {
          throw new ProblemError('invalid_state', `the entry is ${entry.status}; only proposals are decided`);
        }
        if (
          body.decision === 'publish' &&
          entry.objectionUntil &&
          entry.objectionUntil.getTime() > now.getTime()
        ) {
          throw new ProblemError('objection_window_open', 'the subject may still object', {
            objectionUntil: entry.objectionUntil.toISOString(),
          });
        }
        const actor = principal.org ?? principal.sub;
        return body.decision === 'publish'
          ? publishEntry(tx, app.sanctions, entry, body.validUntil, actor, body.note, now)
          : rejectEntry(tx, app.sanctions, entry, actor, body.note, now);
      });
      // The decider (and this process's next check) sees the decision at once, the entries it
      // linked to related persons included; other processes follow the feed.
      const linked = await app.db
        .select({ subjectKey: listEntries.subjectKey })
        .from(listEntries)
        .where(eq(listEntries.parentEntryId, decided.entryId));
      await app.sanctions.listing.refreshSubjects([decided.subjectKey, ...linked.map((l) => l.subjectKey)]);
      const [view] = await entryViews(app.db, app.sanctions, [decided], { as: 'staff' });
      return view;
    },
  );

  app.get(
    '/v1/subjects/:id/list-entries',
    {
      config: { auth: { roles: ['subject', 'admin'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Entries about a subject, notices (告知) included, with objection windows',
        description: 'Newest first.',
        params: bySubject,
        querystring: subjectEntriesQuery,
        response: { 200: pageSchema(listEntrySchema) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { limit, cursor } = request.query;
      const principal = principalOf(request);
      const subject = requireSubject(app.keyring, id);
      const self = tokenSubject(app.keyring, principal.subjectId)?.key.equals(subject.key) ?? false;
      if (!self && !principal.roles.includes('admin')) {
        throw new ProblemError('forbidden', 'only the subject and the credit office read these');
      }
      const rows = await app.db
        .select()
        .from(listEntries)
        .where(
          and(
            eq(listEntries.subjectKey, subject.key),
            cursor ? lt(listEntries.entryId, cursor[0]) : undefined,
          ),
        )
        .orderBy(desc(listEntries.entryId))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => [row.entryId]);
      return {
        ...page,
        items: await entryViews(
          app.db,
          app.sanctions,
          page.items,
          self ? { as: 'self' } : { as: 'official' },
        ),
      };
    },
  );
}
