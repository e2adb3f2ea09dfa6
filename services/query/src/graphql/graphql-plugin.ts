import type { Principal } from '@credit/auth';
import { ProblemError } from '@credit/errors';
import { retryAfterSeconds, toProblem } from '@credit/http';
import { reportSignatureType, verificationCode } from '@credit/report-document';
import {
  decodeCursor,
  discloseIdentity,
  encodeCursor as encodeSharedCursor,
  maxPageLimit,
  type ReportItem,
  type SubjectKind,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { type DocumentNode, GraphQLError, type GraphQLResolveInfo, GraphQLScalarType } from 'graphql';
import mercurius, { type MercuriusContext, type MercuriusOptions } from 'mercurius';
import { z } from 'zod';
import { entriesInForce } from '../consumers/sanctions-projection.ts';
import {
  identityReaderOf,
  isSelf,
  resolveViewer,
  type Viewer,
  type ViewerRequest,
} from '../domain/access-policy.ts';
import { readFile, readFiles } from '../domain/file-reader.ts';
import { readGradeHistory } from '../domain/grade-reader.ts';
import { requireSubject, resolveSubject, type SubjectRef } from '../domain/subject-key.ts';
import { accessLogView } from '../repositories/access-log-repository.ts';
import { toAuthorisationView } from '../repositories/authorisation-repository.ts';
import { openSubject } from '../repositories/read-model-repository.ts';
import { enforceLimits, measureQuery } from './limits.ts';
import { schema } from './schema.ts';
import { type GraphqlAnswer, graphqlTransport, maxDocumentTokens } from './transport.ts';

declare module 'mercurius' {
  interface MercuriusContext {
    principal: Principal | undefined;
    authError: ProblemError | undefined;
    now: Date;
    /** The operation the request asked for, measured against the limits before it runs. */
    operation: { name: string | undefined; variables: Record<string, unknown> };
  }
}

type QueryContextValue = MercuriusContext;

/** What a Subject field resolves from: the subject, the caller's footing, and how they asked. */
interface SubjectNode {
  /**
   * Where in the answer the subject was read ("a", "subjects.3"). The records loader keys its
   * batch by the node, so two aliases reading the same subject stay two reads, each with its own
   * access-log entry; without it, reads resolved in the same tick were merged into one and the
   * log depended on timing.
   */
  readAt: string;
  ref: SubjectRef;
  request: ViewerRequest;
  viewer: Viewer;
  kind: string;
  id: string;
  name: string;
  audience: string;
}

interface PageParams {
  class?: string | null;
  first?: number | null;
  after?: string | null;
}

const authorisationCursor = z.tuple([z.iso.datetime(), z.string()]);
const accessLogCursor = z.tuple([z.number().int().min(0)]);
const gradeHistoryCursor = z.tuple([z.iso.datetime(), z.number().int().min(0)]);

const jsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
});

function encodeCursor(item: ReportItem): string {
  return Buffer.from(`${item.occurredAt}|${item.recordId}`).toString('base64url');
}

/** One page of items the policy admitted, newest first (the order the reader returns). */
function pageOf(params: PageParams) {
  const first = Math.min(Math.max(params.first ?? 50, 1), 500);
  let after: string | undefined;
  if (params.after) {
    after = Buffer.from(params.after, 'base64url').toString('utf8');
    if (!after.includes('|')) throw new ProblemError('bad_request', 'not a cursor of this connection');
  }
  const page = {
    first,
    /** Items the caller may see in this class, over all pages. */
    total: 0,
    select(items: ReportItem[]) {
      let list = params.class ? items.filter((i) => i.class === params.class) : items;
      page.total = list.length;
      if (after) {
        const position = list.findIndex((i) => `${i.occurredAt}|${i.recordId}` === after);
        list = position < 0 ? [] : list.slice(position + 1);
      }
      // One extra item tells whether another page follows; it is trimmed before returning.
      return list.slice(0, first + 1);
    },
  };
  return page;
}

