import { asBuffer, type Database, type Executor, inTransaction, resultRows } from '@credit/db';
import type { OrganisationKind } from '@credit/schema';
import { sql } from 'drizzle-orm';

/** A name of an organisation as the index holds it. */
export interface IndexedName {
  subjectKey: Buffer;
  uscc: string;
  kind: OrganisationKind;
  name: string;
  nameKey: string;
  core: string;
  regions: string[];
  legalForm: string | null;
  branch: string | null;
  isCurrent: boolean;
  registeredAt: Date | null;
}

/**
 * One name look-up: its normalised key, core length and regions, and the terms it is looked up
 * (and ranked) by: names holding any of `anyOf`, rarest first, or (when none is rare enough) all
 * of `allOf`.
 */
export interface NameProbe {
  key: string;
  length: number;
  regions: string[];
  anyOf: string[];
  allOf: string[];
}

interface NameRowText {
  subject_key: Buffer | Uint8Array;
  uscc: string;
  kind: OrganisationKind;
  name: string;
  name_key: string;
  core: string;
  regions: string[] | string;
  legal_form: string | null;
  branch: string | null;
  is_current: boolean;
  registered_at: Date | string | null;
}

const unitSeparator = '\u001f';

function textArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map((v) => v.replace(/^"|"$/g, ''));
}

function indexedName(row: NameRowText): IndexedName {
  return {
    subjectKey: asBuffer(row.subject_key),
    uscc: row.uscc,
    kind: row.kind,
    name: row.name,
    nameKey: row.name_key,
    core: row.core,
    regions: textArray(row.regions),
    legalForm: row.legal_form,
    branch: row.branch,
    isCurrent: row.is_current,
    registeredAt: row.registered_at === null ? null : new Date(row.registered_at),
  };
}

/**
 * Reads of the organisation name index (migrations/query/0010_organisation_names.sql). Only names
 * a search may answer with are read: registered (current or former) names and current names.
 */
