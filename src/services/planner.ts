import type { Db } from '#root/db/client.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import {
  effectivePolicy,
  policyOverrideSchema,
  type PolicyOverride,
  type ReminderPolicy,
} from '#root/domain/policy.js';
import { atLocalTime, reminderStages, stageId, stageSql, type StageKind } from '#root/domain/stages.js';
import type { IsoDate } from '#root/domain/types.js';
import { zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { Prisma, type Channel, type ContactRole, type ReminderKind } from '#root/generated/prisma/client.js';
import { loadCalendar } from './holidays.js';
import { SENT_WITH_NUDGE } from './nudge.js';

/** One reminder the policy implies: when, to whom, on which channel, about what. */
export interface PlannedReminder {
  at: Date;
  kind: ReminderKind;
  /** The stage id stored on the reminder ("lead-7@20261115"). */
  stage: string;
  /** The stage as the preview names it: lead | due | overdue | escalation (cooperating → lead). */
  stageKind: StageKind;
  workingDaysLeft: number;
  obligationId: string;
  contactId: string;
  /** The contact's first working channel; null when none works (the administrator is told). */
  channel: Channel | null;
  unit: string;
  contact: string;
  duty: string;
}

export interface PlannedDigest {
  at: Date;
  day: IsoDate;
  contactId: string;
  contact: string;
  channel: Channel | null;
}

export interface Plan {
  reminders: PlannedReminder[];
  digests: PlannedDigest[];
}

interface ContactInfo {
  id: string;
  name: string;
  unitId: string;
  role: ContactRole;
  channel: Channel | null;
}

const firstWorkingChannel = (channels: Channel[], disabled: Channel[]) =>
  channels.find((c) => !disabled.includes(c)) ?? null;

/** Policies by target ("org", "plan:<id>"…), validated (a bad stored override is ignored, not fatal). */
async function loadPolicies(db: Db, orgId: string): Promise<Map<string, PolicyOverride>> {
  const rows = await db.reminderPolicy.findMany({ where: { orgId } });
  const out = new Map<string, PolicyOverride>();
  for (const r of rows) {
    const parsed = policyOverrideSchema.safeParse(r.settings);
    if (parsed.success) out.set(r.target, parsed.data);
  }
  return out;
}

/**
 * Every reminder and digest the current configuration implies with its instant in
 * [`from`, `to`): the single source of truth for the planner (which writes them) and for
 * `dondoc preview` (which lists them). Nothing is written.
 *
 * 1. Load the open, current obligations whose stages can fall in the window (not those created
 *    after they were due: imported late, they are history), the organisation's calendar and
 *    policies, the contacts, and each duty's cooperating units.
 * 2. For each obligation, its stages (SPEC §4) under the effective policy (org → plan → duty → unit).
 * 3. Recipients: lead, due and overdue → the unit's contacts and heads; escalation-1 → the unit's
 *    heads, or, when the unit has no active head, the next level (the administrators and
 *    supervisors: a first escalation is never lost for want of a head; `unitsWithoutHead` lists
 *    the gap); escalation-2 → the administrators and supervisors; lead stages also go, once per
 *    duty and period, to the cooperating units' contacts ("để phối hợp").
 * 4. One digest per administrator and supervisor per working day, at the start of the sending
 *    window: the day's news and everything late, grouped by duty (services/delivery/digest.ts).
 */
export async function planWindow(db: Db, orgId: string, from: Date, to: Date): Promise<Plan> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const zone = org.timeZone;
  // Lead stages reach ~14 working days (≈ 3–5 weeks around Tết) before the due date; overdue
  // nudges and escalations run ~30 working days after it.
  const lookBack = new Date(from.getTime() - 60 * 86_400_000);
  const lookAhead = new Date(to.getTime() + 45 * 86_400_000);
  const years = [...new Set([lookBack, lookAhead, from, to].map((d) => zonedYear(d, zone)))];
  const calendar = await loadCalendar(db, orgId, years);
  const policies = await loadPolicies(db, orgId);

  const obligations = await db.obligation.findMany({
    where: {
      orgId,
      status: 'open',
      current: true,
      // Periods before the plan was tracked from are history: no reminder, nudge or escalation.
      history: false,
      OR: [
        { extendedTo: null, dueAt: { gte: lookBack, lte: lookAhead } },
        { extendedTo: { gte: lookBack, lte: lookAhead } },
      ],
    },
    include: {
      duty: { select: { id: true, code: true, planId: true, active: true } },
      unit: { select: { name: true, active: true } },
    },
    orderBy: [{ dutyId: 'asc' }, { periodKey: 'asc' }, { unitId: 'asc' }],
  });

  const contactRows = await db.contact.findMany({ where: { orgId, active: true }, orderBy: { name: 'asc' } });
  const contacts: ContactInfo[] = contactRows.map((c) => ({
    id: c.id,
    name: c.name,
    unitId: c.unitId,
    role: c.role,
    channel: firstWorkingChannel(c.channels, c.disabledChannels),
  }));
  const byUnit = new Map<string, ContactInfo[]>();
  for (const c of contacts) byUnit.set(c.unitId, [...(byUnit.get(c.unitId) ?? []), c]);
  const unitPeople = (unitId: string) =>
    (byUnit.get(unitId) ?? []).filter((c) => c.role === 'contact' || c.role === 'head');
  const heads = (unitId: string) => (byUnit.get(unitId) ?? []).filter((c) => c.role === 'head');
  const admins = contacts.filter((c) => c.role === 'admin' || c.role === 'supervisor');

  const dutyIds = [...new Set(obligations.map((o) => o.dutyId))];
  const coop = await db.assignment.findMany({
    where: { dutyId: { in: dutyIds }, role: 'cooperating' },
    include: { group: { include: { members: true } } },
  });
  const coopUnits = new Map<string, Set<string>>();
  for (const a of coop) {
    const set = coopUnits.get(a.dutyId) ?? new Set<string>();
    if (a.unitId) set.add(a.unitId);
    for (const m of a.group?.members ?? []) set.add(m.unitId);
    coopUnits.set(a.dutyId, set);
  }
  const unitNames = new Map(
    (await db.unit.findMany({ where: { orgId }, select: { id: true, name: true } })).map((u) => [u.id, u.name]),
  );

  const policyFor = (planId: string, dutyId: string, unitId: string): ReminderPolicy =>
    effectivePolicy(
      policies.get('org'),
      policies.get(`plan:${planId}`),
      policies.get(`duty:${dutyId}`),
      policies.get(`unit:${unitId}`),
    );

  const reminders: PlannedReminder[] = [];
  const inWindow = (at: Date) => at >= from && at < to;
  // The first obligation of each (duty, period) carries the cooperating units' information copies.
  const anchors = new Map<string, { id: string; leadUnits: Set<string> }>();
  for (const o of obligations) {
    const key = `${o.dutyId}|${o.periodKey}`;
    const a = anchors.get(key) ?? { id: o.id, leadUnits: new Set<string>() };
    a.leadUnits.add(o.unitId);
    anchors.set(key, a);
  }

  // Obligations of one duty share their due date and, mostly, their policy (a thousand units, one
  // deadline): their stages are computed once per (due date, policy), not once per obligation.
  const stageCache = new Map<string, ReturnType<typeof reminderStages>>();
  const dueDays = new Map<number, string>();
  const stagesOf = (dueDate: string, policy: Parameters<typeof reminderStages>[1]) => {
    const key = `${dueDate}|${JSON.stringify(policy)}`;
    let stages = stageCache.get(key);
    if (!stages) stageCache.set(key, (stages = reminderStages(dueDate, policy, calendar, zone)));
    return stages;
  };
  for (const o of obligations) {
    if (!o.duty.active || !o.unit.active) continue;
    const due = dueInstant(o);
    let dueDate = dueDays.get(due.getTime());
    if (dueDate === undefined) dueDays.set(due.getTime(), (dueDate = zonedDay(due, zone)));
    const policy = policyFor(o.duty.planId, o.dutyId, o.unitId);
    const anchor = anchors.get(`${o.dutyId}|${o.periodKey}`)!;
    for (const s of stagesOf(dueDate, policy)) {
      // Nothing before the obligation existed: a plan imported late (or a unit added to a group
      // after the due date) gets the overdue nudges and escalations still ahead, never backdated ones.
      if (!inWindow(s.at) || s.at < o.createdAt) continue;
      const stage = stageId(s.step, dueDate);
      const push = (c: ContactInfo, kind: ReminderKind) =>
        reminders.push({
          at: s.at,
          kind,
          stage,
          stageKind: s.kind,
          workingDaysLeft: s.workingDaysLeft,
          obligationId: o.id,
          contactId: c.id,
          channel: c.channel,
          unit: o.unit.name,
          contact: c.name,
          duty: o.duty.code,
        });
      if (s.kind === 'lead' || s.kind === 'due' || s.kind === 'overdue')
        for (const c of unitPeople(o.unitId)) push(c, s.kind);
      if (s.step === 'escalation-1') {
        const unitHeads = heads(o.unitId);
        for (const c of unitHeads.length ? unitHeads : admins) push(c, 'escalation');
      }
      if (s.step === 'escalation-2') for (const c of admins) push(c, 'escalation');
      if (s.kind === 'lead' && anchor.id === o.id) {
        for (const unitId of coopUnits.get(o.dutyId) ?? []) {
          if (anchor.leadUnits.has(unitId)) continue;
          for (const c of unitPeople(unitId)) push(c, 'cooperating');
        }
      }
    }
  }

  const digests: PlannedDigest[] = [];
  const orgPolicy = effectivePolicy(policies.get('org'));
  for (let day = zonedDay(from, zone); day <= zonedDay(to, zone); day = nextDay(day)) {
    if (!calendar.isWorkingDay(day)) continue;
    const at = atLocalTime(day, orgPolicy.windowStart, zone);
    if (!inWindow(at)) continue;
    for (const c of admins) digests.push({ at, day, contactId: c.id, contact: c.name, channel: c.channel });
  }
  void unitNames;
  reminders.sort(
    (a, b) =>
      a.at.getTime() - b.at.getTime() ||
      a.unit.localeCompare(b.unit, 'vi') ||
      a.duty.localeCompare(b.duty, undefined, { numeric: true }) ||
      a.stage.localeCompare(b.stage) ||
      a.contact.localeCompare(b.contact, 'vi'),
  );
  return { reminders, digests };
}

