import { ProblemError } from '@credit/errors';
import { principalOf, requireSelfOr, requireSubject, type ZodTypeProvider } from '@credit/http';
import {
  accessHistorySchema,
  type CheckpointView,
  checkpointSchema,
  consistencyProofSchema,
  consistencyQuerySchema,
  inclusionProofSchema,
  inclusionQuerySchema,
  leafViewSchema,
  subjectEntriesSchema,
  subjectIdSchema,
  subjectLogQuerySchema,
} from '@credit/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type CheckpointRow, issueCheckpoint, latestCheckpoint, signedCheckpointOf } from './checkpointer.ts';
import { consistencyProof, inclusionProof, readLeaves } from './log-store.ts';
import { accessMapProof, chosenCheckpoint, type SubjectLeaf, subjectLeaves } from './subject-log.ts';

const bySize = z.strictObject({ treeSize: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
const byIndex = z.strictObject({ leafIndex: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
const bySubject = z.strictObject({ id: subjectIdSchema });

export function checkpointView(row: CheckpointRow): CheckpointView {
  const { body, signature } = signedCheckpointOf(row);
  return { ...body, signature };
}

function leafView(leaf: {
  leafIndex: number;
  leafHash: Buffer;
  leafInput: Buffer;
  kind: string;
  appendedAt: Date;
}) {
  return {
    leafIndex: leaf.leafIndex,
    leafHash: leaf.leafHash.toString('hex'),
    kind: leaf.kind as z.infer<typeof leafViewSchema>['kind'],
    leafInput: leaf.leafInput.toString('utf8'),
    appendedAt: leaf.appendedAt.toISOString(),
  };
}

function subjectLeafView(leaf: SubjectLeaf) {
  return { ...leafView(leaf), ref: leaf.ref, path: leaf.path.map((p) => p.toString('hex')) };
}

/**
 * The transparency log over HTTP. Checkpoints, leaves and proofs are public — the leaves name
 * nobody — so anyone can audit the log; what concerns one subject is for that subject and the
 * credit office.
 */
export async function transparencyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { settings } = app.ingest;

  app.get(
    '/v1/transparency/checkpoint',
    {
      config: { auth: 'public', problems: ['not_found'] },
      schema: {
        tags: ['transparency'],
        summary: 'The newest signed checkpoint of the transparency log',
        response: { 200: checkpointSchema },
      },
    },
    async (_request, reply) => {
      const row = await latestCheckpoint(app.db);
      if (!row) throw new ProblemError('not_found', 'no checkpoint has been issued yet');
      reply.header('cache-control', 'no-cache');
      return checkpointView(row);
    },
  );

  app.get(
    '/v1/transparency/checkpoints/:treeSize',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['transparency'],
        summary: 'The checkpoint issued at a tree size',
        params: bySize,
        response: { 200: checkpointSchema },
      },
    },
    async (request) => {
      const { treeSize } = request.params;
      return checkpointView(await chosenCheckpoint(app.db, treeSize));
    },
  );

  app.post(
    '/v1/transparency/checkpoints',
    {
      config: { auth: { roles: ['admin'] }, problems: ['not_found'], headers: { location: [201] } },
      schema: {
        tags: ['transparency'],
        summary: 'Issue a checkpoint now (the platform also issues one on a schedule)',
        description:
          'Answers 201 with the new checkpoint, or 200 with the newest one when the log has not grown.',
        response: { 200: checkpointSchema, 201: checkpointSchema },
      },
    },
    async (_request, reply) => {
      const issued = await issueCheckpoint(app.db, app.signer, settings.transparencyOrigin, app.clock());
      if (issued) {
        const view = checkpointView(issued);
        return reply.code(201).header('location', `/v1/transparency/checkpoints/${view.treeSize}`).send(view);
      }
      const latest = await latestCheckpoint(app.db);
      if (!latest) throw new ProblemError('not_found', 'the log is empty; there is nothing to sign yet');
      return checkpointView(latest);
    },
  );

  app.get(
    '/v1/transparency/leaves/:leafIndex',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['transparency'],
        summary: 'One leaf of the log',
        params: byIndex,
        response: { 200: leafViewSchema },
      },
    },
    async (request, reply) => {
      const { leafIndex } = request.params;
      const [leaf] = await readLeaves(app.db, [leafIndex]);
      if (!leaf) throw new ProblemError('not_found', `the log has no leaf ${leafIndex}`);
      reply.header('cache-control', 'public, max-age=31536000, immutable');
      return leafView(leaf);
    },
  );

  app.get(
    '/v1/transparency/proofs/inclusion',
    {
      config: { auth: 'public', problems: ['not_found', 'validation_failed'] },
      schema: {
        tags: ['transparency'],
        summary: 'Inclusion proof of a leaf in a checkpoint’s tree (RFC 9162 §2.1.3)',
        querystring: inclusionQuerySchema,
        response: { 200: inclusionProofSchema },
      },
    },
    async (request) => {
      const { leafIndex, treeSize } = request.query;
      await chosenCheckpoint(app.db, treeSize);
      if (leafIndex >= treeSize) {
        throw ProblemError.fromFieldErrors([
          {
            path: 'query.leafIndex',
            code: 'validation_failed',
            message: 'the leaf is not inside a tree of that size',
          },
        ]);
      }
      const [leaf] = await readLeaves(app.db, [leafIndex]);
      if (!leaf) throw new ProblemError('not_found', `the log has no leaf ${leafIndex}`);
      const path = await inclusionProof(app.db, leafIndex, treeSize);
      return {
        leafIndex,
        treeSize,
        leafHash: leaf.leafHash.toString('hex'),
        path: path.map((p) => p.toString('hex')),
      };
    },
  );

  app.get(
    '/v1/transparency/proofs/consistency',
    {
      config: { auth: 'public', problems: ['not_found', 'validation_failed'] },
      schema: {
        tags: ['transparency'],
        summary: 'Consistency proof between two checkpoints (RFC 9162 §2.1.4)',
        querystring: consistencyQuerySchema,
        response: { 200: consistencyProofSchema },
      },
    },
    async (request) => {
      const { first, second } = request.query;
      if (first > second) {
        throw ProblemError.fromFieldErrors([
          {
            path: 'query.first',
            code: 'validation_failed',
            message: 'the first tree must not be larger than the second',
          },
        ]);
      }
      await chosenCheckpoint(app.db, first);
      await chosenCheckpoint(app.db, second);
      const proof = await consistencyProof(app.db, first, second);
      return { first, second, proof: proof.map((p) => p.toString('hex')) };
    },
  );

  /** A page of a subject's leaves (of one kind) in a checkpoint's tree, for the subject or the credit office. */
  async function subjectLeafPage(
    request: FastifyRequest,
    { id }: z.output<typeof bySubject>,
    query: z.output<typeof subjectLogQuerySchema>,
    kind?: string,
  ) {
    const subject = requireSubject(app.keyring, id);
    requireSelfOr(
      app.keyring,
      principalOf(request),
      subject,
      ['admin'],
      'only the subject and the credit office read this',
    );
    const checkpoint = await chosenCheckpoint(app.db, query.treeSize);
    const page = await subjectLeaves(app.db, subject.key, checkpoint.treeSize, {
      ...(kind ? { kind } : {}),
      after: query.cursor?.[0] ?? -1,
      limit: query.limit,
    });
    return { subject, checkpoint, page };
  }

  app.get(
    '/v1/transparency/subjects/:id/entries',
    {
      config: { auth: { roles: ['subject', 'admin'] } },
      schema: {
        tags: ['transparency'],
        summary: 'Every leaf about a subject in a checkpoint’s tree, with inclusion proofs',
        params: bySubject,
        querystring: subjectLogQuerySchema,
        response: { 200: subjectEntriesSchema },
      },
    },
    async (request) => {
      const { checkpoint, page } = await subjectLeafPage(request, request.params, request.query);
      return {
        checkpoint: checkpointView(checkpoint),
        items: page.items.map(subjectLeafView),
        next: page.next,
      };
    },
  );

  app.get(
    '/v1/transparency/subjects/:id/access-history',
    {
      config: { auth: { roles: ['subject', 'admin'] } },
      schema: {
        tags: ['transparency'],
        summary: 'Every access to a subject’s data up to a checkpoint, with the proof that none is missing',
        description:
          'The map proof shows the value the signed checkpoint holds for the subject: SHA-256 over the count and a hash chain of the access leaves in log order (see packages/transparency). A list that hides, adds or reorders an access does not reproduce it.',
        params: bySubject,
        querystring: subjectLogQuerySchema,
        response: { 200: accessHistorySchema },
      },
    },
    async (request) => {
      const { subject, checkpoint, page } = await subjectLeafPage(
        request,
        request.params,
        request.query,
        'access',
      );
      const { count, proof } = await accessMapProof(app.db, subject.key, checkpoint.treeSize);
      return {
        checkpoint: checkpointView(checkpoint),
        count,
        items: page.items.map(subjectLeafView),
        next: page.next,
        mapProof: {
          key: subject.key.toString('hex'),
          siblings: proof.siblings.map((s) => s.toString('hex')),
          terminal:
            proof.terminal.kind === 'leaf'
              ? {
                  kind: 'leaf' as const,
                  key: proof.terminal.key.toString('hex'),
                  valueHash: proof.terminal.valueHash.toString('hex'),
                }
              : { kind: 'empty' as const },
        },
      };
    },
  );
}