export function createNameIndexRepository(db: Database) {
  return {
    /**
     * Runs a look-up's reads in one transaction without JIT compilation. The planner prices a
     * look-up by its worst case (every probe's terms held by thousands of names), which passes
     * jit_above_cost, and compiling the statement took ~1 s where running it takes a few
     * milliseconds: measured at 200,000 names, 1,035 ms of JIT before 17 ms of execution.
     */
    async reading<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
      return inTransaction(db, async (tx) => {
        await tx.execute(sql`SET LOCAL jit = off`);
        return work(tx);
      });
    },

    /** How many indexed names hold each of these n-grams (absent: none). */
    async gramCounts(grams: string[], executor: Executor = db): Promise<Map<string, number>> {
      if (grams.length === 0) return new Map();
      const rows = resultRows<{ gram: string; names: string | number }>(
        await executor.execute(
          sql`SELECT gram, names FROM query.name_gram_counts WHERE gram = ANY(${sql.param(grams)}::text[])`,
        ),
      );
      return new Map(rows.map((r) => [r.gram, Number(r.names)]));
    },

    /**
     * The subjects each probe finds, best first, `perProbe` at most: one statement for any number
     * of probes (a screening call's thousand names), each probe reading down the term and
     * name-key indexes the names holding one of its rare terms (`anyOf`, chosen so they add up to
     * a bounded number) or, when it has none, at most `allOfRows` names holding all of `allOf`.
     * They are ranked by their name being the probe's, then by how many of the probe's rarest
     * look-up terms they hold, then by how near their core's length is to the probe's, then by a
     * shared region, so that the cut keeps the names nameScore will rank first. The ranking reads
     * four look-up terms at most, with no sub-query per row: at a thousand probes of ~250 rows
     * each, counting every shared term was most of the statement's time.
     */
    async candidates(
      probes: NameProbe[],
      perProbe: number,
      allOfRows: number,
      executor: Executor = db,
    ): Promise<Buffer[][]> {
      const found: Buffer[][] = probes.map(() => []);
      if (probes.length === 0) return found;
      // Terms and regions travel as one string per probe, split in SQL: a core holds no U+001F.
      const joined = (values: string[]) => values.join(unitSeparator);
      const rows = resultRows<{ i: number | string; subject_key: Buffer | Uint8Array }>(
        await executor.execute(sql`
          WITH q AS (
            SELECT (t.n - 1)::int AS i, t.key, t.length,
              string_to_array(t.regions, ${unitSeparator}) AS regions,
              string_to_array(t.any_of, ${unitSeparator}) AS any_of,
              string_to_array(t.all_of, ${unitSeparator}) AS all_of,
              string_to_array(t.look, ${unitSeparator}) AS look
            FROM unnest(
              ${sql.param(probes.map((p) => p.key))}::text[],
              ${sql.param(probes.map((p) => p.length))}::int[],
              ${sql.param(probes.map((p) => joined(p.regions)))}::text[],
              ${sql.param(probes.map((p) => joined(p.anyOf)))}::text[],
              ${sql.param(probes.map((p) => joined(p.allOf)))}::text[],
              ${sql.param(probes.map((p) => joined([...p.anyOf, ...p.allOf].slice(0, 4))))}::text[]
            ) WITH ORDINALITY AS t(key, length, regions, any_of, all_of, look, n)
          )
          SELECT q.i, c.subject_key FROM q CROSS JOIN LATERAL (
            SELECT n.subject_key,
              max((n.name_key = q.key)::int * 1000000
                + ((n.grams @> q.look[1:1])::int + (n.grams @> q.look[2:2])::int
                  + (n.grams @> q.look[3:3])::int + (n.grams @> q.look[4:4])::int) * 1000
                - least(abs(char_length(n.core) - q.length), 99) * 10
                + (n.regions && q.regions)::int) AS rank
            FROM (
              SELECT o.subject_key, o.name_key, o.grams, o.core, o.regions FROM query.organisation_names o
              WHERE (o.registered_at IS NOT NULL OR o.is_current)
                AND (o.grams && q.any_of OR o.name_key = q.key)
              UNION ALL
              (SELECT o.subject_key, o.name_key, o.grams, o.core, o.regions FROM query.organisation_names o
              WHERE cardinality(q.all_of) > 0 AND (o.registered_at IS NOT NULL OR o.is_current)
                AND o.grams @> q.all_of
              LIMIT ${allOfRows})
            ) n
            GROUP BY n.subject_key
            ORDER BY rank DESC, n.subject_key
            LIMIT ${perProbe}
          ) c`),
      );
      for (const row of rows) found[Number(row.i)]?.push(asBuffer(row.subject_key));
      return found;
    },

    /** Organisations whose USCC begins with `prefix`, in code order. */
    async byUsccPrefix(prefix: string, limit: number, executor: Executor = db): Promise<Buffer[]> {
      const rows = resultRows<{ subject_key: Buffer | Uint8Array }>(
        await executor.execute(sql`
          SELECT DISTINCT uscc, subject_key FROM query.organisation_names
          WHERE uscc LIKE ${`${prefix}%`} AND (registered_at IS NOT NULL OR is_current)
          ORDER BY uscc LIMIT ${limit}`),
      );
      return rows.map((r) => asBuffer(r.subject_key));
    },

    /** Every searchable name of these subjects. */
    async namesOf(keys: Buffer[], executor: Executor = db): Promise<IndexedName[]> {
      if (keys.length === 0) return [];
      const rows = resultRows<NameRowText>(
        await executor.execute(sql`
          SELECT subject_key, uscc, kind, name, name_key, core, regions, legal_form, branch, is_current, registered_at
          FROM query.organisation_names
          WHERE subject_key IN (SELECT decode(h, 'hex') FROM unnest(${sql.param(keys.map((k) => k.toString('hex')))}::text[]) AS h)
            AND (registered_at IS NOT NULL OR is_current)`),
      );
      return rows.map(indexedName);
    },
  };
}

export type NameIndexRepository = ReturnType<typeof createNameIndexRepository>;
