import type { DatabaseHandle, Executor } from '@credit/db';
import {
  type ConsumerLogger,
  type ConsumerStatus,
  type FeedPosition,
  feedChannel,
  feedLagSeconds,
  feedStart,
  type RunningConsumer,
  readFeedPage,
} from '@credit/events';
import { type GradeTier, gradeEventTypes, industryEvaluationEventTypes, type ListKind } from '@credit/schema';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { grades, listEntries, measures, sanctionsSchemaName, supervisionTiers } from '../db/schema.ts';
import {
  createIndustryEvaluationRepository,
  type SupervisionTierRow,
} from '../repositories/industry-evaluation-repository.ts';

type MeasureRow = typeof measures.$inferSelect;

/** What the listing status and the check API need of a published entry; nothing else is held. */
export interface StandingEntry {
  entryId: string;
  listKind: ListKind;
  domain: string;
  status: 'published';
  validFrom: Date | null;
  validUntil: Date | null;
  measures: string[];
}

/** A subject's newest grade in one domain (whether it is still current is judged at read time). */
export interface HeldGrade {
  domain: string;
  year: number;
  grade: string;
  /** A withdrawn grade of the newest year leaves the domain ungraded. */
  withdrawn: boolean;
}

/** A subject's newest industry evaluation in one industry (whether it still stands is judged at read time). */
export interface HeldIndustryGrade {
  evaluationId: string;
  industry: string;
  department: string;
  grade: string;
  tier: GradeTier;
  periodFrom: string;
  periodTo: string;
  validUntil: Date;
}

export const listingCacheName = 'sanctions-listing-cache';
export const measureUpdatedType = 'measure.updated';
const followedTypes = [
  'list.entry.noticed',
  'list.entry.proposed',
  'list.entry.published',
  'list.entry.rejected',
  'list.entry.cancelled',
  'list.entry.exited',
  ...gradeEventTypes,
  ...industryEvaluationEventTypes,
  measureUpdatedType,
];

const typeList = () =>
  sql.join(
    followedTypes.map((t) => sql`${t}`),
    sql`, `,
  );

const columns = {
  subjectKey: listEntries.subjectKey,
  entryId: listEntries.entryId,
  listKind: listEntries.listKind,
  domain: listEntries.domain,
  validFrom: listEntries.validFrom,
  validUntil: listEntries.validUntil,
  measures: listEntries.measures,
};

function standingEntry(row: Omit<StandingEntry, 'status'>): StandingEntry {
  return {
    entryId: row.entryId,
    listKind: row.listKind,
    domain: row.domain,
    status: 'published',
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    measures: row.measures,
  };
}

/** Each subject's newest grade per domain, among `keys` or of everyone. */
async function newestGrades(db: Executor, keys?: readonly Buffer[]): Promise<Map<string, HeldGrade[]>> {
  const rows = await db
    .selectDistinctOn([grades.subjectKey, grades.domain], {
      subjectKey: grades.subjectKey,
      domain: grades.domain,
      year: grades.year,
      grade: grades.grade,
      withdrawn: sql<boolean>`${grades.withdrawnAt} IS NOT NULL`,
    })
    .from(grades)
    .where(keys ? inArray(grades.subjectKey, [...keys]) : undefined)
    .orderBy(grades.subjectKey, grades.domain, desc(grades.year));
  const bySubject = new Map<string, HeldGrade[]>();
  for (const { subjectKey, ...grade } of rows) {
    const hex = subjectKey.toString('hex');
    bySubject.set(hex, [...(bySubject.get(hex) ?? []), grade]);
  }
  return bySubject;
}

/** Each subject's newest industry evaluation per industry, among `keys` or of everyone. */
async function newestIndustryGrades(
  db: Executor,
  keys?: readonly Buffer[],
): Promise<Map<string, HeldIndustryGrade[]>> {
  const rows = await createIndustryEvaluationRepository(db).newest(db, keys);
  const bySubject = new Map<string, HeldIndustryGrade[]>();
  for (const row of rows) {
    const hex = row.subjectKey.toString('hex');
    const held: HeldIndustryGrade = {
      evaluationId: row.evaluationId,
      industry: row.industry,
      department: row.department,
      grade: row.grade,
      tier: row.tier,
      periodFrom: row.periodFrom,
      periodTo: row.periodTo,
      validUntil: row.validUntil,
    };
    bySubject.set(hex, [...(bySubject.get(hex) ?? []), held]);
  }
  return bySubject;
}

