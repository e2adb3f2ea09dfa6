import { newId } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { appendEvents } from '@credit/events';
import {
  type DeclarationAccepted,
  type DeclarationFoundFalse,
  type DeclarationSubmission,
  declarationAcceptedType,
  declarationFoundFalseType,
  type IntermediaryIndustry,
  industryDefinition,
} from '@credit/schema';
import { and, asc, eq, gt, inArray, ne } from 'drizzle-orm';
import { declarations, ingestOutbox, ingestSchemaName, intermediaries, subjects } from '../db/schema.ts';
import type { IntermediaryRow } from './intermediary-repository.ts';

export type DeclarationRow = typeof declarations.$inferSelect;
type Status = DeclarationRow['status'];

export function declarationView(row: DeclarationRow, uscc: string) {
  return {
    id: row.declarationId,
    agency: uscc,
    industry: row.industry,
    status: row.status,
    content: row.content,
    commitment: row.commitment,
    submittedAt: row.submittedAt.toISOString(),
    reviewedAt: row.reviewedAt?.toISOString() ?? null,
    reviewedBy: row.reviewedBy,
    reasons: row.reasons,
    records: row.recordIds,
  };
}

/** A review that found the declaration in another state than the one it acts on. */
export type Transition = { ok: true; row: DeclarationRow } | { ok: false; status: Status };

/**
 * Declarations (信息申报, seeds/003 四(一)): submitted by the agency with its commitment in the
 * industry's format, reviewed by a supervising department, published once accepted, and turned
 * into a dishonesty record when found false. Each state change takes the row's lock.
 */
