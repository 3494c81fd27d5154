/**
 * Working days: Monday–Friday, less public holidays, plus the Saturdays (or Sundays) an
 * administrator marks as worked. All arithmetic is on `YYYY-MM-DD` strings through UTC, so the
 * machine's local zone never shifts a day.
 */
import { boundedMemo } from '#root/lib/bounded-memo.js';
import { vietnamHolidays } from './holidays.js';
import type { CalendarDay, IsoDate } from './types.js';

const MS_PER_DAY = 86_400_000;
/** Most consecutive non-working days walked before giving up (about ten years). */
const MAX_STEPS = 3660;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Days already parsed (valid ones only): a bundle counts working days for each of its items, and
 * the same few days come back all day. Bounded; a process that met more starts again from none.
 */
const parsedDays = boundedMemo<string, number>(10_000);

/** Parses and validates `YYYY-MM-DD`, returning its UTC midnight in milliseconds. */
function utcMs(day: IsoDate): number {
  return parsedDays(day, () => {
    const m = ISO_RE.exec(day);
    if (!m) throw new RangeError(`Invalid date «${day}», expected YYYY-MM-DD`);
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== day) throw new RangeError(`Invalid date «${day}»`);
    return ms;
  });
}

/** `day` shifted by `n` calendar days (negative: earlier). */
export function addDays(day: IsoDate, n: number): IsoDate {
  return new Date(utcMs(day) + n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Day of the week of `day`: 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(day: IsoDate): number {
  return new Date(utcMs(day)).getUTCDay();
}

/** Number of days in month `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `YYYY-MM-DD` from numbers; month 1–12. */
export function isoDate(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Which days are worked, and counting in working days. */
export interface WorkingCalendar {
  /** Whether `day` is a working day. */
  isWorkingDay(day: IsoDate): boolean;
  /** The n-th working day after (n>0) or before (n<0) `day`; `day` itself is not counted; works from a non-working day; n=0 returns day. */
  addWorkingDays(day: IsoDate, n: number): IsoDate;
  /** Number of working days in (a, b] (0 when b <= a). */
  workingDaysBetween(a: IsoDate, b: IsoDate): number;
  /** `day` if it is a working day, else the closest earlier working day. */
  previousWorkingDay(day: IsoDate): IsoDate;
  /** `day` if working, else the next working day. */
  nextWorkingDay(day: IsoDate): IsoDate;
  /** Last working day of month m (1–12) of year y. */
  lastWorkingDayOfMonth(year: number, month: number): IsoDate;
}

function tooFar(what: string): Error {
  return new Error(`Working calendar: no answer for ${what} within ${MAX_STEPS} days (is every day a holiday?)`);
}

/**
 * A working calendar from a list of exceptional days: Monday–Friday are worked and Saturday/Sunday
 * are not, except that a `'holiday'` entry makes its day off and a `'workday'` entry makes its day
 * worked. When a date appears twice, the later entry wins.
 */
export function createWorkingCalendar(days: CalendarDay[]): WorkingCalendar {
  const overrides = new Map<IsoDate, boolean>();
  for (const d of days) {
    utcMs(d.date);
    overrides.set(d.date, d.kind === 'workday');
  }

  const isWorkingDay = (day: IsoDate): boolean => {
    const o = overrides.get(day);
    if (o !== undefined) {
      utcMs(day);
      return o;
    }
    const dow = dayOfWeek(day);
    return dow !== 0 && dow !== 6;
  };

  /** Walks from `day` (exclusive) by `step` until `count` working days were met. */
  const walk = (day: IsoDate, count: number, step: 1 | -1, what: string): IsoDate => {
    let d = day;
    let left = count;
    let idle = 0; // days walked since the last working day
    for (;;) {
      d = addDays(d, step);
      if (isWorkingDay(d)) {
        if (--left === 0) return d;
        idle = 0;
      } else if (++idle > MAX_STEPS) {
        throw tooFar(what);
      }
    }
  };

  const addWorkingDays = (day: IsoDate, n: number): IsoDate => {
    if (!Number.isInteger(n)) throw new RangeError(`addWorkingDays: n must be an integer, got ${n}`);
    utcMs(day);
    if (n === 0) return day;
    return walk(day, Math.abs(n), n > 0 ? 1 : -1, `addWorkingDays(${day}, ${n})`);
  };

  const previousWorkingDay = (day: IsoDate): IsoDate =>
    isWorkingDay(day) ? day : walk(day, 1, -1, `previousWorkingDay(${day})`);

  const nextWorkingDay = (day: IsoDate): IsoDate =>
    isWorkingDay(day) ? day : walk(day, 1, 1, `nextWorkingDay(${day})`);

  // The exceptions as day numbers, for counting without walking day by day.
  const exceptions = [...overrides].map(([date, worked]) => {
    const dow = dayOfWeek(date);
    return { day: utcMs(date) / MS_PER_DAY, delta: worked === (dow !== 0 && dow !== 6) ? 0 : worked ? 1 : -1 };
  });

  /** Monday–Friday days with day numbers in (a, b]: whole weeks, then at most six days. */
  const weekdaysBetween = (a: number, b: number): number => {
    const span = b - a;
    let count = Math.floor(span / 7) * 5;
    for (let d = a + Math.floor(span / 7) * 7 + 1; d <= b; d++) {
      const dow = (((d + 4) % 7) + 7) % 7; // day 0 (1970-01-01) was a Thursday
      if (dow !== 0 && dow !== 6) count++;
    }
    return count;
  };

  const workingDaysBetween = (a: IsoDate, b: IsoDate): number => {
    const from = utcMs(a) / MS_PER_DAY;
    const to = utcMs(b) / MS_PER_DAY;
    if (to <= from) return 0;
    let count = weekdaysBetween(from, to);
    for (const e of exceptions) if (e.day > from && e.day <= to) count += e.delta;
    return count;
  };

  const lastWorkingDayOfMonth = (year: number, month: number): IsoDate => {
    if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12) {
      throw new RangeError(`lastWorkingDayOfMonth: invalid month ${month}/${year}`);
    }
    const last = isoDate(year, month, daysInMonth(year, month));
    const day = previousWorkingDay(last);
    if (day.slice(0, 7) !== last.slice(0, 7))
      throw new Error(`Working calendar: no working day in ${last.slice(0, 7)}`);
    return day;
  };

  return {
    isWorkingDay,
    addWorkingDays,
    workingDaysBetween,
    previousWorkingDay,
    nextWorkingDay,
    lastWorkingDayOfMonth,
  };
}

/**
 * The working calendar of an organisation: the law's holidays of each of `years`
 * ({@link vietnamHolidays}), then the administrator's days, which win over the law on the same date.
 */
export function workingCalendarForYears(years: number[], adminDays: CalendarDay[]): WorkingCalendar {
  const law = [...new Set(years)].sort((a, b) => a - b).flatMap((y) => vietnamHolidays(y));
  return createWorkingCalendar([...law, ...adminDays]);
}