function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

/**
 * The published list entries and newest grades of every subject and the measures catalogue, in
 * memory, so the listing status and the check API answer without a database round trip. Only
 * published entries are held (only they can stand; validity is judged at read time) and one grade
 * per graded domain, so a subject never listed or graded costs nothing and a listed one a few
 * hundred bytes.
 *
 * Kept current from the service's own feed: a list or grade event or a measure change makes the cache
 * re-read that subject's entries (or the catalogue) from the database, so the order in which
 * events arrive does not matter, only that every committed change is followed by a re-read
 * that starts after it. The feed guarantees that (no event is released behind the position
 * read so far), and re-reads run one at a time, each replacing what an earlier one read. At
 * start the feed's head is taken before everything is loaded, so a change committed during the
 * load is read again from the feed.
 */
export class ListingCache implements RunningConsumer {
  private bySubject = new Map<string, StandingEntry[]>();
  private gradesBySubject = new Map<string, HeldGrade[]>();
  private industryGradesBySubject = new Map<string, HeldIndustryGrade[]>();
  private catalogue: MeasureRow[] = [];
  private tierCatalogue: SupervisionTierRow[] = [];
  private position: FeedPosition = feedStart;
  private readonly state: ConsumerStatus = {
    name: listingCacheName,
    source: sanctionsSchemaName,
    processed: 0,
    position: feedStart,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
  };
  /** Re-reads one at a time, so a later read always lands after an earlier one. */
  private serial: Promise<unknown> = Promise.resolve();
  private stepping: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private pending = false;
  private wakeUp: (() => void) | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly idleMs: number,
    private readonly logger?: ConsumerLogger,
  ) {}

  /** Subjects held (those with a published entry). */
  get subjects(): number {
    return this.bySubject.size;
  }

  entriesOf(subjectKey: Buffer): StandingEntry[] {
    return this.bySubject.get(subjectKey.toString('hex')) ?? [];
  }

  /** The subject's newest grade in each graded domain. */
  gradesOf(subjectKey: Buffer): HeldGrade[] {
    return this.gradesBySubject.get(subjectKey.toString('hex')) ?? [];
  }

  measures(): MeasureRow[] {
    return this.catalogue;
  }

  /** The subject's newest industry evaluation in each industry it was evaluated in. */
  industryGradesOf(subjectKey: Buffer): HeldIndustryGrade[] {
    return this.industryGradesBySubject.get(subjectKey.toString('hex')) ?? [];
  }

  /** Graded supervision per tier: inspections and the measures each tier applies. */
  tiers(): SupervisionTierRow[] {
    return this.tierCatalogue;
  }

  /** Loads everything and starts following the feed. */
  async start(): Promise<void> {
    this.position = await this.feedHead(this.handle.db);
    await this.exclusive(async () => {
      this.catalogue = await this.handle.db.select().from(measures);
      this.tierCatalogue = await this.handle.db.select().from(supervisionTiers);
      const rows = await this.handle.db
        .select(columns)
        .from(listEntries)
        .where(eq(listEntries.status, 'published'));
      const next = new Map<string, StandingEntry[]>();
      for (const row of rows) {
        const hex = row.subjectKey.toString('hex');
        const list = next.get(hex) ?? [];
        list.push(standingEntry(row));
        next.set(hex, list);
      }
      this.bySubject = next;
      this.gradesBySubject = await newestGrades(this.handle.db);
      this.industryGradesBySubject = await newestIndustryGrades(this.handle.db);
    });
    this.state.position = this.position;
    this.state.lastSuccessAt = new Date();
    this.unlisten = await this.handle.listen(feedChannel(sanctionsSchemaName), () => this.wake());
    this.loop = this.run();
  }

  /** Re-reads some subjects now (a route that changed their entries, before it answers). */
  refreshSubjects(keys: readonly Buffer[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      const unique = [...new Map(keys.map((k) => [k.toString('hex'), k])).values()];
      const rows = await this.handle.db
        .select(columns)
        .from(listEntries)
        .where(and(inArray(listEntries.subjectKey, unique), eq(listEntries.status, 'published')));
      const fresh = new Map<string, StandingEntry[]>();
      for (const row of rows) {
        const hex = row.subjectKey.toString('hex');
        const list = fresh.get(hex) ?? [];
        list.push(standingEntry(row));
        fresh.set(hex, list);
      }
      const freshGrades = await newestGrades(this.handle.db, unique);
      const freshIndustryGrades = await newestIndustryGrades(this.handle.db, unique);
      for (const key of unique) {
        const hex = key.toString('hex');
        const list = fresh.get(hex);
        if (list) this.bySubject.set(hex, list);
        else this.bySubject.delete(hex);
        const graded = freshGrades.get(hex);
        if (graded) this.gradesBySubject.set(hex, graded);
        else this.gradesBySubject.delete(hex);
        const evaluated = freshIndustryGrades.get(hex);
        if (evaluated) this.industryGradesBySubject.set(hex, evaluated);
        else this.industryGradesBySubject.delete(hex);
      }
    });
  }

  /** Re-reads the measures catalogue now (after a change made in this process). */
  refreshMeasures(): Promise<void> {
    return this.exclusive(async () => {
      this.catalogue = await this.handle.db.select().from(measures);
      this.tierCatalogue = await this.handle.db.select().from(supervisionTiers);
    });
  }

  private exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.serial.then(work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** The newest released position: every later change will appear after it. */
  private async feedHead(db: Executor): Promise<FeedPosition> {
    const [row] = rowsOf<{ tx_id: string; seq: string | number }>(
      await db.execute(sql`
        SELECT tx_id::text AS tx_id, seq FROM sanctions.events
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id DESC, seq DESC LIMIT 1`),
    );
    return row ? { txId: row.tx_id, seq: Number(row.seq) } : feedStart;
  }

  /** Follows the feed until nothing released is left (after work this process just committed). */
  async catchUp(): Promise<void> {
    while ((await this.step()) > 0);
  }

  /** Applies one page of the feed, one page at a time; how many events it held. */
  private step(): Promise<number> {
    const run = this.stepping.then(() => this.stepOnce());
    this.stepping = run.catch(() => undefined);
    return run;
  }

  private async stepOnce(): Promise<number> {
    this.pending = false;
    const { events, through } = await readFeedPage(
      this.handle.db,
      sanctionsSchemaName,
      this.position,
      500,
      followedTypes,
    );
    if (events.some((e) => e.type === measureUpdatedType)) await this.refreshMeasures();
    await this.refreshSubjects(events.filter((e) => e.type !== measureUpdatedType).map((e) => e.subjectKey));
    // Past the events of other types too: they are not work for the cache (see readFeedPage).
    this.position = through;
    this.state.position = through;
    this.state.processed += events.length;
    this.state.lastSuccessAt = new Date();
    this.state.lastError = null;
    this.state.consecutiveFailures = 0;
    return events.length;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.pending) return resolve();
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if ((await this.step()) >= 500) continue;
        await this.sleep(this.idleMs);
      } catch (error) {
        if (this.stopped) break;
        this.state.consecutiveFailures += 1;
        this.state.lastError = error instanceof Error ? error.name : 'error';
        this.logger?.error(
          {
            consumer: listingCacheName,
            errorName: this.state.lastError,
            failures: this.state.consecutiveFailures,
          },
          'listing cache step failed; retrying',
        );
        await this.sleep(Math.min(this.idleMs * 2 ** Math.min(this.state.consecutiveFailures, 5), 30_000));
      }
    }
  }

  status(): ConsumerStatus {
    return { ...this.state };
  }

  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  async drain(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let total = 0;
    for (;;) {
      const applied = await this.step();
      total += applied;
      if (applied > 0) continue;
      const beyond = rowsOf(
        await this.handle.db.execute(sql`
          SELECT 1 FROM sanctions.events
          WHERE (tx_id, seq) > (${this.position.txId}::xid8, ${this.position.seq}::bigint)
            AND type IN (${typeList()})
          LIMIT 1`),
      );
      if (beyond.length === 0) return total;
      if (Date.now() > deadline)
        throw new Error(`${listingCacheName} did not catch up within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  lagSeconds(): Promise<number> {
    return feedLagSeconds(this.handle.db, sanctionsSchemaName, this.position);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
    await this.serial;
    await this.unlisten?.();
  }
}
