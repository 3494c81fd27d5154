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

// One cached Intl formatter per zone: this runs per send.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The calendar day of the instant `d` in `zone`, `YYYY-MM-DD` (2026-12-31T17:00Z is already
 * 2027-01-01 in Asia/Ho_Chi_Minh).
 */
export function zonedDay(d: Date, zone: string): IsoDate {
  let f = dayFormats.get(zone);
  if (!f)
    dayFormats.set(
      zone,
      (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  const parts = f.formatToParts(d);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/** The calendar year of the instant `d` in `zone` (31/12 17:00 UTC is already 1/1 in Hanoi). */
export const zonedYear = (d: Date, zone: string): number => Number(zonedDay(d, zone).slice(0, 4));

/** The days of `year`, 1/1 to 31/12. */
export const yearWindow = (year: number): Window => ({ from: `${year}-01-01`, to: `${year}-12-31` });

/** The first instant of `year` in the zone, and of the next year: the year's due window [start, end). */
export const yearBounds = (year: number, zone: string): { start: Date; end: Date } =>
  zonedWindowBounds(yearWindow(year), zone);
