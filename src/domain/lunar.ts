/**
 * The Vietnamese lunisolar calendar (âm lịch), after Hồ Ngọc Đức's algorithm: astronomical new
 * moons and the sun's longitude, computed for the meridian of UTC+7 (Vietnam's official zone).
 * UTC+7 is what makes Vietnamese dates differ from the Chinese (UTC+8) ones now and then, e.g.
 * Tết 1985 is 21/01/1985 in Vietnam and 20/02/1985 in China.
 *
 * Pure arithmetic on Julian day numbers: no `Date` in local time, no dependencies.
 */
import type { IsoDate } from './types.js';

/** Hours east of UTC used for the Vietnamese calendar. */
const TIME_ZONE = 7;
const INT = Math.floor;
const PI = Math.PI;

/** A lunar date. `leap` marks the intercalary (nhuận) month that repeats `month`. */
export interface LunarDate {
  year: number;
  month: number;
  day: number;
  leap: boolean;
}

/** Julian day number of a Gregorian (or, before 15/10/1582, Julian) date. */
function jdFromDate(dd: number, mm: number, yy: number): number {
  const a = INT((14 - mm) / 12);
  const y = yy + 4800 - a;
  const m = mm + 12 * a - 3;
  let jd = dd + INT((153 * m + 2) / 5) + 365 * y + INT(y / 4) - INT(y / 100) + INT(y / 400) - 32045;
  if (jd < 2299161) jd = dd + INT((153 * m + 2) / 5) + 365 * y + INT(y / 4) - 32083;
  return jd;
}

/** The calendar date of a Julian day number, as `[day, month, year]`. */
function jdToDate(jd: number): [number, number, number] {
  let b: number;
  let c: number;
  if (jd > 2299160) {
    const a = jd + 32044;
    b = INT((4 * a + 3) / 146097);
    c = a - INT((b * 146097) / 4);
  } else {
    b = 0;
    c = jd + 32082;
  }
  const d = INT((4 * c + 3) / 1461);
  const e = c - INT((1461 * d) / 4);
  const m = INT((5 * e + 2) / 153);
  const day = e - INT((153 * m + 2) / 5) + 1;
  const month = m + 3 - 12 * INT(m / 10);
  const year = b * 100 + d - 4800 + INT(m / 10);
  return [day, month, year];
}

/** Julian date (fractional, UT) of the k-th new moon after 1/1/1900 13:52 UCT. */
function newMoon(k: number): number {
  const T = k / 1236.85;
  const T2 = T * T;
  const T3 = T2 * T;
  const dr = PI / 180;
  let jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3;
  jd1 += 0.00033 * Math.sin((166.56 + 132.87 * T - 0.009173 * T2) * dr);
  const M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3;
  const Mpr = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3;
  const F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3;
  let c1 = (0.1734 - 0.000393 * T) * Math.sin(M * dr) + 0.0021 * Math.sin(2 * dr * M);
  c1 = c1 - 0.4068 * Math.sin(Mpr * dr) + 0.0161 * Math.sin(dr * 2 * Mpr);
  c1 = c1 - 0.0004 * Math.sin(dr * 3 * Mpr);
  c1 = c1 + 0.0104 * Math.sin(dr * 2 * F) - 0.0051 * Math.sin(dr * (M + Mpr));
  c1 = c1 - 0.0074 * Math.sin(dr * (M - Mpr)) + 0.0004 * Math.sin(dr * (2 * F + M));
  c1 = c1 - 0.0004 * Math.sin(dr * (2 * F - M)) - 0.0006 * Math.sin(dr * (2 * F + Mpr));
  c1 = c1 + 0.001 * Math.sin(dr * (2 * F - Mpr)) + 0.0005 * Math.sin(dr * (2 * Mpr + M));
  const deltat =
    T < -11
      ? 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3
      : -0.000278 + 0.000265 * T + 0.000262 * T2;
  return jd1 + c1 - deltat;
}

/** The sun's apparent longitude in radians, normalised to [0, 2π), at Julian date `jdn` (UT). */
function sunLongitude(jdn: number): number {
  const T = (jdn - 2451545.0) / 36525;
  const T2 = T * T;
  const dr = PI / 180;
  const M = 357.5291 + 35999.0503 * T - 0.0001559 * T2 - 0.00000048 * T * T2;
  const L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2;
  let DL = (1.9146 - 0.004817 * T - 0.000014 * T2) * Math.sin(dr * M);
  DL = DL + (0.019993 - 0.000101 * T) * Math.sin(dr * 2 * M) + 0.00029 * Math.sin(dr * 3 * M);
  let L = (L0 + DL) * dr;
  L = L - PI * 2 * INT(L / (PI * 2));
  return L;
}

/** The sector (0–11, 30° each) of the sun's longitude at the start of local day `dayNumber`. */
function getSunLongitude(dayNumber: number, timeZone: number): number {
  return INT((sunLongitude(dayNumber - 0.5 - timeZone / 24) / PI) * 6);
}

/** The local day (Julian day number) of the k-th new moon. */
function getNewMoonDay(k: number, timeZone: number): number {
  return INT(newMoon(k) + 0.5 + timeZone / 24);
}

/** The first day of the 11th lunar month (the one containing the winter solstice) of year `yy`. */
function getLunarMonth11(yy: number, timeZone: number): number {
  const off = jdFromDate(31, 12, yy) - 2415021;
  const k = INT(off / 29.530588853);
  let nm = getNewMoonDay(k, timeZone);
  const sunLong = getSunLongitude(nm, timeZone);
  if (sunLong >= 9) nm = getNewMoonDay(k - 1, timeZone);
  return nm;
}

