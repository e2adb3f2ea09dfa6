export {
  type CalendarPolicy,
  defaultCalendarPolicy,
  endOfShanghaiDay,
  type Period,
  type Scheduled,
  shanghaiDate,
  shanghaiYear,
  WorkingDayCalendar,
  type YearSchedule,
} from './calendar.ts';
export {
  addMonths,
  formatOccurrence,
  isPlainDate,
  type Occurrence,
  parseOccurrence,
  startOfShanghaiDay,
} from './plain-date.ts';
