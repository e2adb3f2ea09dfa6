import { ProblemError } from '@credit/errors';
import chineseDays from 'chinese-days';

/** One year's official schedule (国务院办公厅关于部分节假日安排的通知): days off and make-up workdays. */
export interface YearSchedule {
  year: number;
  /** Dates (YYYY-MM-DD) that are days off although weekdays. */
  holidays: string[];
  /** Dates (YYYY-MM-DD) that are workdays although weekends (调休). */
  workdays: string[];
}

const shanghaiOffsetMs = 8 * 3_600_000;

/** The calendar date in Asia/Shanghai (UTC+8, no daylight saving) of an instant. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + shanghaiOffsetMs).toISOString().slice(0, 10);
}

/** The last millisecond of a Shanghai calendar day, as a UTC instant: when a deadline on that day ends. */
export function endOfShanghaiDay(date: string): Date {
  return new Date(`${date}T23:59:59.999+08:00`);
}

function nextDate(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Working days on the official calendar, make-up workdays included. Years come from the
 * maintained `chinese-days` package or from schedules the credit office loaded; a computation
 * that needs a year neither covers is refused (`calendar_unavailable`) rather than guessed
 * from Monday to Friday.
 */
export class WorkingDayCalendar {
  private readonly packageYears: Set<number>;
  private readonly loaded = new Map<number, { holidays: Set<string>; workdays: Set<string> }>();

  constructor(loadedSchedules: readonly YearSchedule[] = []) {
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

/** A date `days` calendar days after `from` in Asia/Shanghai, to the end of that day (e.g. the 30-day answer). */
export function addCalendarDays(from: Date, days: number): Date {
  return endOfShanghaiDay(nextDate(shanghaiDate(from), days));
}