function requirePrincipal(context: QueryContextValue): Principal {
  if (context.principal) return context.principal;
  throw context.authError ?? new ProblemError('unauthenticated', 'this query requires a bearer token');
}

/** A field's place in the answer, as its response keys (aliases) joined by dots. */
function answerPath(path: GraphQLResolveInfo['path']): string {
  const keys: (string | number)[] = [];
  for (let at: GraphQLResolveInfo['path'] | undefined = path; at; at = at.prev) keys.unshift(at.key);
  return keys.join('.');
}

/**
 * GraphQL at /graphql (mercurius): subjects, their records by class with cursor pagination,
 * their authorisations and access log. Records go through the same reader as the REST report,
 * batched by a loader so that many subjects cost one query, and are logged the same way.
 */
export async function graphqlPlugin(app: FastifyInstance) {
  const context = app.queryService;

  async function subjectNode(
    ctx: QueryContextValue,
    ref: SubjectRef,
    request: ViewerRequest,
    readAt: string,
  ): Promise<SubjectNode> {
    const principal = requirePrincipal(ctx);
    const viewer = await resolveViewer(context, app.db, principal, ref, request, ctx.now);
    const row = await context.readModel.subject(ref.key);
    if (!row && viewer.audience === 'government')
      throw new ProblemError('not_found', 'no records about this subject');
    const kind = (row?.kind ??
      (ref.scheme === 'citizen_id' ? 'natural_person' : 'legal_person')) as SubjectKind;
    return {
      readAt,
      ref,
      request,
      viewer,
      kind,
      ...discloseIdentity(identityReaderOf(viewer), 'subject', kind, {
        id: ref.identifier,
        name: row ? openSubject(app.keyring, row).name : '',
      }),
      audience: viewer.audience,
    };
  }

  function selfOrAdmin(ctx: QueryContextValue, node: SubjectNode, adminToo: boolean): Principal {
    const principal = requirePrincipal(ctx);
    if (isSelf(principal, node.ref, app.keyring) || (adminToo && principal.roles.includes('admin')))
      return principal;
    throw new ProblemError('forbidden', 'only the subject may read this');
  }

  const options: MercuriusOptions = {
    schema,
    // The routes are ours (transport.ts): mercurius answered a request that was not GraphQL
    // (no body, a batch, plain text) with 200 and internal_error.
    routes: false,
    graphiql: false,
    jit: 0,
    graphql: { parseOptions: { maxTokens: maxDocumentTokens } },
    errorFormatter: (execution, ctx) => {
      const errors = execution.errors.map((error) => {
        const original = error.originalError;
        if (!original || original instanceof GraphQLError) {
          return new GraphQLError(error.message, {
            nodes: error.nodes,
            path: error.path,
            extensions: { code: 'bad_request', status: 400 },
          }).toJSON();
        }
        // The REST handler's mapping: refusals keep their code, a lost database is a 503, and
        // only what no mapping explains is logged, at error level, as a fault of ours.
        const { problem, unexpected } = toProblem(original);
        if (unexpected) ctx.reply?.log.error({ err: original }, 'unexpected GraphQL error');
        return new GraphQLError(problem.detail ?? problem.title, {
          nodes: error.nodes,
          positions: error.positions,
          path: error.path,
          extensions: { code: problem.code, status: problem.status },
        }).toJSON();
      });
      // As REST answers 503 with Retry-After while the database is away, a GraphQL answer (200 by
      // the GraphQL-over-HTTP convention) tells the client when to come back in the same header.
      if (errors.some((error) => error.extensions?.code === 'database_unavailable'))
        ctx.reply?.header('retry-after', String(retryAfterSeconds));
      return { statusCode: 200, response: { data: execution.data ?? null, errors } };
    },
    resolvers: {
      JSON: jsonScalar,
      Query: {
        me: async (_root: unknown, _args: unknown, ctx: QueryContextValue, info: GraphQLResolveInfo) => {
          const principal = requirePrincipal(ctx);
          const ref = resolveSubject(app.keyring, principal.subjectId);
          if (!ref) throw new ProblemError('forbidden', 'the token names no subject (subject_id claim)');
          return subjectNode(ctx, ref, {}, answerPath(info.path));
        },
        subject: async (
          _root: unknown,
          args: { id: string; purpose?: string; authorisation?: string },
          ctx: QueryContextValue,
          info: GraphQLResolveInfo,
        ) =>
          subjectNode(
            ctx,
            requireSubject(app.keyring, args.id),
            { purpose: args.purpose, authorisationToken: args.authorisation },
            answerPath(info.path),
          ),
        subjects: async (
          _root: unknown,
          args: { ids: string[]; purpose: string },
          ctx: QueryContextValue,
          info: GraphQLResolveInfo,
        ) => {
          if (args.ids.length > 100) throw new ProblemError('bad_request', 'at most 100 subjects at once');
          const at = answerPath(info.path);
          return Promise.all(
            args.ids.map((id, index) =>
              subjectNode(
                ctx,
                requireSubject(app.keyring, id),
                { purpose: args.purpose },
                `${at}.${index}`,
              ).catch((error: unknown) => error),
            ),
          );
        },
      },
      Subject: {
        report: async (node: SubjectNode, _args: unknown, ctx: QueryContextValue) => {
          const { report, issued } = await readFile(
            context,
            requirePrincipal(ctx),
            { subject: node.ref, request: node.request, issue: true },
            'graphql',
            ctx.now,
          );
          if (!issued) throw new Error('a report read with issue is always issued');
          return {
            number: report.reportId,
            digest: issued.digest,
            verificationCode: verificationCode(issued.digest),
            report,
            signature: await app.signer.signDetached(issued.canonical, reportSignatureType),
          };
        },
        grades: async (
          node: SubjectNode,
          args: { first?: number | null; after?: string | null },
          ctx: QueryContextValue,
        ) => {
          const first = Math.min(Math.max(args.first ?? 50, 1), maxPageLimit);
          // The REST grades' cursor (when, then place in the feed), oldest first.
          const after = args.after ? gradeHistoryCursor.safeParse(decodeCursor(args.after)) : undefined;
          if (after && !after.success)
            throw new ProblemError('bad_request', 'not a cursor of this connection');
          const { current, changes, more } = await readGradeHistory(
            context,
            requirePrincipal(ctx),
            node.ref,
            node.request,
            ctx.now,
            { after: after?.data, limit: first },
          );
          const last = changes.at(-1);
          return {
            current,
            history: {
              edges: changes.map((change) => ({ cursor: encodeSharedCursor(change.key), node: change.view })),
              pageInfo: { hasNextPage: more, endCursor: last ? encodeSharedCursor(last.key) : null },
            },
          };
        },
        authorisations: async (
          node: SubjectNode,
          args: { first?: number | null; after?: string | null },
          ctx: QueryContextValue,
        ) => {
          selfOrAdmin(ctx, node, false);
          const first = Math.min(Math.max(args.first ?? 50, 1), maxPageLimit);
          // The REST list's cursor (grant time, then id), read by keyset down the same index.
          const after = args.after ? authorisationCursor.safeParse(decodeCursor(args.after)) : undefined;
          if (after && !after.success)
            throw new ProblemError('bad_request', 'not a cursor of this connection');
          const rows = await context.authorisations.pageForSubject(node.ref.key, after?.data, first + 1);
          const page = rows.slice(0, first);
          const cursorOf = (row: (typeof rows)[number]) =>
            encodeSharedCursor([row.grantedAt.toISOString(), row.authorisationId]);
          const last = page.at(-1);
          return {
            edges: page.map((row) => ({ cursor: cursorOf(row), node: toAuthorisationView(row, ctx.now) })),
            pageInfo: { hasNextPage: rows.length > first, endCursor: last ? cursorOf(last) : null },
          };
        },
        accessLog: async (
          node: SubjectNode,
          args: { first?: number | null; after?: string | null },
          ctx: QueryContextValue,
        ) => {
          selfOrAdmin(ctx, node, true);
          const first = Math.min(Math.max(args.first ?? 50, 1), maxPageLimit);
          // The REST log's cursor (the last entry number read), in entry order.
          const after = args.after ? accessLogCursor.safeParse(decodeCursor(args.after)) : undefined;
          if (after && !after.success)
            throw new ProblemError('bad_request', 'not a cursor of this connection');
          const rows = await context.accessLog.page(node.ref.key, after?.data[0] ?? 0, first + 1);
          const page = rows.slice(0, first);
          const cursorOf = (row: (typeof rows)[number]) => encodeSharedCursor([row.entryNo]);
          const last = page.at(-1);
          return {
            edges: page.map((row) => ({ cursor: cursorOf(row), node: accessLogView(row) })),
            pageInfo: { hasNextPage: rows.length > first, endCursor: last ? cursorOf(last) : null },
            chainValid: await context.accessLog.verify(node.ref.key),
          };
        },
      },
    },
    loaders: {
      Subject: {
        listStatus: async (queries: { obj: SubjectNode }[], ctx: QueryContextValue) => {
          const inForce = await entriesInForce(
            app.db,
            queries.map((q) => q.obj.ref.key),
            ctx.now,
          );
          return queries.map(({ obj }) => {
            const entries = inForce.get(obj.ref.key.toString('hex')) ?? [];
            return {
              red: entries.some((e) => e.listKind === 'red'),
              black: entries.some((e) => e.listKind === 'black'),
              watch: entries.some((e) => e.listKind === 'watch'),
              entries: entries.map((e) => ({
                id: e.entryId,
                listKind: e.listKind,
                domain: e.domain,
                validFrom: e.validFrom?.toISOString() ?? null,
                validUntil: e.validUntil?.toISOString() ?? null,
                measures: e.measures,
              })),
            };
          });
        },
        records: {
          // Each request reads afresh: a cached page must not skip its access-log entry.
          opts: { cache: false },
          loader: async (queries: { obj: SubjectNode; params: PageParams }[], ctx: QueryContextValue) => {
            const principal = requirePrincipal(ctx);
            const pages = queries.map((q) => pageOf(q.params));
            const results = await readFiles(
              context,
              principal,
              queries.map((q, i) => ({
                subject: q.obj.ref,
                request: q.obj.request,
                select: (pages[i] as ReturnType<typeof pageOf>).select,
              })),
              'graphql',
              ctx.now,
            );
            return results.map((result, i) => {
              if (result instanceof ProblemError) return result;
              const { first, total } = pages[i] as ReturnType<typeof pageOf>;
              const items = result.report.items;
              const page = items.slice(0, first);
              return {
                edges: page.map((node) => ({ cursor: encodeCursor(node), node })),
                pageInfo: {
                  hasNextPage: items.length > first,
                  endCursor: page.length > 0 ? encodeCursor(page.at(-1) as ReportItem) : null,
                },
                totalCount: total,
              };
            });
          },
        },
      },
    },
  };
  await app.register(mercurius, options);
  // Measured before graphql-js validates a new document (validating hundreds of aliases takes
  // a noticeable time of its own), and before every execution, cached document or not.
  const withinLimits = (document: DocumentNode, ctx: MercuriusContext) =>
    enforceLimits(measureQuery(document, ctx.operation.name, ctx.operation.variables), app.graphqlLimits);
  app.graphql.addHook('preValidation', async (_schema, document, ctx) => withinLimits(document, ctx));
  app.graphql.addHook('preExecution', async (_schema, document, ctx) => withinLimits(document, ctx));
  await app.register(graphqlTransport, {
    // mercurius types an answer's errors as GraphQLError, whose JSON (what is sent) has the shape
    // GraphqlAnswer declares; the response schema checks each answer against it in tests.
    execute: (request, reply, operation) =>
      reply.graphql(
        operation.query,
        {
          principal: request.principal,
          authError: request.authError,
          now: app.clock(),
          operation: { name: operation.operationName, variables: operation.variables ?? {} },
        } as MercuriusContext,
        operation.variables,
        operation.operationName,
      ) as Promise<GraphqlAnswer>,
  });
}
