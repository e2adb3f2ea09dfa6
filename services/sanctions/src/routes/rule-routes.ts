import { identityAad } from '@credit/crypto';
import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { appendEvents } from '@credit/events';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  discloseIdentifier,
  measureCodeSchema,
  measureSchema,
  measureUpdateSchema,
  pageQuerySchema,
  pageSchema,
  ruleCodeSchema,
  ruleDefinitionSchema,
  ruleSchema,
  type SubjectKind,
  toPage,
  zodIssuesToErrors,
} from '@credit/schema';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { measures, records, rules, sanctionsOutbox, sanctionsSchemaName, subjects } from '../db/schema.ts';
import { runDailyPass } from '../domain/daily-pass.ts';
import { measureUpdatedType } from '../domain/listing-cache.ts';
import { evaluateRule } from '../domain/rule-engine.ts';
import { toMeasure } from '../domain/verdicts.ts';

const byRuleCode = z.strictObject({ code: ruleCodeSchema });
const byMeasureCode = z.strictObject({ code: measureCodeSchema });
/** Active rules are listed by code then version, measures by code: their keys. */
const ruleListQuery = pageQuerySchema(z.tuple([ruleCodeSchema, z.number().int().min(1)]));
const measureListQuery = pageQuerySchema(z.tuple([measureCodeSchema]));
/** A rule's versions are listed by version number. */
const ruleVersionQuery = pageQuerySchema(z.tuple([z.number().int().min(1)]));
const dryRunBody = z.strictObject({
  definition: z.record(z.string(), z.unknown()),
  limit: z.number().int().min(1).max(1000).default(100),
});

function parseRule(definition: unknown) {
  const parsed = ruleDefinitionSchema.safeParse(definition);
  if (parsed.success) return parsed.data;
  const errors = zodIssuesToErrors(parsed.error.issues, 'definition').map((e) => ({
    ...e,
    code: 'rule_invalid' as const,
  }));
  throw ProblemError.fromFieldErrors(
    errors,
    `the rule does not parse: ${errors[0]?.path}: ${errors[0]?.message}`,
  );
}

const dryRunResultSchema = z.object({
  scanned: z.number().int(),
  matches: z.array(
    z.object({
      subject: z.object({ kind: z.string(), id: z.string() }),
      basis: z.array(z.string()),
      explanation: z.array(z.string()),
    }),
  ),
});

