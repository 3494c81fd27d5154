import type { Db } from '#root/db/client.js';
import { isHistory, occurrences, zonedWindowBounds } from '#root/domain/occurrences.js';
import { yearWindow, zonedDay, zonedYear, type Window } from '#root/domain/zoned-day.js';
import { audit } from './audit.js';
import { loadCalendar } from './holidays.js';
import { isoDate, scheduleFromRow } from './schedules.js';

export interface ReconcileResult {
  /** Obligations that did not exist and were created. */
  created: number;
  /** Open obligations whose due instant changed (schedule edited) or that came back. */
  updated: number;
  /** Open, future obligations no schedule or assignment produces any more. */
  retired: number;
  /** Duties with a schedule and at least one lead that produced obligations. */
  duties: number;
  /** Groups assigned as lead that have no member: they bind nobody until members are added. */
  emptyGroups: string[];
}

interface Desired {
  dutyId: string;
  unitId: string;
  periodKey: string;
  dueAt: Date;
  /** A period before the plan's `trackFrom`: kept as history, never reminded nor counted overdue. */
  history: boolean;
}

/**
 * Makes the obligations of a window match the schedules, assignments and groups.
 *
 * 1. Expand each active duty's schedule into occurrences in the window (organisation's zone and
 *    working calendar) and its lead assignments into units (a group into its members).
 * 2. Upsert every (duty, unit, period) on its unique key — never check-then-insert — setting the
 *    due instant of open obligations (confirmed or waived ones keep theirs), and whether it is
 *    history: a period before its plan's `trackFrom` (see {@link isHistory}).
 * 3. Retire open obligations due from `now` on, whose due day (in the organisation's zone) is in
 *    the window, that nothing produces any more (`current = false`): the same criterion as step 1,
 *    so reconciling one year never retires another year's obligations, in whatever order years
 *    are reconciled. The past, and anything confirmed, stays as it was.
 *
 * Idempotent: a second run with nothing changed writes no row.
 */
export async function reconcileObligations(
  db: Db,
  orgId: string,
  window: Window,
  now: Date,
  actor = 'system',
): Promise<ReconcileResult> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const years = [];
  for (let y = Number(window.from.slice(0, 4)); y <= Number(window.to.slice(0, 4)); y++) years.push(y);
  const calendar = await loadCalendar(db, orgId, years);
  const duties = await db.duty.findMany({
    where: { orgId, active: true, schedule: { isNot: null } },
    include: {
      schedule: true,
      plan: { select: { trackFrom: true } },
      assignments: {
        where: { role: 'lead' },
        include: { unit: true, group: { include: { members: { include: { unit: true } } } } },
      },
    },
  });

  const desired: Desired[] = [];
  const emptyGroups = new Set<string>();
  let dutyCount = 0;
  for (const duty of duties) {
    const s = duty.schedule!;
    const units = new Set<string>();
    for (const a of duty.assignments) {
      if (a.unit && a.unit.active) units.add(a.unit.id);
      if (a.group) {
        const members = a.group.members.filter((m) => m.unit.active);
        if (members.length === 0) emptyGroups.add(a.group.name);
        for (const m of members) units.add(m.unitId);
      }
    }
    const occ = occurrences(scheduleFromRow(s), window, {
      zone: org.timeZone,
      calendar,
      ...(s.startsOn ? { startsOn: isoDate(s.startsOn) } : {}),
      ...(s.endsOn ? { endsOn: isoDate(s.endsOn) } : {}),
    });
    if (occ.length && units.size) dutyCount++;
    const schedule = scheduleFromRow(s);
    const trackFrom = duty.plan.trackFrom ? isoDate(duty.plan.trackFrom) : null;
    for (const o of occ) {
      const history = isHistory(schedule, o, trackFrom);
      for (const unitId of units)
        desired.push({ dutyId: duty.id, unitId, periodKey: o.periodKey, dueAt: o.dueAt, history });
    }
  }

  // What this window may retire is chosen by the rule that chose what it produces: the due day in
  // the organisation's zone within the window's days. (A window widened by a day in UTC took the
  // 31/12 obligations of the year before into next year's reconciliation, which retired them.)
  const { start: windowStart, end: windowEnd } = zonedWindowBounds(window, org.timeZone);

  const result = await db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<{ inserted: boolean }[]>`
        INSERT INTO obligations (id, org_id, duty_id, unit_id, period_key, due_at, status, current, history, created_at, updated_at)
        SELECT gen_random_uuid(), ${orgId}::uuid, d.duty_id, d.unit_id, d.period_key, d.due_at, 'open', true, d.history, ${now}, ${now}
          FROM unnest(${desired.map((d) => d.dutyId)}::uuid[], ${desired.map((d) => d.unitId)}::uuid[],
                      ${desired.map((d) => d.periodKey)}::text[], ${desired.map((d) => d.dueAt)}::timestamptz[],
                      ${desired.map((d) => d.history)}::boolean[])
               AS d(duty_id, unit_id, period_key, due_at, history)
        ON CONFLICT (duty_id, unit_id, period_key) DO UPDATE
           SET due_at = CASE WHEN obligations.status = 'open' THEN EXCLUDED.due_at ELSE obligations.due_at END,
               current = CASE WHEN obligations.status = 'open' THEN true ELSE obligations.current END,
               history = EXCLUDED.history, updated_at = now()
         WHERE (obligations.status = 'open'
                AND (obligations.due_at IS DISTINCT FROM EXCLUDED.due_at OR NOT obligations.current))
            OR obligations.history IS DISTINCT FROM EXCLUDED.history
        RETURNING (xmax = 0) AS inserted`;
      const created = rows.filter((r) => r.inserted).length;
      // A hash anti-join, linear, whatever the statistics say: right after the INSERT above (a new
      // organisation, a new year) they are stale, and the NOT EXISTS was then planned as a nested
      // loop over `desired`, quadratic (bench/planner.ts).
      await tx.$executeRaw`SET LOCAL enable_nestloop = off`;
      const retired = await tx.$executeRaw`
        UPDATE obligations o SET current = false, updated_at = now()
         WHERE o.org_id = ${orgId}::uuid AND o.status = 'open' AND o.current
           AND o.due_at >= ${now} AND o.due_at >= ${windowStart} AND o.due_at < ${windowEnd}
           AND NOT EXISTS (
             SELECT 1 FROM unnest(${desired.map((d) => d.dutyId)}::uuid[], ${desired.map((d) => d.unitId)}::uuid[],
                                  ${desired.map((d) => d.periodKey)}::text[]) AS d(duty_id, unit_id, period_key)
              WHERE d.duty_id = o.duty_id AND d.unit_id = o.unit_id AND d.period_key = o.period_key)`;
      await tx.$executeRaw`SET LOCAL enable_nestloop = on`;
      const r = {
        created,
        updated: rows.length - created,
        retired,
        duties: dutyCount,
        emptyGroups: [...emptyGroups].sort(),
      };
      if (r.created || r.updated || r.retired) {
        await audit(tx, {
          orgId,
          actor,
          action: 'obligations.reconcile',
          entity: 'organisation',
          entityId: orgId,
          data: { window: `${window.from}..${window.to}`, created: r.created, updated: r.updated, retired: r.retired },
        });
      }
      return r;
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
  return result;
}

