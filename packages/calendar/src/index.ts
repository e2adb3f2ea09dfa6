export {
  addCalendarDays,
  endOfShanghaiDay,
  shanghaiDate,
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
