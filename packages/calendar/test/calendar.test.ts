import { describe, expect, it } from 'vitest';
import { addCalendarDays, shanghaiDate, WorkingDayCalendar } from '../src/index.ts';

const calendar = new WorkingDayCalendar();
const at = (local: string) => new Date(`${local}+08:00`);
const day = (deadline: Date) => shanghaiDate(deadline);

describe('working days on the official calendar', () => {
  it('counts the 2026 Spring Festival make-up Saturday and skips the holiday', () => {
    // 2026: Feb 15–23 off, Saturday Feb 14 and Saturday Feb 28 are workdays.
    expect(day(calendar.addWorkingDays(at('2026-02-13T10:00:00'), 1))).toBe('2026-02-14');
    expect(day(calendar.addWorkingDays(at('2026-02-13T10:00:00'), 3))).toBe('2026-02-25');
    expect(day(calendar.addWorkingDays(at('2026-02-13T10:00:00'), 6))).toBe('2026-02-28');
    expect(day(calendar.addWorkingDays(at('2026-02-13T10:00:00'), 7))).toBe('2026-03-02');
  });

  it('skips National Day 2026 and counts its make-up Saturday', () => {
    // 2026: Oct 1–7 off, Saturday Oct 10 is a workday.
    expect(day(calendar.addWorkingDays(at('2026-09-30T16:00:00'), 3))).toBe('2026-10-10');
    expect(day(calendar.addWorkingDays(at('2026-09-30T16:00:00'), 7))).toBe('2026-10-15');
    expect(calendar.addWorkingDays(at('2026-09-30T16:00:00'), 7).toISOString()).toBe(
      '2026-10-15T15:59:59.999Z',
    );
  });

  it('reads the day in Asia/Shanghai, not UTC', () => {
    // 20:00 UTC on Friday Jan 9 is already Saturday Jan 10 in Shanghai.
    expect(day(calendar.addWorkingDays(new Date('2026-01-09T20:00:00Z'), 1))).toBe('2026-01-12');
  });

  it('refuses a year without official data instead of guessing', () => {
    expect(() => calendar.addWorkingDays(at('2026-12-28T10:00:00'), 10)).toThrow(/2027/);
    try {
      calendar.addWorkingDays(at('2026-12-28T10:00:00'), 10);
    } catch (error) {
      expect((error as { code: string }).code).toBe('calendar_unavailable');
    }
  });

  it('uses a year the credit office loads', () => {
    const loaded = new WorkingDayCalendar([
      { year: 2027, holidays: ['2027-01-01', '2027-01-04'], workdays: ['2027-01-09'] },
    ]);
    expect(day(loaded.addWorkingDays(at('2026-12-31T10:00:00'), 1))).toBe('2027-01-05');
    expect(day(loaded.addWorkingDays(at('2027-01-08T10:00:00'), 1))).toBe('2027-01-09');
    expect(loaded.coveredYears()).toContain(2027);
  });

  it('adds calendar days to the end of the Shanghai day (the 30-day answer)', () => {
    expect(addCalendarDays(at('2026-01-31T09:00:00'), 30).toISOString()).toBe('2026-03-02T15:59:59.999Z');
  });
});