/** List rules as data (versioned), the measures catalogue, and running evaluations on demand. */
export async function ruleRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/v1/rules',
    {
      config: { auth: { roles: ['admin'] }, headers: { location: [201] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Create a rule, or a new version of it (the previous version retires)',
        body: z.strictObject({ definition: z.record(z.string(), z.unknown()) }),
        response: { 201: ruleSchema },
      },
    },
    async (request, reply) => {
      const definition = parseRule(request.body.definition);
      const now = app.clock();
      const row = await inTransaction(app.db, async (tx) => {
        const [latest] = await tx
          .select()
          .from(rules)
          .where(eq(rules.code, definition.code))
          .orderBy(desc(rules.version))
          .limit(1)
          .for('update');
        if (latest)
          await tx
            .update(rules)
            .set({ status: 'retired' })
            .where(and(eq(rules.code, definition.code), eq(rules.status, 'active')));
        const [inserted] = await tx
          .insert(rules)
          .values({
            code: definition.code,
            version: (latest?.version ?? 0) + 1,
            definition,
            status: 'active',
            createdBy: principalOf(request).sub,
            createdAt: now,
          })
          .returning();
        return inserted;
      });
      if (!row) throw new Error('rule insert returned no row');
      reply.code(201).header('location', `/v1/rules/${row.code}`);
      return { ...row, createdAt: row.createdAt.toISOString() };
    },
  );

  app.get(
    '/v1/rules',
    {
      config: { auth: { roles: ['admin', 'government'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Active rules, by code',
        querystring: ruleListQuery,
        response: { 200: pageSchema(ruleSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const rows = await app.sanctions.store.rules.pageActive(cursor, limit + 1);
      const page = toPage(rows, limit, (row) => [row.code, row.version]);
      return { ...page, items: page.items.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
    },
  );

  app.get(
    '/v1/rules/:code',
    {
      config: { auth: { roles: ['admin', 'government'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Every version of a rule, oldest first',
        params: byRuleCode,
        querystring: ruleVersionQuery,
        response: { 200: pageSchema(ruleSchema) },
      },
    },
    async (request) => {
      const { code } = request.params;
      const { cursor, limit } = request.query;
      const rows = await app.sanctions.store.rules.pageVersions(code, cursor?.[0], limit + 1);
      // A rule has a first version from its creation on, so only an unknown code reads nothing.
      if (
        rows.length === 0 &&
        (await app.sanctions.store.rules.pageVersions(code, undefined, 1)).length === 0
      )
        throw new ProblemError('not_found', `no rule '${code}'`);
      const page = toPage(rows, limit, (row) => [row.version]);
      return { ...page, items: page.items.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
    },
  );

  app.post(
    '/v1/rules/dry-run',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Which subjects a rule would list now, and why (nothing is written)',
        body: dryRunBody,
        response: { 200: dryRunResultSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const definition = parseRule(body.definition);
      const now = app.clock();
      const matches: z.infer<typeof dryRunResultSchema>['matches'] = [];
      let scanned = 0;
      let after: Buffer | undefined;
      while (matches.length < body.limit) {
        const page = await app.db
          .select()
          .from(subjects)
          .where(after ? gt(subjects.subjectKey, after) : undefined)
          .orderBy(asc(subjects.subjectKey))
          .limit(500);
        if (page.length === 0) break;
        for (const subject of page) {
          scanned++;
          const subjectRecords = await app.db
            .select()
            .from(records)
            .where(eq(records.subjectKey, subject.subjectKey));
          const evaluation = evaluateRule(definition, subject.kind, subjectRecords, now, {
            get: () => undefined,
          });
          if (!evaluation.matched) continue;
          const identifier = app.keyring.decrypt(
            subject.keyId,
            subject.identifierCipher,
            identityAad('identifier', subject.subjectKey),
          );
          matches.push({
            subject: {
              kind: subject.kind,
              id: discloseIdentifier({ as: 'staff' }, 'subject', subject.kind as SubjectKind, identifier),
            },
            basis: evaluation.basis.map((r) => r.recordId),
            explanation: evaluation.explanation,
          });
          if (matches.length >= body.limit) break;
        }
        after = page.at(-1)?.subjectKey;
      }
      return { scanned, matches };
    },
  );

  app.post(
    '/v1/evaluations',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['sanctions'],
        summary:
          'Run the daily pass now: expire entries past validity, re-evaluate the subjects that are due',
        response: {
          200: z.object({
            expired: z.number(),
            resumed: z
              .number()
              .describe(
                'Entries that awaited the official calendar, noticed now that it covers their window',
              ),
            subjects: z
              .number()
              .describe(
                'Subjects evaluated: those whose outcome could have changed by time alone or whose entries changed, every subject with records after a rule change (docs/lists-and-grades.md, "The daily pass")',
              ),
            proposed: z.number(),
            awaitingCalendar: z
              .number()
              .describe(
                'Black and watch entries created awaiting_calendar: their objection window ends in a year whose official calendar is not loaded (GET /v1/list-entries?status=awaiting_calendar)',
              ),
            cancelled: z.number(),
            exited: z.number(),
            graded: z.number(),
          }),
        },
      },
    },
    async () => {
      const summary = await runDailyPass(app.db, app.sanctions);
      await app.sanctions.listing.catchUp();
      return summary;
    },
  );

  app.get(
    '/v1/measures',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['sanctions'],
        summary: 'The joint measures catalogue with legal bases, by code',
        querystring: measureListQuery,
        response: { 200: pageSchema(measureSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const page = toPage(await app.sanctions.store.measures.page(cursor?.[0], limit + 1), limit, (row) => [
        row.code,
      ]);
      return { ...page, items: page.items.map(toMeasure) };
    },
  );

  app.put(
    '/v1/measures/:code',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Add or change a measure',
        params: byMeasureCode,
        body: measureUpdateSchema,
        response: { 200: measureSchema },
      },
    },
    async (request) => {
      const { code } = request.params;
      const body = request.body;
      const now = app.clock();
      const row = await inTransaction(app.db, async (tx) => {
        const [upserted] = await tx
          .insert(measures)
          .values({ code, ...body, updatedAt: now })
          .onConflictDoUpdate({ target: measures.code, set: { ...body, updatedAt: now } })
          .returning();
        if (!upserted) throw new Error('measure upsert returned no row');
        // Announced on the feed so every process's listing cache re-reads the catalogue.
        await appendEvents(
          tx,
          sanctionsOutbox,
          sanctionsSchemaName,
          [{ type: measureUpdatedType, subjectKey: Buffer.alloc(0), aggregateId: code, payload: { code } }],
          now,
        );
        return upserted;
      });
      await app.sanctions.listing.refreshMeasures();
      return toMeasure(row);
    },
  );
}