function nextDay(day: IsoDate): IsoDate {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export interface MaterializeResult {
  /** Reminder rows written: new, moved (policy or calendar changed) or revived (obligation reopened). */
  reminders: number;
  /** Pending reminders of the window the plan no longer has (policy changed, contact left). */
  cancelled: number;
  digests: number;
  unreachable: number;
}

/**
 * Makes the reminder and digest rows of a window match the plan, on their unique keys:
 * new stages are inserted as `pending`; a pending row whose instant changed is moved; a cancelled
 * row the plan wants again (an obligation reopened) is revived, unless a nudge carried it that day
 * ({@link SENT_WITH_NUDGE}); a pending row of the window the plan
 * no longer has is cancelled. Nothing sent is ever touched. A second run writes nothing. Contacts
 * with no working channel get no row; the administrators are told once (`unreachable_since`).
 */
export async function materialize(
  db: Db,
  orgId: string,
  plan: Plan,
  now: Date,
  window?: { from: Date; to: Date },
): Promise<MaterializeResult> {
  const r = plan.reminders.filter((x) => x.channel !== null);
  const d = plan.digests.filter((x) => x.channel !== null);
  const reminders = r.length
    ? await db.$executeRaw`
        INSERT INTO reminders (id, org_id, obligation_id, contact_id, channel, kind, stage, scheduled_at, status, attempts, created_at)
        SELECT gen_random_uuid(), ${orgId}::uuid, x.obligation_id, x.contact_id, x.channel, x.kind, x.stage, x.at, 'pending', 0, now()
          FROM unnest(${r.map((x) => x.obligationId)}::uuid[], ${r.map((x) => x.contactId)}::uuid[],
                      ${r.map((x) => x.channel)}::"Channel"[], ${r.map((x) => x.kind)}::"ReminderKind"[],
                      ${r.map((x) => x.stage)}::text[], ${r.map((x) => x.at)}::timestamptz[])
               AS x(obligation_id, contact_id, channel, kind, stage, at)
        ON CONFLICT (obligation_id, contact_id, channel, stage) DO UPDATE
           SET status = 'pending', scheduled_at = EXCLUDED.scheduled_at, last_error = NULL
         WHERE (reminders.status = 'cancelled' AND reminders.last_error IS DISTINCT FROM ${SENT_WITH_NUDGE})
            OR (reminders.status = 'pending' AND reminders.scheduled_at IS DISTINCT FROM EXCLUDED.scheduled_at)`
    : 0;
  // A hash anti-join, linear, whatever the statistics say: right after a large insert they are
  // stale, and the NOT EXISTS was then planned as a nested loop over the plan, quadratic (31 s for
  // 14,200 reminders; about a day, extrapolated, for a year of 50,000 obligations: bench/planner.ts).
  const cancelled = window
    ? await db.$transaction(
        async (tx) => {
          await tx.$executeRaw`SET LOCAL enable_nestloop = off`;
          return tx.$executeRaw`
          UPDATE reminders rm SET status = 'cancelled', last_error = 'no longer planned'
           WHERE rm.org_id = ${orgId}::uuid AND rm.status = 'pending'
             AND rm.scheduled_at >= ${window.from} AND rm.scheduled_at < ${window.to}
             AND NOT ${Prisma.raw(stageSql.isNudge('rm.stage'))}
             AND NOT EXISTS (
               SELECT 1 FROM unnest(${r.map((x) => x.obligationId)}::uuid[], ${r.map((x) => x.contactId)}::uuid[],
                                    ${r.map((x) => x.channel)}::"Channel"[], ${r.map((x) => x.stage)}::text[])
                        AS x(obligation_id, contact_id, channel, stage)
                WHERE x.obligation_id = rm.obligation_id AND x.contact_id = rm.contact_id
                  AND x.channel = rm.channel AND x.stage = rm.stage)`;
        },
        { timeout: 120_000, maxWait: 10_000 },
      )
    : 0;
  const digests = d.length
    ? await db.$executeRaw`
        INSERT INTO digests (id, org_id, contact_id, day, channel, scheduled_at, status, attempts, created_at)
        SELECT gen_random_uuid(), ${orgId}::uuid, x.contact_id, x.day, x.channel, x.at, 'pending', 0, now()
          FROM unnest(${d.map((x) => x.contactId)}::uuid[], ${d.map((x) => x.day)}::date[],
                      ${d.map((x) => x.channel)}::"Channel"[], ${d.map((x) => x.at)}::timestamptz[])
               AS x(contact_id, day, channel, at)
        ON CONFLICT (contact_id, day, channel) DO NOTHING`
    : 0;
  const unreachableIds = [
    ...new Set([...plan.reminders, ...plan.digests].filter((x) => x.channel === null).map((x) => x.contactId)),
  ];
  let unreachable = 0;
  if (unreachableIds.length) {
    unreachable = await db.$transaction(async (tx) => {
      const fresh = await tx.contact.findMany({ where: { id: { in: unreachableIds }, unreachableSince: null } });
      for (const c of fresh) {
        const { count } = await tx.contact.updateMany({
          where: { id: c.id, unreachableSince: null },
          data: { unreachableSince: now },
        });
        if (count) {
          await tx.auditEvent.create({
            data: {
              orgId,
              actor: 'system',
              action: 'contact.unreachable',
              entity: 'contact',
              entityId: c.id,
              data: { name: c.name },
            },
          });
        }
      }
      return fresh.length;
    });
  }
  return { reminders, cancelled, digests, unreachable };
}

/**
 * The active units with duties (a current obligation) and no active head: their first escalation
 * goes to the administrators and supervisors instead (see {@link planWindow}). `dondoc flags` and
 * the units page list them.
 */
export async function unitsWithoutHead(db: Db, orgId: string): Promise<{ id: string; name: string }[]> {
  return db.unit.findMany({
    where: {
      orgId,
      active: true,
      obligations: { some: { current: true } },
      contacts: { none: { role: 'head', active: true } },
    },
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
}