/**
 * Reconciles the organisation's current year and the next (years in its zone): what the hourly
 * job does, and what every change to schedules, assignments, groups, units or the working
 * calendar does right away, so that pages and commands that only read find obligations up to
 * date. Each year is its own window: neither retires the other's obligations.
 */
export async function reconcileCurrent(db: Db, orgId: string, now: Date, actor = 'system'): Promise<ReconcileResult[]> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const year = zonedYear(now, org.timeZone);
  const results: ReconcileResult[] = [];
  for (const y of [year, year + 1]) results.push(await reconcileObligations(db, orgId, yearWindow(y), now, actor));
  return results;
}

/** Several windows' results as one (created, updated, retired summed; empty groups once). */
export function sumReconciled(results: ReconcileResult[]): ReconcileResult {
  return {
    created: results.reduce((n, r) => n + r.created, 0),
    updated: results.reduce((n, r) => n + r.updated, 0),
    retired: results.reduce((n, r) => n + r.retired, 0),
    duties: Math.max(0, ...results.map((r) => r.duties)),
    emptyGroups: [...new Set(results.flatMap((r) => r.emptyGroups))].sort(),
  };
}

/**
 * Groups assigned as lead of an active duty that have no active member: they bind nobody until
 * members are added. Read only (what {@link reconcileObligations} reports, for the pages and
 * commands that only read).
 */
export async function emptyLeadGroups(db: Db, orgId: string): Promise<string[]> {
  const groups = await db.unitGroup.findMany({
    where: {
      orgId,
      assignments: { some: { role: 'lead', duty: { active: true, schedule: { isNot: null } } } },
      members: { none: { unit: { active: true } } },
    },
    select: { name: true },
  });
  return groups.map((g) => g.name).sort();
}

export interface ObligationRow {
  id: string;
  plan: string;
  duty: string;
  dutyTitle: string;
  unit: string;
  period: string;
  dueAt: Date;
  extendedTo: Date | null;
  status: 'open' | 'done' | 'waived';
  /** A period before the plan was tracked from: history, never counted overdue. */
  history: boolean;
}

/** The current obligations due in a window, by due date, then duty, then unit. */
export async function listObligations(
  db: Db,
  orgId: string,
  window: Window,
  filter: { unitId?: string } = {},
): Promise<ObligationRow[]> {
  const from = new Date(`${window.from}T00:00:00Z`);
  const to = new Date(`${window.to}T23:59:59.999Z`);
  from.setUTCDate(from.getUTCDate() - 1);
  to.setUTCDate(to.getUTCDate() + 1);
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const rows = await db.obligation.findMany({
    where: { orgId, current: true, dueAt: { gte: from, lte: to }, ...(filter.unitId ? { unitId: filter.unitId } : {}) },
    include: { duty: { include: { plan: true } }, unit: true },
  });
  return rows
    .filter((r) => {
      const day = zonedDay(r.dueAt, org.timeZone);
      return day >= window.from && day <= window.to;
    })
    .map((r) => ({
      id: r.id,
      plan: r.duty.plan.code,
      duty: r.duty.code,
      dutyTitle: r.duty.title,
      unit: r.unit.name,
      period: r.periodKey,
      dueAt: r.dueAt,
      extendedTo: r.extendedTo,
      status: r.status,
      history: r.history,
    }))
    .sort(
      (a, b) =>
        a.dueAt.getTime() - b.dueAt.getTime() ||
        a.plan.localeCompare(b.plan) ||
        a.duty.localeCompare(b.duty, undefined, { numeric: true }) ||
        a.unit.localeCompare(b.unit, 'vi'),
    );
}
