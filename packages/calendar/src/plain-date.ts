/**
 * Plain dates and calendar arithmetic in Asia/Shanghai (UTC+8, no daylight saving since 1991).
 * A plain date (`YYYY-MM-DD`: a decision date, an occurrence date) names a calendar day there;
 * it is kept and returned as that string, never as the instant of its midnight. Instants are UTC.
 */

const shanghaiOffsetMs = 8 * 3_600_000;
const plainDatePattern = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `value` is a plain calendar date (`YYYY-MM-DD`) rather than an instant. */
export function isPlainDate(value: string): boolean {
  return plainDatePattern.test(value);
}

/** The calendar date in Asia/Shanghai of an instant. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + shanghaiOffsetMs).toISOString().slice(0, 10);
}

/** The calendar year in Asia/Shanghai of an instant. */
export function shanghaiYear(at: Date): number {
  return Number(shanghaiDate(at).slice(0, 4));
}

/** The instant a Shanghai calendar day begins. */
export function startOfShanghaiDay(date: string): Date {
  return shanghaiTime(date, '00:00');
}

/** The last millisecond of a Shanghai calendar day, as a UTC instant: when a deadline on that day ends. */
export function endOfShanghaiDay(date: string): Date {
  return new Date(`${date}T23:59:59.999+08:00`);
}

/** The instant the Shanghai wall clock shows `time` (HH:MM) on a calendar day. */
export function shanghaiTime(date: string, time: string): Date {
  return new Date(`${date}T${time}:00+08:00`);
}

/** The instant a Shanghai calendar day begins, for the day an instant falls on. */
export function startOfShanghaiDayOf(at: Date): Date {
  return startOfShanghaiDay(shanghaiDate(at));
}

/**
 * A fact's time as sent: a plain date (the day it began in Shanghai stands in for ordering and
 * arithmetic, the date itself is what is kept) or an instant with an offset.
 */
export interface Occurrence {
  at: Date;
  /** The plain date as sent; null when an instant was sent. */
  date: string | null;
}

export function parseOccurrence(value: string): Occurrence {
  return isPlainDate(value)
    ? { at: startOfShanghaiDay(value), date: value }
    : { at: new Date(value), date: null };
}

/** How an occurrence reads back: the same plain date, or the instant in UTC. */
export function formatOccurrence(occurrence: Occurrence): string {
  return occurrence.date ?? occurrence.at.toISOString();
}

/**
 * `months` calendar months after `at` on the Shanghai wall clock, on the same day of the month or
 * the month's last day when it has no such day (民法典 Art. 202): 31 August + 3 months is
 * 30 November. Negative months count back.
 */
export function addMonths(at: Date, months: number): Date {
  const wall = new Date(at.getTime() + shanghaiOffsetMs);
  const day = wall.getUTCDate();
  wall.setUTCDate(1);
  wall.setUTCMonth(wall.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 0)).getUTCDate();
  wall.setUTCDate(Math.min(day, lastDay));
  return new Date(wall.getTime() - shanghaiOffsetMs);
}
