/**
 * Days and years in the organisation's zone: the one place an instant becomes a calendar day
 * (`YYYY-MM-DD`) or a year there, and a year becomes a window of days or of instants.
 */
import { zonedWindowBounds } from './occurrences.js';
import type { IsoDate } from './types.js';

/** A window of calendar days in the organisation's zone, both ends included. */
export interface Window {
  from: IsoDate;
  to: IsoDate;
}

// One cached Intl formatter per zone, and per quarter of an hour the zone's offset (offsets change
// only on such boundaries) and the local day: this runs several times per item sent (its staleness,
// its place in the message), and formatToParts is slow.
const formats = new Map<string, Intl.DateTimeFormat>();
const quarters = new Map<string, Map<number, Quarter>>();
const QUARTER_MS = 900_000;
const MAX_QUARTERS = 100_000;

/** What is known of one quarter of an hour in a zone: its offset from UTC (ms), and its local day once asked. */
interface Quarter {
  offset: number;
  /** The local day of every instant of the quarter; null until asked, or when the offset is no whole number of quarters. */
  day: IsoDate | null;
}

function formatOf(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f)
    formats.set(
      zone,
      (f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })),
    );
  return f;
}

/** The zone's quarter of an hour `quarter` (its offset from UTC read once). */
function quarterAt(zone: string, quarter: number): Quarter {
  let byQuarter = quarters.get(zone);
  if (!byQuarter) quarters.set(zone, (byQuarter = new Map()));
  let q = byQuarter.get(quarter);
  if (q === undefined) {
    const at = quarter * QUARTER_MS;
    const parts = formatOf(zone).formatToParts(new Date(at));
    const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
    const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
    q = { offset: local - at, day: null };
    if (byQuarter.size >= MAX_QUARTERS) byQuarter.clear();
    byQuarter.set(quarter, q);
  }
  return q;
}

/** The calendar day of the instant `ms` at `offset` ms from UTC. */
function dayAt(ms: number, offset: number): IsoDate {
  const local = new Date(ms + offset);
  const year = local.getUTCFullYear();
  const mm = String(local.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(local.getUTCDate()).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${mm}-${dd}`;
}

/**
 * The calendar day of the instant `d` in `zone`, `YYYY-MM-DD` (2026-12-31T17:00Z is already
 * 2027-01-01 in Asia/Ho_Chi_Minh).
 */
export function zonedDay(d: Date, zone: string): IsoDate {
  const ms = d.getTime();
  const quarter = Math.floor(ms / QUARTER_MS);
  const q = quarterAt(zone, quarter);
  if (q.day !== null) return q.day;
  // With an offset of whole quarters of an hour (every zone's today; not some zones' local mean
  // time of the 19th century), a local midnight falls on a quarter's start: its instants share a day.
  if (q.offset % QUARTER_MS !== 0) return dayAt(ms, q.offset);
  return (q.day = dayAt(quarter * QUARTER_MS, q.offset));
}

/** The calendar year of the instant `d` in `zone` (31/12 17:00 UTC is already 1/1 in Hanoi). */
export const zonedYear = (d: Date, zone: string): number => Number(zonedDay(d, zone).slice(0, 4));

/** The days of `year`, 1/1 to 31/12. */
export const yearWindow = (year: number): Window => ({ from: `${year}-01-01`, to: `${year}-12-31` });

/** The first instant of `year` in the zone, and of the next year: the year's due window [start, end). */
export const yearBounds = (year: number, zone: string): { start: Date; end: Date } =>
  zonedWindowBounds(yearWindow(year), zone);
