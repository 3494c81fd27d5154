import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { workingCalendarForYears } from '#root/domain/working-days.js';
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
