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

// One cached Intl formatter per zone, and the zone's offset per quarter of an hour (offsets change
// only on such boundaries): this runs several times per item sent, and formatToParts is slow.
const formats = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();
const QUARTER_MS = 900_000;
const MAX_OFFSETS = 100_000;

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

/** The zone's offset from UTC (ms) during the quarter of an hour `quarter`. */
function offsetAt(zone: string, quarter: number): number {
  let byQuarter = offsets.get(zone);
  if (!byQuarter) offsets.set(zone, (byQuarter = new Map()));
  let offset = byQuarter.get(quarter);
  if (offset === undefined) {
    const at = quarter * QUARTER_MS;
    const parts = formatOf(zone).formatToParts(new Date(at));
    const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
    const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
    offset = local - at;
    if (byQuarter.size >= MAX_OFFSETS) byQuarter.clear();
    byQuarter.set(quarter, offset);
  }
  return offset;
}

/**
 * The calendar day of the instant `d` in `zone`, `YYYY-MM-DD` (2026-12-31T17:00Z is already
 * 2027-01-01 in Asia/Ho_Chi_Minh).
 */
export function zonedDay(d: Date, zone: string): IsoDate {
  const ms = d.getTime();
  const local = new Date(ms + offsetAt(zone, Math.floor(ms / QUARTER_MS)));
  const year = local.getUTCFullYear();
  const mm = String(local.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(local.getUTCDate()).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${mm}-${dd}`;
}

/** The calendar year of the instant `d` in `zone` (31/12 17:00 UTC is already 1/1 in Hanoi). */
export const zonedYear = (d: Date, zone: string): number => Number(zonedDay(d, zone).slice(0, 4));

/** The days of `year`, 1/1 to 31/12. */
export const yearWindow = (year: number): Window => ({ from: `${year}-01-01`, to: `${year}-12-31` });

/** The first instant of `year` in the zone, and of the next year: the year's due window [start, end). */
export const yearBounds = (year: number, zone: string): { start: Date; end: Date } =>
  zonedWindowBounds(yearWindow(year), zone);
