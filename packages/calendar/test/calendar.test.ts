import { describe, expect, it } from 'vitest';
import { shanghaiDate, WorkingDayCalendar } from '../src/index.ts';

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

  it('ends a natural-day period on its last day, to the end of the Shanghai day', () => {
    expect(calendar.addNaturalDays(at('2026-01-31T09:00:00'), 30).toISOString()).toBe(
      '2026-03-02T15:59:59.999Z',
    );
  });
});

describe('natural-day periods ending on a rest day (民法典 Arts. 201, 203)', () => {
  const officialOnly = new WorkingDayCalendar([], { weekendsAreRestDays: false });

  it('moves a period ending on a Saturday to Monday, unless weekends are not rest days by policy', () => {
    // Filed Thursday 2026-02-12: the 30th day is Saturday 2026-03-14.
    expect(day(calendar.addNaturalDays(at('2026-02-12T10:00:00'), 30))).toBe('2026-03-16');
    expect(day(officialOnly.addNaturalDays(at('2026-02-12T10:00:00'), 30))).toBe('2026-03-14');
  });

  it('moves a period ending in the Spring Festival 2026 past the holiday, whatever the weekend policy', () => {
    // The 30th day is Sunday Feb 15, the first day of Feb 15–23 off.
    expect(day(calendar.addNaturalDays(at('2026-01-16T10:00:00'), 30))).toBe('2026-02-24');
    expect(day(officialOnly.addNaturalDays(at('2026-01-16T10:00:00'), 30))).toBe('2026-02-24');
  });

  it('keeps a period ending on a make-up workday (Saturday 2026-02-14, Sunday 2026-01-04)', () => {
    expect(day(calendar.addNaturalDays(at('2026-01-15T10:00:00'), 30))).toBe('2026-02-14');
    expect(day(calendar.addNaturalDays(at('2025-12-05T10:00:00'), 30))).toBe('2026-01-04');
  });

  it('moves a period ending in National Day 2025 to October 9', () => {
    // 2025: Oct 1–8 off; the 30th day after Sept 1 is Oct 1.
    expect(day(calendar.addNaturalDays(at('2025-09-01T10:00:00'), 30))).toBe('2025-10-09');
    expect(day(officialOnly.addNaturalDays(at('2025-09-01T10:00:00'), 30))).toBe('2025-10-09');
  });

  it('does not count the start day, read in Asia/Shanghai', () => {
    // 17:00 UTC on Jan 31 is already Feb 1 in Shanghai: 30 days later is Tuesday Mar 3.
    expect(day(calendar.addNaturalDays(new Date('2026-01-31T17:00:00Z'), 30))).toBe('2026-03-03');
  });

  it('refuses a last day in a year without official data', () => {
    expect(() => calendar.addNaturalDays(at('2026-12-10T10:00:00'), 30)).toThrow(/2027/);
  });
});
