/**
 * An organisation's settings that every schedule and every job reads: checked before they are
 * stored, since one bad value would make each of them fail.
 */
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import { daysInMonth } from './working-days.js';

/**
 * Whether `zone` is an IANA time zone both `Intl` and date-fns-tz accept ("Asia/Ho_Chi_Minh",
 * "UTC"); "Mars/Olympus", "GMT+7" or "" are not.
 */
export function isTimeZone(zone: string): boolean {
  if (!zone || zone !== zone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    return false;
  }
  return !Number.isNaN(fromZonedTime('2026-01-01T00:00:00', zone).getTime());
}

/**
 * Whether `md` is a yearly due day `MM-DD` that exists in some year: "11-15", "12-31"; not "02-30",
 * "04-31", "13-01" or "11-5". "02-29" is accepted: due on 29/02 in leap years and on 28/02 in
 * the others (the last day of February), as the schedules' expansion clamps it.
 */
export function isYearlyDue(md: string): boolean {
  const m = /^(\d{2})-(\d{2})$/.exec(md);
  if (!m) return false;
  const month = Number(m[1]);
  const day = Number(m[2]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(2000, month);
}
