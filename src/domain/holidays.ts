/**
 * Vietnam's public holidays by law (Bộ luật Lao động 2019, Điều 112), with the compensatory days off
 * (nghỉ bù) the law gives when a holiday falls on a weekend. Swaps the government announces each
 * year (a Saturday worked in exchange for a bridge day) are not here: administrators add them.
 */
import { lunarToSolar, tetDate } from './lunar.js';
import type { CalendarDay, IsoDate } from './types.js';

const MS_PER_DAY = 86_400_000;

function toUtc(day: IsoDate): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
}

function shift(day: IsoDate, n: number): IsoDate {
  return new Date(toUtc(day) + n * MS_PER_DAY).toISOString().slice(0, 10);
}

function isWeekend(day: IsoDate): boolean {
  const dow = new Date(toUtc(day)).getUTCDay();
  return dow === 0 || dow === 6;
}

/**
 * The public holidays of solar year `year`, sorted by date, all of kind `'holiday'`:
 *
 * - 01/01 Tết Dương lịch;
 * - Tết Nguyên đán: the last day of the previous lunar year (29 or 30 of month 12) and days 1–4 of
 *   lunar month 1 (5 days);
 * - 10/3 lunar Giỗ Tổ Hùng Vương;
 * - 30/04 Ngày Chiến thắng, 01/05 Quốc tế Lao động;
 * - 02/09 Quốc khánh and the day before it (01/09);
 * - for each of these that falls on a Saturday or Sunday, a compensatory day off ("Nghỉ bù …") on
 *   the next weekday that is not already a holiday (for the Tết block: as many days after the block
 *   as block days fell on a weekend).
 *
 * The weekend holidays themselves are listed too (harmless: they are days off anyway).
 */
export function vietnamHolidays(year: number): CalendarDay[] {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`Invalid year ${year}`);
  const y = String(year);
  const tet = tetDate(year);
  const base: CalendarDay[] = [
    { date: `${y}-01-01`, kind: 'holiday', name: 'Tết Dương lịch' },
    { date: shift(tet, -1), kind: 'holiday', name: 'Tết Nguyên đán (ngày cuối năm âm lịch)' },
    { date: tet, kind: 'holiday', name: 'Tết Nguyên đán (mùng 1)' },
    { date: shift(tet, 1), kind: 'holiday', name: 'Tết Nguyên đán (mùng 2)' },
    { date: shift(tet, 2), kind: 'holiday', name: 'Tết Nguyên đán (mùng 3)' },
    { date: shift(tet, 3), kind: 'holiday', name: 'Tết Nguyên đán (mùng 4)' },
    { date: lunarToSolar(year, 3, 10), kind: 'holiday', name: 'Giỗ Tổ Hùng Vương' },
    { date: `${y}-04-30`, kind: 'holiday', name: 'Ngày Chiến thắng' },
    { date: `${y}-05-01`, kind: 'holiday', name: 'Quốc tế Lao động' },
    { date: `${y}-09-01`, kind: 'holiday', name: 'Quốc khánh' },
    { date: `${y}-09-02`, kind: 'holiday', name: 'Quốc khánh' },
  ];
  // Two holidays on one day (never seen, but the lunar one moves) count once.
  const unique = [...new Map(base.reverse().map((d) => [d.date, d] as const)).values()];
  unique.sort((a, b) => a.date.localeCompare(b.date));

  const taken = new Set(unique.map((d) => d.date));
  const result = [...unique];
  for (const h of unique) {
    if (!isWeekend(h.date)) continue;
    let d = shift(h.date, 1);
    while (isWeekend(d) || taken.has(d)) d = shift(d, 1);
    taken.add(d);
    const what = h.name.startsWith('Tết Nguyên đán') ? 'Tết Nguyên đán' : h.name;
    result.push({ date: d, kind: 'holiday', name: `Nghỉ bù ${what}` });
  }
  return result.sort((a, b) => a.date.localeCompare(b.date));
}
