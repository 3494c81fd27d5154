import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { yearWindow, zonedYear } from '#root/domain/zoned-day.js';
import type { Clock } from '#root/deps.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(d: Date): void {
    this.current = new Date(d);
  }
  /** Moves the clock by `ms` (back when negative). */
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * The working day whose 08:00 digest (Asia/Ho_Chi_Minh by default) is the first to come after
 * `now`: today before 08:00 on a working day, else the next working day. What happened at `now`
 * falls in that digest's period whatever the hour the test runs.
 */
export function nextDigestDay(now: Date, zone = 'Asia/Ho_Chi_Minh'): string {
  const today = formatInTimeZone(now, zone, 'yyyy-MM-dd');
  const year = Number(today.slice(0, 4));
  const calendar = workingCalendarForYears([year - 1, year, year + 1], []);
  if (calendar.isWorkingDay(today) && now.getTime() < fromZonedTime(`${today}T08:00:00`, zone).getTime()) return today;
  return calendar.addWorkingDays(today, 1);
}

/**
 * A due date that stays ahead whatever day the tests run: 30/06 of the year after `now`'s in `zone`
 * (the organisation's), with that year, its window of days and the due day as a stage id names it.
 */
export function dueNextYear(now: Date, zone = 'Asia/Ho_Chi_Minh') {
  const year = zonedYear(now, zone) + 1;
  const due = `${year}-06-30`;
  return { year, due, window: yearWindow(year), stageDay: due.replace(/-/g, '') };
}

/**
 * The instant a test's clock starts at when the program under test runs on real time as well —
 * BullMQ's delays and lock renewals, PostgreSQL's `now()` defaults, the fake Bot API and Zalo
 * servers and child processes all read the wall clock, so the test's clock must agree with them.
 * Read once, here; from then on the test reads its own clock (`s.clock.now()`), and what it seeds is
 * placed relative to this instant ({@link dueNextYear}), never at a fixed calendar date.
 */
export const wallClockStart = (): Date => new Date();
