export {
  type CalendarPolicy,
  defaultCalendarPolicy,
  type Period,
  type Scheduled,
  WorkingDayCalendar,
  type YearSchedule,
} from './calendar.ts';
export {
  addMonths,
  endOfShanghaiDay,
  formatOccurrence,
  isPlainDate,
  type Occurrence,
  parseOccurrence,
  shanghaiDate,
  shanghaiTime,
  shanghaiYear,
  startOfShanghaiDay,
  startOfShanghaiDayOf,
} from './plain-date.ts';
