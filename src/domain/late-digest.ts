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
 * The first `n` entries of a grouped list, in its order, the entries being each group's `key`
 * list; groups left with none are left out, the others keep their own fields (a group's count
 * stays its total).
 */
export function firstIn<K extends string, G extends { [k in K]: readonly unknown[] }>(
  groups: readonly G[],
  key: K,
  n: number,
): G[] {
  const out: G[] = [];
  let left = n;
  for (const g of groups) {
    if (left <= 0) break;
    const entries = g[key].slice(0, left);
    left -= entries.length;
    out.push({ ...g, [key]: entries });
  }
  return out;
}

/** The first `n` late units of the digest's grouped list (or of its view): {@link firstIn} by duty. */
export const firstLate = <D extends { units: readonly unknown[] }>(duties: readonly D[], n: number): D[] =>
  firstIn(duties, 'units', n);

/** One late item as the day's message of a supervisor or administrator lists it. */
export interface UnitLateItem {
  unitName: string;
  /** The obligation's code with its period ("4.2-2026Q3"). */
  code: string;
  /** Working days from the due day to the message's day (0: it fell due earlier today). */
  daysLate: number;
}

/** One late unit of the day's message: its late items, the most overdue first. */
export interface LateUnit<T extends UnitLateItem> {
  unitName: string;
  items: T[];
}

const unitNames = new Intl.Collator('vi');
const itemCodes = new Intl.Collator(undefined, { numeric: true });

/**
 * Groups the escalated items of a supervisor's or administrator's day's message by unit (issue 14:
 * one escalation message a day listing the late units and their items). In a unit: the most
 * overdue item first, then by code. Units: the one with the most overdue item first, then the
 * most late items, then by name.
 */
export function groupLateByUnit<T extends UnitLateItem>(items: readonly T[]): LateUnit<T>[] {
  const byUnit = new Map<string, LateUnit<T>>();
  for (const item of items) {
    const unit = byUnit.get(item.unitName) ?? { unitName: item.unitName, items: [] };
    unit.items.push(item);
    byUnit.set(item.unitName, unit);
  }
  const units = [...byUnit.values()];
  for (const u of units) u.items.sort((a, b) => b.daysLate - a.daysLate || itemCodes.compare(a.code, b.code));
  return units.sort(
    (a, b) => worstOf(b) - worstOf(a) || b.items.length - a.items.length || unitNames.compare(a.unitName, b.unitName),
  );
}

/** How late a unit's most overdue item is (its items sorted, the most overdue first). */
const worstOf = (u: LateUnit<UnitLateItem>) => u.items[0]?.daysLate ?? 0;

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
