import { ProblemError } from '@credit/errors';
import chineseDays from 'chinese-days';
import { endOfShanghaiDay, shanghaiDate } from './plain-date.ts';

/** One year's official schedule (国务院办公厅关于部分节假日安排的通知): days off and make-up workdays. */
export interface YearSchedule {
  year: number;
  /** Dates (YYYY-MM-DD) that are days off although weekdays. */
  holidays: string[];
  /** Dates (YYYY-MM-DD) that are workdays although weekends (调休). */
  workdays: string[];
}

function nextDate(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A legal period: `amount` working days or natural days (N 日) counted from the day after `from`. */
export interface Period {
  from: Date;
  amount: number;
  unit: 'working_days' | 'natural_days';
}

/** A period's deadline, or the year whose official calendar it waits for. */
export type Scheduled = { dueAt: Date; awaitingYear: null } | { dueAt: null; awaitingYear: number };

/** How the platform reads the law where it leaves a choice (a policy setting, not data). */
export interface CalendarPolicy {
  /**
   * Whether ordinary Saturdays and Sundays count as statutory rest days (法定休假日) when a period
   * in natural days ends on one (民法典 Art. 203); official holidays always do, make-up workdays
   * never. CALENDAR_WEEKENDS_ARE_REST_DAYS, true by default.
   */
  weekendsAreRestDays: boolean;
}

export const defaultCalendarPolicy: CalendarPolicy = { weekendsAreRestDays: true };

/**
 * Working days on the official calendar, make-up workdays included. Years come from the
 * maintained `chinese-days` package or from schedules the credit office loaded; a computation
 * that needs a year neither covers is refused (`calendar_unavailable`) rather than guessed
 * from Monday to Friday.
 */
export class WorkingDayCalendar {
  private readonly packageYears: Set<number>;
  private readonly packageHolidays = new Map<number, Set<string>>();
  private readonly loaded = new Map<number, { holidays: Set<string>; workdays: Set<string> }>();

  constructor(
    loadedSchedules: readonly YearSchedule[] = [],
    readonly policy: CalendarPolicy = defaultCalendarPolicy,
  ) {
    this.packageYears = packageYears();
    for (const schedule of loadedSchedules) this.load(schedule);
  }

  /** Adds or replaces a year (a schedule loaded through the API wins over the package). */
  load(schedule: YearSchedule): void {
    this.loaded.set(schedule.year, {
      holidays: new Set(schedule.holidays),
      workdays: new Set(schedule.workdays),
    });
  }

  covers(year: number): boolean {
    return this.loaded.has(year) || this.packageYears.has(year);
  }

  coveredYears(): number[] {
    return [...new Set([...this.packageYears, ...this.loaded.keys()])].sort((a, b) => a - b);
  }

  private require(date: string): number {
    const year = Number(date.slice(0, 4));
    if (!this.covers(year)) {
      throw new ProblemError(
        'calendar_unavailable',
        `the official holiday calendar for ${year} is not available yet; the credit office can load it (PUT /v1/calendar/${year})`,
        { year },
      );
    }
    return year;
  }

  isWorkday(date: string): boolean {
    const year = this.require(date);
    const loaded = this.loaded.get(year);
    if (loaded) {
      if (loaded.workdays.has(date)) return true;
      if (loaded.holidays.has(date)) return false;
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      return weekday !== 0 && weekday !== 6;
    }
    return chineseDays.isWorkday(date);
  }

  /** A day off by the State Council's notice (weekends bridged into a holiday included, ordinary weekends not). */
  isOfficialHoliday(date: string): boolean {
    const year = this.require(date);
    const loaded = this.loaded.get(year);
    if (loaded) return loaded.holidays.has(date);
    let holidays = this.packageHolidays.get(year);
    if (!holidays) {
      holidays = new Set(chineseDays.getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false));
      this.packageHolidays.set(year, holidays);
    }
    return holidays.has(date);
  }

  /** A statutory rest day for a period's last day (民法典 Art. 203), under the policy on weekends. */
  isRestDay(date: string): boolean {
    return this.policy.weekendsAreRestDays ? !this.isWorkday(date) : this.isOfficialHoliday(date);
  }

  /**
   * The deadline of a period of `days` natural days (N 日) from `from`: the start day is not
   * counted (民法典 Art. 201); a last day that is a rest day moves to the first day after it that
   * is not (Art. 203); the deadline runs to the end of that day, Asia/Shanghai.
   */
  addNaturalDays(from: Date, days: number): Date {
    let date = nextDate(shanghaiDate(from), days);
    while (this.isRestDay(date)) date = nextDate(date, 1);
    return endOfShanghaiDay(date);
  }

  /**
   * The deadline `count` working days after `from`: the day of `from` itself does not count,
   * and the deadline runs to the end of the last working day, Asia/Shanghai.
   */
  addWorkingDays(from: Date, count: number): Date {
    let date = shanghaiDate(from);
    let remaining = count;
    while (remaining > 0) {
      date = nextDate(date, 1);
      if (this.isWorkday(date)) remaining--;
    }
    return endOfShanghaiDay(date);
  }

  /**
   * The deadline of a period, or the year whose official calendar it waits for: a deadline the
   * calendar cannot compute yet is not an error but a state (awaiting_calendar) its case keeps
   * until the year is loaded.
   */
  schedule(period: Period): Scheduled {
    try {
      const dueAt =
        period.unit === 'working_days'
          ? this.addWorkingDays(period.from, period.amount)
          : this.addNaturalDays(period.from, period.amount);
      return { dueAt, awaitingYear: null };
    } catch (error) {
      if (error instanceof ProblemError && error.code === 'calendar_unavailable')
        return { dueAt: null, awaitingYear: Number(error.problem.year) };
      throw error;
    }
  }

  /**
   * The years the platform needs and lacks on `now`: the current year, and from 1 November (when
   * the State Council has usually published the next year's notice) the next one as well.
   */
  missingYears(now: Date): number[] {
    const today = shanghaiDate(now);
    const year = Number(today.slice(0, 4));
    const needed = today.slice(5) >= '11-01' ? [year, year + 1] : [year];
    return needed.filter((y) => !this.covers(y));
  }

  /** Working days from `from` (exclusive) to `to` (inclusive); how much of a window has run. */
  workingDaysBetween(from: Date, to: Date): number {
    let date = shanghaiDate(from);
    const end = shanghaiDate(to);
    let count = 0;
    while (date < end) {
      date = nextDate(date, 1);
      if (this.isWorkday(date)) count++;
    }
    return count;
  }
}

/** The years the package has official data for: those with at least one statutory holiday listed. */
function packageYears(): Set<number> {
  const dates = chineseDays.getHolidaysInRange(
    '2004-01-01',
    `${new Date().getUTCFullYear() + 5}-12-31`,
    false,
  );
  return new Set(dates.map((date) => Number(date.slice(0, 4))));
}