export function createDeclarationRepository(db: Database) {
  async function locked(tx: Executor, agencyKey: Buffer, id: string) {
    const [row] = await tx
      .select()
      .from(declarations)
      .where(and(eq(declarations.agencyKey, agencyKey), eq(declarations.declarationId, id)))
      .for('update');
    return row;
  }

  async function setState(
    tx: Executor,
    row: DeclarationRow,
    patch: Partial<
      Pick<DeclarationRow, 'status' | 'reviewedAt' | 'reviewedBy' | 'reasons' | 'recordIds' | 'findingBy'>
    >,
  ): Promise<DeclarationRow> {
    const [updated] = await tx
      .update(declarations)
      .set(patch)
      .where(
        and(eq(declarations.agencyKey, row.agencyKey), eq(declarations.declarationId, row.declarationId)),
      )
      .returning();
    if (!updated) throw new Error('declaration vanished under its lock');
    return updated;
  }

  return {
    async submit(
      agency: IntermediaryRow,
      submission: DeclarationSubmission,
      now: Date,
    ): Promise<DeclarationRow> {
      const format = industryDefinition(agency.industry).commitment;
      const [row] = await db
        .insert(declarations)
        .values({
          agencyKey: agency.subjectKey,
          declarationId: newId('dcl', now.getTime()),
          industry: agency.industry,
          status: 'submitted',
          content: submission.content,
          // The commitment is kept in the words the agency signed, whatever the format says later.
          commitment: {
            title: format.title,
            clauses: format.clauses.map((clause) => ({ ...clause })),
            signatory: submission.commitment.signatory,
            signedOn: submission.commitment.signedOn,
          },
          submittedAt: now,
        })
        .returning();
      if (!row) throw new Error('declaration insert returned no row');
      return row;
    },

    async find(agencyKey: Buffer, id: string): Promise<DeclarationRow | undefined> {
      const [row] = await db
        .select()
        .from(declarations)
        .where(and(eq(declarations.agencyKey, agencyKey), eq(declarations.declarationId, id)));
      return row;
    },

    /** The agency's declarations in id (submission) order, optionally of some states. */
    async list(agencyKey: Buffer, statuses: Status[] | undefined, after: string | undefined, limit: number) {
      return db
        .select()
        .from(declarations)
        .where(
          and(
            eq(declarations.agencyKey, agencyKey),
            statuses ? inArray(declarations.status, statuses) : undefined,
            after ? gt(declarations.declarationId, after) : undefined,
          ),
        )
        .orderBy(asc(declarations.declarationId))
        .limit(limit);
    },

    /**
     * The declarations awaiting review (submitted) in these industries across their agencies, in
     * id order (ids begin with the submission time, so oldest first), each with its agency's
     * registered name and identity row; migration ingest/0012 indexes it.
     */
    async awaitingReview(industries: IntermediaryIndustry[], after: string | undefined, limit: number) {
      if (industries.length === 0) return [];
      return db
        .select({ declaration: declarations, agencyName: intermediaries.name, subject: subjects })
        .from(declarations)
        .innerJoin(intermediaries, eq(intermediaries.subjectKey, declarations.agencyKey))
        .innerJoin(subjects, eq(subjects.subjectKey, declarations.agencyKey))
        .where(
          and(
            eq(declarations.status, 'submitted'),
            inArray(declarations.industry, industries),
            after ? gt(declarations.declarationId, after) : undefined,
          ),
        )
        .orderBy(asc(declarations.declarationId))
        .limit(limit);
    },

    /** Accepts (and publishes) or returns a submitted declaration. */
    async review(
      agencyKey: Buffer,
      id: string,
      decision: { decision: 'accept' } | { decision: 'return'; reasons: string },
      department: string,
      now: Date,
    ): Promise<Transition | undefined> {
      return inTransaction(db, async (tx) => {
        const row = await locked(tx, agencyKey, id);
        if (!row) return undefined;
        if (row.status !== 'submitted') return { ok: false, status: row.status };
        const accepted = decision.decision === 'accept';
        const updated = await setState(tx, row, {
          status: accepted ? 'accepted' : 'returned',
          reviewedAt: now,
          reviewedBy: department,
          reasons: accepted ? null : decision.reasons,
        });
        if (accepted) {
          const payload: DeclarationAccepted = {
            declarationId: id,
            agencyKey: agencyKey.toString('hex'),
            industry: row.industry,
            content: row.content,
            commitment: row.commitment,
            department,
            acceptedAt: now.toISOString(),
          };
          await appendEvents(
            tx,
            ingestOutbox,
            ingestSchemaName,
            [{ type: declarationAcceptedType, subjectKey: agencyKey, aggregateId: id, payload }],
            now,
          );
        }
        return { ok: true, row: updated };
      });
    },

    /**
     * Marks a declaration found false, naming the dishonesty records written for it (the agency's
     * and its responsible persons'); it is no longer published.
     */
    /**
     * Takes the declaration's finding of falsity for `department` before its record is written:
     * the row as it stands when the finding is the department's (taken now or before), or the
     * department that holds it.
     */
    async claimFinding(
      agencyKey: Buffer,
      id: string,
      department: string,
    ): Promise<{ row: DeclarationRow } | { heldBy: string; row: DeclarationRow } | undefined> {
      return inTransaction(db, async (tx) => {
        const row = await locked(tx, agencyKey, id);
        if (!row) return undefined;
        if (row.findingBy === department) return { row };
        if (row.findingBy !== null) return { heldBy: row.findingBy, row };
        return { row: await setState(tx, row, { findingBy: department }) };
      });
    },

    /** Gives back a finding `department` took and did not record (its record was refused or failed). */
    async releaseFinding(agencyKey: Buffer, id: string, department: string): Promise<void> {
      await db
        .update(declarations)
        .set({ findingBy: null })
        .where(
          and(
            eq(declarations.agencyKey, agencyKey),
            eq(declarations.declarationId, id),
            eq(declarations.findingBy, department),
            ne(declarations.status, 'found_false'),
          ),
        );
    },

    async markFalse(
      agencyKey: Buffer,
      id: string,
      finding: { facts: string; records: string[] },
      department: string,
      now: Date,
    ): Promise<Transition | undefined> {
      return inTransaction(db, async (tx) => {
        const row = await locked(tx, agencyKey, id);
        if (!row) return undefined;
        if (row.status === 'found_false') return { ok: true, row };
        const updated = await setState(tx, row, {
          status: 'found_false',
          reviewedAt: now,
          reviewedBy: department,
          reasons: finding.facts,
          recordIds: finding.records,
        });
        const payload: DeclarationFoundFalse = {
          declarationId: id,
          agencyKey: agencyKey.toString('hex'),
          records: finding.records,
          department,
          foundAt: now.toISOString(),
        };
        await appendEvents(
          tx,
          ingestOutbox,
          ingestSchemaName,
          [{ type: declarationFoundFalseType, subjectKey: agencyKey, aggregateId: id, payload }],
          now,
        );
        return { ok: true, row: updated };
      });
    },
  };
}

export type DeclarationRepository = ReturnType<typeof createDeclarationRepository>;
