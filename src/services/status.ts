import type { Db } from '#root/db/client.js';
import { isOverdue } from '#root/domain/obligation-state.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { listObligations } from './obligations.js';

export interface UnitStatus {
  unit: string;
  total: number;
  done: number;
  waived: number;
  open: number;
  overdue: number;
}

/**
 * Per unit, for a year: how many obligations are done, waived, open and overdue at `now`. Periods
 * kept as history (before their plan was tracked from) are not counted.
 */
export async function statusByUnit(db: Db, orgId: string, year: number, now: Date): Promise<UnitStatus[]> {
  const rows = await listObligations(db, orgId, yearWindow(year));
  const byUnit = new Map<string, UnitStatus>();
  for (const r of rows) {
    if (r.history) continue;
    const s = byUnit.get(r.unit) ?? { unit: r.unit, total: 0, done: 0, waived: 0, open: 0, overdue: 0 };
    s.total++;
    if (r.status === 'done') s.done++;
    else if (r.status === 'waived') s.waived++;
    else if (isOverdue(r, now)) s.overdue++;
    else s.open++;
    byUnit.set(r.unit, s);
  }
  return [...byUnit.values()].sort((a, b) => b.overdue - a.overdue || a.unit.localeCompare(b.unit, 'vi'));
}
