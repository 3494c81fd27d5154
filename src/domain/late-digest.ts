import type { IsoDate } from './types.js';
import { periodInWords, shortDate, workingDaysPhrase, type Lang } from './wording.js';

/**
 * The late list of the administrators' and supervisors' digest (issue 14): one message a day
 * listing the late units and items, grouped by duty (its code and title, then its late units,
 * each with its period in words and how many working days it is overdue), the most overdue first.
 * Pure: the service reads the rows and counts the days; this groups, orders and cuts the list to
 * what a channel takes.
 */

/** One late obligation as the digest needs it. */
export interface LateItem {
  dutyCode: string;
  dutyTitle: string;
  unitName: string;
  periodKey: string;
  /** The due day after any approved extension, in the organisation's zone. */
  dueDate: IsoDate;
  /** Working days from the due day to the digest's day (0: it fell due earlier today). */
  daysLate: number;
  /** Became overdue since the previous digest. */
  isNew: boolean;
}

/** One duty of the late list: its late units, the most overdue first. */
export interface LateDuty {
  dutyCode: string;
  dutyTitle: string;
  units: LateItem[];
}

const codeOrder = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/**
 * Groups late obligations by duty (code and title). In a duty: the most overdue unit first, then
 * by unit name. Duties: the one with the most overdue unit first, then the most late units, then by
 * code.
 */
export function groupLateByDuty(items: readonly LateItem[]): LateDuty[] {
  const byDuty = new Map<string, LateDuty>();
  for (const item of items) {
    const key = `${item.dutyCode}\u0000${item.dutyTitle}`;
    const duty = byDuty.get(key) ?? { dutyCode: item.dutyCode, dutyTitle: item.dutyTitle, units: [] };
    duty.units.push(item);
    byDuty.set(key, duty);
  }
  const duties = [...byDuty.values()];
  for (const d of duties)
    d.units.sort(
      (a, b) =>
        b.daysLate - a.daysLate ||
        a.unitName.localeCompare(b.unitName, 'vi') ||
        a.dueDate.localeCompare(b.dueDate) ||
        a.periodKey.localeCompare(b.periodKey),
    );
  const worst = (d: LateDuty) => d.units[0]?.daysLate ?? 0;
  return duties.sort(
    (a, b) => worst(b) - worst(a) || b.units.length - a.units.length || codeOrder(a.dutyCode, b.dutyCode),
  );
}

/**
 * The first `n` late units of the grouped list (or of its view), in its order; duties left with none
 * are left out, the others keep their own fields (a duty's unit count stays its total).
 */
export function firstLate<D extends { units: readonly unknown[] }>(duties: readonly D[], n: number): D[] {
  const out: D[] = [];
  let left = n;
  for (const d of duties) {
    if (left <= 0) break;
    const units = d.units.slice(0, left);
    left -= units.length;
    out.push({ ...d, units });
  }
  return out;
}

/** "quá hạn 3 ngày làm việc" / "3 working days overdue"; "quá hạn từ hôm nay" / "overdue since today". */
export function overdueInWords(daysLate: number, lang: Lang): string {
  if (daysLate <= 0) return lang === 'vi' ? 'quá hạn từ hôm nay' : 'overdue since today';
  return workingDaysPhrase(-daysLate, lang);
}

/** The template view of a grouped late list (the digest's `late`, with its `units`). */
export function lateView(duties: readonly LateDuty[], lang: Lang) {
  return duties.map((d) => ({
    dutyCode: d.dutyCode,
    dutyTitle: d.dutyTitle,
    unitCount: d.units.length,
    units: d.units.map((u) => ({
      unitName: u.unitName,
      period: periodInWords(u.periodKey, lang),
      overdueBy: overdueInWords(u.daysLate, lang),
      daysLate: u.daysLate,
      dueDateShort: shortDate(u.dueDate),
      isNew: u.isNew ? 'yes' : '',
    })),
  }));
}

/**
 * How many of `total` entries a message shows: all when the text with all of them fits in `max`
 * characters, else the most that fit (at least `min`, even if it does not fit: the channel's own
 * splitting or refusal takes over then). `render(n)` is the text with `n` entries shown. Searches by
 * halving: a long list is rendered a dozen times, not once per entry.
 */
export function mostThatFit(total: number, max: number, render: (n: number) => string, min = 0): number {
  if (render(total).length <= max) return total;
  let lo = min;
  let hi = total - 1;
  if (render(lo).length > max) return lo;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (render(mid).length <= max) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
