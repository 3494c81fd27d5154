/**
 * The duties as the administrators' pages show them: a duty with its plan, schedule and
 * assignments, the reminder policy its obligations follow, and its obligations of a year.
 */
import type { Db } from '#root/db/client.js';
import { effectivePolicy, policyOverrideSchema, type ReminderPolicy } from '#root/domain/policy.js';
import { fold } from '#root/domain/text.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { listDuties } from './plans.js';
import { isUuid } from './units.js';

/** The plans of the organisation, by code (the duties page's filter). */
export async function listPlans(db: Db, orgId: string) {
  return db.plan.findMany({
    where: { orgId },
    orderBy: { code: 'asc' },
    select: { id: true, code: true, title: true },
  });
}

/**
 * One duty of the organisation with its plan, schedule and assignments (groups with their
 * members), or null when the id is not a duty of this organisation.
 */
export async function dutyDetail(db: Db, orgId: string, dutyId: string) {
  if (!isUuid(dutyId)) return null;
  return db.duty.findFirst({
    where: { id: dutyId, orgId },
    include: {
      plan: true,
      schedule: true,
      assignments: {
        include: {
          unit: true,
          group: { include: { members: { include: { unit: { select: { id: true, name: true } } } } } },
        },
        orderBy: [{ role: 'asc' }, { position: 'asc' }],
      },
    },
  });
}

/** Where each field of an effective policy comes from. */
export type PolicySource = 'default' | 'org' | 'plan' | 'duty';

/**
 * The reminder policy a duty's obligations follow (organisation → plan → duty over the defaults),
 * with the level each field was set at, and the units that override it for themselves.
 */
export async function dutyPolicy(db: Db, orgId: string, duty: { id: string; planId: string }) {
  const rows = await db.reminderPolicy.findMany({
    where: { orgId, target: { in: ['org', `plan:${duty.planId}`, `duty:${duty.id}`] } },
  });
  const levels: [Exclude<PolicySource, 'default'>, string][] = [
    ['org', 'org'],
    ['plan', `plan:${duty.planId}`],
    ['duty', `duty:${duty.id}`],
  ];
  const overrides = levels.map(([level, target]) => {
    const parsed = policyOverrideSchema.safeParse(rows.find((r) => r.target === target)?.settings);
    // A stored override that no longer validates is ignored, as the planner ignores it.
    return [level, parsed.success ? parsed.data : undefined] as const;
  });
  const policy = effectivePolicy(...overrides.map(([, o]) => o));
  const source = Object.fromEntries(Object.keys(policy).map((k) => [k, 'default'])) as Record<
    keyof ReminderPolicy,
    PolicySource
  >;
  for (const [level, o] of overrides)
    for (const k of Object.keys(o ?? {}) as (keyof ReminderPolicy)[]) source[k] = level;
  const unitOverrides = await db.reminderPolicy.count({ where: { orgId, target: { startsWith: 'unit:' } } });
  return { policy, source, unitOverrides };
}

/** A duty's current obligations due in a window, by due date then unit. */
export async function dutyObligations(db: Db, orgId: string, dutyId: string, window: { from: string; to: string }) {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const from = new Date(`${window.from}T00:00:00Z`);
  const to = new Date(`${window.to}T23:59:59.999Z`);
  // A day of margin each side: the window is in the organisation's zone, the column in UTC.
  from.setUTCDate(from.getUTCDate() - 1);
  to.setUTCDate(to.getUTCDate() + 1);
  const rows = await db.obligation.findMany({
    where: { orgId, dutyId, current: true, dueAt: { gte: from, lte: to } },
    include: { unit: { select: { id: true, name: true } } },
  });
  const day = (d: Date) => zonedDay(d, org.timeZone);
  return rows
    .filter((r) => day(r.dueAt) >= window.from && day(r.dueAt) <= window.to)
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.unit.name.localeCompare(b.unit.name, 'vi'));
}

/**
 * The organisation's active duties for the duties page, in plan order: `plan` keeps one plan (by
 * code), `query` those whose code or title contains it (case and diacritics do not matter).
 */
export async function dutyOverview(db: Db, orgId: string, filter: { plan?: string; query?: string } = {}) {
  const q = fold(filter.query ?? '');
  const duties = await listDuties(db, orgId, filter.plan || undefined);
  return duties.filter((d) => !q || fold(`${d.code} ${d.title}`).includes(q));
}
