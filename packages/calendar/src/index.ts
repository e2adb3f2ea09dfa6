export {
  addCalendarDays,
  endOfShanghaiDay,
  shanghaiDate,
  WorkingDayCalendar,
  type YearSchedule,
} from './calendar.ts';
