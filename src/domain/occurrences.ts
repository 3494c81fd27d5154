/**
 * Expanding a schedule (SPEC §3) into the occurrences — period and due instant — that fall due in a
 * window of days. Days are `YYYY-MM-DD` in the organisation's zone; the due instant is the end of
 * the due day in that zone, in UTC.
 */
import { fromZonedTime } from 'date-fns-tz';
import type { IsoDate, Occurrence, Schedule } from './types.js';
import { addDays, daysInMonth, isoDate, type WorkingCalendar } from './working-days.js';

/** How to expand a schedule. */
export interface OccurrenceOptions {
  /** IANA zone of the organisation, e.g. `Asia/Ho_Chi_Minh`. */
  zone: string;
  /** Working days, for the check-ins of ongoing duties (last working day of a period). */
  calendar: WorkingCalendar;
  /** The schedule's start (plan issue date): nothing falls due before it; anchors multi-year periods. */
  startsOn?: IsoDate;
  /** The schedule's end (plan horizon): periods starting after it are dropped. */
  endsOn?: IsoDate;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_DAY_RE = /^(\d{2})-(\d{2})$/;

/** A period of a schedule before filtering. */
interface Period {
  periodKey: string;
  periodStart: IsoDate;
  dueDate: IsoDate;
}

function checkIso(day: IsoDate, what: string): IsoDate {
  // addDays validates the date (e.g. rejects 2026-02-30).
  if (!ISO_RE.test(day) || addDays(day, 0) !== day)
    throw new RangeError(`${what}: invalid date «${day}», expected YYYY-MM-DD`);
  return day;
}

function parseMonthDay(md: string): { month: number; day: number } {
  const m = MONTH_DAY_RE.exec(md);
  const month = m ? Number(m[1]) : NaN;
  const day = m ? Number(m[2]) : NaN;
  if (!m || month < 1 || month > 12 || day < 1 || day > daysInMonth(2000, month)) {
    throw new RangeError(`Invalid due day «${md}», expected MM-DD`);
  }
  return { month, day };
}

/**
 * The day `day` of the month `months` after month `month` of `year`, clamped to that month's last
 * day (25/01 + 1 month → 25/02; 29/02 + 12 months → 28/02). A due day at the end of its month
 * stays at the end of the month (30/06 + 6 months → 31/12, 31/03 + 3 months → 30/06).
 */
function shiftedDue(year: number, month: number, day: number, months: number): IsoDate {
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  const monthEnd = months !== 0 && day >= daysInMonth(year, month);
  return isoDate(y, m, monthEnd ? daysInMonth(y, m) : Math.min(day, daysInMonth(y, m)));
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Sub-year period key: H1/H2, Q1–Q4, MM, or P1… for other divisors of 12 (2, 4 months). */
function subYearKey(year: number, months: number, index: number): string {
  if (months === 6) return `${year}-H${index + 1}`;
  if (months === 3) return `${year}-Q${index + 1}`;
  if (months === 1) return `${year}-${pad2(index + 1)}`;
  return `${year}-P${index + 1}`;
}

/** Whether a period starting in `year` is inside the schedule's own `from`…`to` years. */
function inYears(year: number, from: number | undefined, to: number | undefined): boolean {
  return (from === undefined || year >= from) && (to === undefined || year <= to);
}

/** Every candidate period whose due date may fall within years `y0`…`y1`, before filtering. */
function candidatePeriods(schedule: Schedule, y0: number, y1: number, options: OccurrenceOptions): Period[] {
  const out: Period[] = [];
  switch (schedule.kind) {
    case 'once': {
      const dueDate = checkIso(schedule.due, 'once');
      out.push({ periodKey: 'once', periodStart: options.startsOn ?? dueDate, dueDate });
      break;
    }
    case 'yearly': {
      const { month, day } = parseMonthDay(schedule.due);
      for (let y = y0 - 1; y <= y1; y++) {
        if (!inYears(y, schedule.from, schedule.to)) continue;
        out.push({ periodKey: String(y), periodStart: isoDate(y, 1, 1), dueDate: shiftedDue(y, month, day, 0) });
      }
      break;
    }
    case 'every': {
      const { month, day } = parseMonthDay(schedule.due);
      const months = schedule.months;
      if (!Number.isInteger(months) || months < 1) break;
      if (months % 12 === 0) {
        const n = months / 12;
        // Periods of n years counted from the schedule's start, else its first year, else year 0.
        const anchor = options.startsOn ? Number(options.startsOn.slice(0, 4)) : (schedule.from ?? 0);
        const first = y0 - n - 1;
        let start = first - ((((first - anchor) % n) + n) % n);
        for (; start <= y1; start += n) {
          if (!inYears(start, schedule.from, schedule.to)) continue;
          const end = start + n - 1;
          out.push({
            periodKey: n === 1 ? String(start) : `${start}-${end}`,
            periodStart: isoDate(start, 1, 1),
            dueDate: shiftedDue(end, month, day, 0),
          });
        }
      } else if (12 % months === 0) {
        for (let y = y0 - 1; y <= y1; y++) {
          if (!inYears(y, schedule.from, schedule.to)) continue;
          for (let i = 0; i < 12 / months; i++) {
            out.push({
              periodKey: subYearKey(y, months, i),
              periodStart: isoDate(y, 1 + i * months, 1),
              dueDate: shiftedDue(y, month, day, i * months),
            });
          }
        }
      }
      // Any other number of months (5, 18…) is not a calendar-aligned period: nothing to expand.
      break;
    }
    case 'ongoing': {
      const months = schedule.checkIn === 'monthly' ? 1 : 3;
      for (let y = y0; y <= y1; y++) {
        for (let i = 0; i < 12 / months; i++) {
          const last = (i + 1) * months;
          out.push({
            periodKey: subYearKey(y, months, i),
            periodStart: isoDate(y, 1 + i * months, 1),
            dueDate: options.calendar.lastWorkingDayOfMonth(y, last),
          });
        }
      }
      break;
    }
    case 'unparsed':
      break;
  }
  return out;
}

/**
 * The occurrences of `schedule` due within `window` (both ends included), sorted by due date then
 * period key. With `startsOn`, only those due on or after it; with `endsOn`, only periods that
 * start on or before it (a period begun within the plan's horizon still counts).
 *
 * Period keys: `once`; yearly `YYYY`; every 12·N months `YYYY-YYYY` (N ≥ 2, counted from the year of
 * `startsOn`, else the schedule's `from`, else year 0), due at `due` of the period's last year; every
 * 6 months `YYYY-H1`/`H2`; every 3 `YYYY-Q1`…`Q4`; every month `YYYY-MM`. For `every`, the due day
 * of the i-th period of a year is `due` shifted by i·months, clamped to the month's last day.
 * Ongoing check-ins are due the last working day of each quarter (`YYYY-Qn`) or month (`YYYY-MM`).
 * Unparsed schedules have none.
 */
export function occurrences(
  schedule: Schedule,
  window: { from: IsoDate; to: IsoDate },
  options: OccurrenceOptions,
): Occurrence[] {
  const from = checkIso(window.from, 'window.from');
  const to = checkIso(window.to, 'window.to');
  if (options.startsOn !== undefined) checkIso(options.startsOn, 'startsOn');
  if (options.endsOn !== undefined) checkIso(options.endsOn, 'endsOn');
  if (to < from) return [];

  return candidatePeriods(schedule, Number(from.slice(0, 4)), Number(to.slice(0, 4)), options)
    .filter(
      (p) =>
        p.dueDate >= from &&
        p.dueDate <= to &&
        (options.startsOn === undefined || p.dueDate >= options.startsOn) &&
        (options.endsOn === undefined || p.periodStart <= options.endsOn),
    )
    .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.periodKey.localeCompare(b.periodKey))
    .map((p) => ({ ...p, dueAt: endOfDayInZone(p.dueDate, options.zone) }));
}

/**
 * The instants whose calendar day in `zone` lies within `window` (both ends included), as the
 * half-open range [`start`, `end`): the start of `window.from` and the start of the day after
 * `window.to`, in that zone. This is the rule {@link occurrences} applies to a due day (`from` ≤
 * due day ≤ `to`, the day read in the organisation's zone), said of instants, so that a query on
 * due instants selects exactly the obligations an expansion of that window would produce.
 */
export function zonedWindowBounds(window: { from: IsoDate; to: IsoDate }, zone: string): { start: Date; end: Date } {
  const from = checkIso(window.from, 'window.from');
  const to = checkIso(window.to, 'window.to');
  const start = fromZonedTime(`${from}T00:00:00.000`, zone);
  const end = fromZonedTime(`${addDays(to, 1)}T00:00:00.000`, zone);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
    throw new RangeError(`zonedWindowBounds: invalid zone «${zone}»`);
  return { start, end };
}

/** The instant 23:59:59.000 of `day` in `zone`, in UTC (2026-11-15, Asia/Ho_Chi_Minh → 2026-11-15T16:59:59Z). */
export function endOfDayInZone(day: IsoDate, zone: string): Date {
  checkIso(day, 'endOfDayInZone');
  const at = fromZonedTime(`${day}T23:59:59.000`, zone);
  if (Number.isNaN(at.getTime())) throw new RangeError(`endOfDayInZone: invalid zone «${zone}»`);
  return at;
}

/**
 * The last day of an occurrence's period: a one-off deadline's own day; a year or a run of years
 * (`2026`, `2025-2026`) ends on 31/12 of its last year; a part of a year (`2026-Q3`, `2026-H1`,
 * `2026-06`, `2026-P2`) on the last day of its last month (`months` from its first day).
 */
export function periodEnd(schedule: Schedule, o: Pick<Occurrence, 'periodKey' | 'periodStart' | 'dueDate'>): IsoDate {
  const months =
    schedule.kind === 'every'
      ? schedule.months
      : schedule.kind === 'ongoing'
        ? schedule.checkIn === 'monthly'
          ? 1
          : 3
        : schedule.kind === 'yearly'
          ? 12
          : 0;
  if (schedule.kind === 'once' || months < 1) return o.dueDate;
  if (months % 12 === 0) {
    const last = /^\d{4}-(\d{4})$/.exec(o.periodKey)?.[1] ?? o.periodKey.slice(0, 4);
    return `${last}-12-31`;
  }
  const [y, m] = o.periodStart.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + months - 1;
  const ey = Math.floor(index / 12);
  const em = (index % 12) + 1;
  return isoDate(ey, em, daysInMonth(ey, em));
}

/**
 * Whether an occurrence is history for a plan tracked from `trackFrom`: its period ended, and it
 * fell due, before that day (a period under way on `trackFrom` is tracked). Null: all are tracked.
 */
export function isHistory(
  schedule: Schedule,
  o: Pick<Occurrence, 'periodKey' | 'periodStart' | 'dueDate'>,
  trackFrom: IsoDate | null,
): boolean {
  if (trackFrom === null) return false;
  const end = periodEnd(schedule, o);
  return (end > o.dueDate ? end : o.dueDate) < trackFrom;
}
