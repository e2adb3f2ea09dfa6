import { ProblemError } from '@credit/errors';
import { principalOf, requireSubject, tokenSubject, type ZodTypeProvider } from '@credit/http';
import {
  calendarYearSchema,
  noticeSchema,
  pageQuerySchema,
  pageSchema,
  platformWideKey,
  prefixedId,
  subjectIdSchema,
  toPage,
} from '@credit/schema';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notices } from '../db/schema.ts';
import { resumeAwaitingDeadlines } from '../domain/deadlines.ts';
import { runExpiry } from '../domain/expiry.ts';
import { Journal } from '../domain/journal.ts';

const noticeView = (n: typeof notices.$inferSelect) => ({
  id: n.noticeId,
  kind: n.kind,
  referenceId: n.referenceId,
  title: n.title,
  detail: n.detail,
  createdAt: n.createdAt.toISOString(),
});

const bySubject = z.strictObject({ id: subjectIdSchema });
/** Newest first by notice id, which begins with the notice's time (the key's second column). */
const noticeQuery = pageQuerySchema(z.tuple([prefixedId('ntc')]));
/** Covered years are listed by year. */
const calendarQuery = pageQuerySchema(z.tuple([z.number().int()]));
const byYear = z.strictObject({ year: z.coerce.number().int().min(2000).max(2100) });

/** Subjects' and the credit office's notices, the official calendar years, and the display-expiry job on demand. */
export async function subjectRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const context = app.repair;

  /** A page of the notices to one subject (or to the credit office, under the platform-wide key). */
  async function noticePage(subjectKey: Buffer, { limit, cursor }: z.infer<typeof noticeQuery>) {
    const rows = await app.db
      .select()
      .from(notices)
      .where(and(eq(notices.subjectKey, subjectKey), cursor ? lt(notices.noticeId, cursor[0]) : undefined))
      .orderBy(desc(notices.noticeId))
      .limit(limit + 1);
    const page = toPage(rows, limit, (row) => [row.noticeId]);
    return { ...page, items: page.items.map(noticeView) };
  }

  app.get(
    '/v1/subjects/:id/notices',
    {
      config: { auth: { roles: ['subject', 'admin'] } },
      schema: {
        tags: ['repair'],
        summary: 'What a subject has been told: objections, repairs, list notices (告知) and evaluations',
        description: 'Newest first.',
        params: bySubject,
        querystring: noticeQuery,
        response: { 200: pageSchema(noticeSchema) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const principal = principalOf(request);
      const subject = requireSubject(app.keyring, id);
      if (
        !principal.roles.includes('admin') &&
        !tokenSubject(app.keyring, principal.subjectId)?.key.equals(subject.key)
      ) {
        throw new ProblemError('forbidden', 'only the subject and the credit office read these notices');
      }
      return noticePage(subject.key, request.query);
    },
  );

  app.get(
    '/v1/calendar',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['repair'],
        summary: 'Years the official working-day calendar covers, and those it should and does not',
        description: 'Covered years oldest first, a page at a time; `missingYears` stands on every page.',
        querystring: calendarQuery,
        response: {
          200: pageSchema(z.object({ year: z.number().int() })).extend({
            missingYears: z
              .array(z.number().int())
              .describe(
                'The current year, and from 1 November the next, when not covered: deadlines ending in them wait (awaiting_calendar)',
              ),
          }),
        },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      // The covered years are held in memory (the holiday package and the loaded years): a few dozen.
      const years = context.calendar
        .coveredYears()
        .filter((year) => cursor === undefined || year > cursor[0])
        .sort((a, b) => a - b)
        .slice(0, limit + 1);
      const page = toPage(years, limit, (year) => [year]);
      return {
        ...page,
        items: page.items.map((year) => ({ year })),
        missingYears: context.calendar.missingYears(context.clock()),
      };
    },
  );

  app.get(
    '/v1/notices',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['repair'],
        summary:
          'What the credit office has been told, e.g. that next year’s official calendar is not loaded',
        description: 'Newest first.',
        querystring: noticeQuery,
        response: { 200: pageSchema(noticeSchema) },
      },
    },
    async (request) => noticePage(platformWideKey, request.query),
  );

  app.put(
    '/v1/calendar/:year',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['repair'],
        summary: 'Load a year’s official holidays and make-up workdays (when the holiday package lags)',
        description:
          'From the State Council notice (国务院办公厅关于部分节假日安排的通知): every day off that is a weekday or inside a holiday, and every make-up workday (调休). Deadlines that awaited the year are computed at once (`resumed`); the sanctions service notices the entries that awaited it. See docs/deadlines.md.',
        params: byYear,
        body: calendarYearSchema,
        response: {
          200: z.object({
            year: z.number().int(),
            holidays: z.number().int(),
            workdays: z.number().int(),
            resumed: z.number().int().describe('Case deadlines that awaited this year and are now computed'),
          }),
        },
      },
    },
    async (request) => {
      const { year } = request.params;
      const body = request.body;
      const stray = [...body.holidays, ...body.workdays].find((d) => !d.startsWith(`${year}-`));
      if (stray)
        throw ProblemError.fromFieldErrors([
          { path: 'holidays', code: 'validation_failed', message: `${stray} is not in ${year}` },
        ]);
      const now = context.clock();
      const principal = principalOf(request);
      await app.db.transaction(async (tx) => {
        await context.store.calendarYears.store(
          { year, ...body, loadedBy: principal.sub, loadedAt: now },
          tx,
        );
        const journal = new Journal(context, tx, now);
        journal.event('calendar.year.loaded', platformWideKey, `calendar-${year}`, { year, ...body });
        await journal.flush();
      });
      context.calendar.load({ year, ...body });
      const resumed = await resumeAwaitingDeadlines(app.db, context);
      return { year, holidays: body.holidays.length, workdays: body.workdays.length, resumed };
    },
  );

  app.post(
    '/v1/expiry-runs',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['repair'],
        summary: 'End the display of items whose period is over, now (the job also runs on its own)',
        response: { 200: z.object({ ended: z.number().int() }) },
      },
    },
    async () => runExpiry(app.db, context, context.settings.expiryPageSize),
  );
}