/** Offset, in months after the 11th month starting on `a11`, of the leap month of a 13-month year. */
function getLeapMonthOffset(a11: number, timeZone: number): number {
  const k = INT((a11 - 2415021.076998695) / 29.530588853 + 0.5);
  let last: number;
  let i = 1;
  let arc = getSunLongitude(getNewMoonDay(k + i, timeZone), timeZone);
  do {
    last = arc;
    i++;
    arc = getSunLongitude(getNewMoonDay(k + i, timeZone), timeZone);
  } while (arc !== last && i < 14);
  return i - 1;
}

function parseIso(iso: IsoDate): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`Invalid date «${iso}», expected YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [d2, mo2, y2] = jdToDate(jdFromDate(d, mo, y));
  if (d2 !== d || mo2 !== mo || y2 !== y) throw new RangeError(`Invalid date «${iso}»`);
  return [y, mo, d];
}

function formatJd(jd: number): IsoDate {
  const [d, m, y] = jdToDate(jd);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Julian day number of the first day of a lunar month, or null when that leap month does not exist. */
function lunarMonthStart(lunarYear: number, lunarMonth: number, leap: boolean): number | null {
  let a11: number;
  let b11: number;
  if (lunarMonth < 11) {
    a11 = getLunarMonth11(lunarYear - 1, TIME_ZONE);
    b11 = getLunarMonth11(lunarYear, TIME_ZONE);
  } else {
    a11 = getLunarMonth11(lunarYear, TIME_ZONE);
    b11 = getLunarMonth11(lunarYear + 1, TIME_ZONE);
  }
  const k = INT(0.5 + (a11 - 2415021.076998695) / 29.530588853);
  let off = lunarMonth - 11;
  if (off < 0) off += 12;
  if (b11 - a11 > 365) {
    const leapOff = getLeapMonthOffset(a11, TIME_ZONE);
    let leapMonth = leapOff - 2;
    if (leapMonth < 0) leapMonth += 12;
    if (leap && lunarMonth !== leapMonth) return null;
    if (leap || off >= leapOff) off += 1;
  } else if (leap) {
    return null;
  }
  return getNewMoonDay(k + off, TIME_ZONE);
}

/**
 * The solar (Gregorian) date of a lunar date. `leap` selects the intercalary month (tháng nhuận).
 * Throws a RangeError for a leap month that does not exist that year, or a day past the month's end
 * (day 30 of a 29-day month).
 */
export function lunarToSolar(lunarYear: number, lunarMonth: number, lunarDay: number, leap = false): IsoDate {
  if (!Number.isInteger(lunarYear) || !Number.isInteger(lunarMonth) || lunarMonth < 1 || lunarMonth > 12) {
    throw new RangeError(`Invalid lunar month ${lunarMonth}/${lunarYear}`);
  }
  if (!Number.isInteger(lunarDay) || lunarDay < 1 || lunarDay > 30) {
    throw new RangeError(`Invalid lunar day ${lunarDay}/${lunarMonth}/${lunarYear}`);
  }
  const start = lunarMonthStart(lunarYear, lunarMonth, leap);
  if (start === null) throw new RangeError(`Lunar year ${lunarYear} has no leap month ${lunarMonth}`);
  const jd = start + lunarDay - 1;
  if (lunarDay === 30) {
    // A month has 29 or 30 days: day 30 must still be in the same lunar month.
    const back = solarToLunar(formatJd(jd));
    if (back.day !== 30)
      throw new RangeError(`Lunar month ${lunarMonth}${leap ? ' (leap)' : ''}/${lunarYear} has only 29 days`);
  }
  return formatJd(jd);
}

/** The lunar date of a solar date `YYYY-MM-DD`. */
export function solarToLunar(iso: IsoDate): LunarDate {
  const [yy, mm, dd] = parseIso(iso);
  const dayNumber = jdFromDate(dd, mm, yy);
  const k = INT((dayNumber - 2415021.076998695) / 29.530588853);
  let monthStart = getNewMoonDay(k + 1, TIME_ZONE);
  if (monthStart > dayNumber) monthStart = getNewMoonDay(k, TIME_ZONE);
  let a11 = getLunarMonth11(yy, TIME_ZONE);
  let b11 = a11;
  let lunarYear: number;
  if (a11 >= monthStart) {
    lunarYear = yy;
    a11 = getLunarMonth11(yy - 1, TIME_ZONE);
  } else {
    lunarYear = yy + 1;
    b11 = getLunarMonth11(yy + 1, TIME_ZONE);
  }
  const lunarDay = dayNumber - monthStart + 1;
  const diff = INT((monthStart - a11) / 29);
  let leap = false;
  let lunarMonth = diff + 11;
  if (b11 - a11 > 365) {
    const leapMonthDiff = getLeapMonthOffset(a11, TIME_ZONE);
    if (diff >= leapMonthDiff) {
      lunarMonth = diff + 10;
      if (diff === leapMonthDiff) leap = true;
    }
  }
  if (lunarMonth > 12) lunarMonth -= 12;
  if (lunarMonth >= 11 && diff < 4) lunarYear -= 1;
  return { year: lunarYear, month: lunarMonth, day: lunarDay, leap };
}

/** Tết Nguyên đán: the solar date of the 1st day of the 1st lunar month of lunar year `year`. */
export function tetDate(year: number): IsoDate {
  return lunarToSolar(year, 1, 1);
}
