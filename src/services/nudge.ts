import type { Db } from '#root/db/client.js';
import { dueInstant, isOverdue } from '#root/domain/obligation-state.js';
import { effectivePolicy, policyOverrideSchema } from '#root/domain/policy.js';
import { nudgeStep, stageId } from '#root/domain/stages.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { saidError } from '#root/messages/chat-words.js';
import { audit } from './audit.js';
import { dayBounds } from './delivery/load.js';
import { loadCalendar } from './holidays.js';

/**
 * Why a day's item was cancelled: a nudge carried it that day. The planner does not revive it (a
 * person gets one message about an item a day).
 */
export const SENT_WITH_NUDGE = 'sent with a nudge';

/**
 * The due days a nudge counts as "late now" or "due soon": from as far back as the policy still
 * reminds (its overdue nudges and escalations: 30 working days by default) to as far ahead as its
 * first reminder (its longest lead, 14 working days by default) — what the daily messages carry,
 * not every period back to the plan's first year nor every one ahead.
 */
async function nudgeRange(
  db: Db,
  orgId: string,
  unitId: string,
  zone: string,
  now: Date,
): Promise<{ from: string; to: string }> {
  const rows = await db.reminderPolicy.findMany({ where: { orgId, target: { in: ['org', `unit:${unitId}`] } } });
  const parse = (target: string) => {
    const parsed = policyOverrideSchema.safeParse(rows.find((r) => r.target === target)?.settings);
    return parsed.success ? parsed.data : undefined;
  };
  const policy = effectivePolicy(parse('org'), parse(`unit:${unitId}`));
  const today = zonedDay(now, zone);
  const year = Number(today.slice(0, 4));
  const calendar = await loadCalendar(db, orgId, [year - 1, year, year + 1]);
  const back = Math.max(1 + Math.max(0, policy.overdueMax - 1) * policy.overdueEvery, 2 * policy.escalateAfter);
  return {
    from: calendar.addWorkingDays(today, -back),
    to: calendar.addWorkingDays(today, Math.max(0, ...policy.leadDays)),
  };
}

/**
 * The administrator's manual nudge: one message now to each of the unit's contacts (one bundle per
 * contact: its items are the reminders of this nudge), through the same rows and queue as
 * scheduled reminders. For the whole unit, the items are what is overdue and what is due soon
 * (within the policy's longest lead: what the unit is being reminded of), else its next due
 * date, never every period ahead nor history; for one duty, the same among its periods; for one
 * obligation, that obligation. Its stage id is
 * unique to this nudge ("nudge-<time>@<due day>"), its slot too: one call per unit. The reason, when the
 * administrator gave one (the web page asks for it), is kept in the audit row. A unit with no
 * active contact, or whose contacts have no working channel, is refused with a message saying
 * which (nothing is written): a nudge never says it was sent when nobody can receive it.
 */
export async function nudge(
  db: Db,
  orgId: string,
  input: { unitId: string; dutyCode?: string; obligationId?: string; actor: string; now: Date; reason?: string },
) {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const obligations = await db.obligation.findMany({
    where: {
      orgId,
      unitId: input.unitId,
      status: 'open',
      current: true,
      // History (a period before the plan was tracked from) is not nudged, unless the administrator
      // names that very obligation.
      ...(input.obligationId ? {} : { history: false }),
      ...(input.dutyCode ? { duty: { code: input.dutyCode } } : {}),
      ...(input.obligationId ? { id: input.obligationId } : {}),
    },
    orderBy: { dueAt: 'asc' },
  });
  // Without a duty: what is overdue and what is due soon, not the whole year.
  const range = input.obligationId ? null : await nudgeRange(db, orgId, input.unitId, org.timeZone, input.now);
  const lateOrSoon =
    range === null
      ? obligations
      : obligations.filter((o) => {
          const day = zonedDay(dueInstant(o), org.timeZone);
          return day >= range.from && day <= range.to;
        });
  // Nothing late or near: the next due date (all obligations sharing it), so that a unit with
  // nothing late still hears of what comes next, and never of the whole year.
  const ahead = obligations.filter((o) => dueInstant(o) > input.now).map((o) => dueInstant(o).getTime());
  const nearest = ahead.length ? Math.min(...ahead) : null;
  const chosen = lateOrSoon.length ? lateOrSoon : obligations.filter((o) => dueInstant(o).getTime() === nearest);
  if (!chosen.length) throw saidError('error.nudgeNothing');
  const contacts = await db.contact.findMany({
    where: { unitId: input.unitId, active: true, role: { in: ['contact', 'head'] } },
  });
  // A nudge nobody can receive is refused, naming why, rather than reported as sent.
  const reachable = contacts.filter((c) => c.channels.some((ch) => !c.disabledChannels.includes(ch)));
  if (!reachable.length) {
    const unit = await db.unit.findFirstOrThrow({ where: { id: input.unitId, orgId }, select: { name: true } });
    if (!contacts.length) throw saidError('error.nudgeNoContact', { unit: unit.name });
    throw saidError('error.nudgeNoChannel', { unit: unit.name, names: contacts.map((c) => c.name).join(', ') });
  }
  const withoutChannel: string[] = [];
  let reminders = 0;
  let alreadyReminded = 0;
  let contactsReached = 0;
  const today = zonedDay(input.now, org.timeZone);
  const bounds = dayBounds(today, org.timeZone);
  const chosenIds = chosen.map((o) => o.id);
  await db.$transaction(async (tx) => {
    const rows = chosen.flatMap((o) => {
      const due = dueInstant(o);
      const stage = stageId(nudgeStep(input.now), zonedDay(due, org.timeZone));
      return contacts.flatMap((c) => {
        const channel = c.channels.find((ch) => !c.disabledChannels.includes(ch));
        if (!channel) {
          withoutChannel.push(c.name);
          return [];
        }
        return [
          {
            orgId,
            obligationId: o.id,
            contactId: c.id,
            channel,
            kind: isOverdue(o, input.now) ? ('overdue' as const) : ('lead' as const),
            stage,
            scheduledAt: input.now,
          },
        ];
      });
    });
    // Two nudges of the unit at the same instant (two administrators, a double tap) are one nudge.
    reminders = (await tx.reminder.createMany({ data: rows, skipDuplicates: true })).count;
    // One message a day: what the nudge carries is not sent again in the day's message still to
    // come (its other items still go). A contact whose day's message already went is nudged all
    // the same (the administrator asked), and counted, so the answer can say so.
    const messaged = [...new Set(rows.map((r) => r.contactId))];
    contactsReached = messaged.length;
    alreadyReminded = (
      await tx.bundle.findMany({
        where: { contactId: { in: messaged }, day: new Date(`${today}T00:00:00Z`), status: 'sent' },
        select: { contactId: true },
        distinct: ['contactId'],
      })
    ).length;
    await tx.reminder.updateMany({
      where: {
        contactId: { in: messaged },
        obligationId: { in: chosenIds },
        status: 'pending',
        scheduledAt: { gte: bounds.from, lt: bounds.to },
        NOT: { stage: { startsWith: 'nudge-' } },
      },
      data: { status: 'cancelled', lastError: SENT_WITH_NUDGE },
    });
    await audit(tx, {
      orgId,
      actor: input.actor,
      action: 'obligation.nudge',
      entity: 'unit',
      entityId: input.unitId,
      data: {
        obligations: chosen.length,
        reminders,
        alreadyReminded,
        ...(input.reason ? { reason: input.reason } : {}),
      },
    });
  });
  return {
    obligations: chosen.length,
    reminders,
    /** Contacts the nudge's message goes to (one message each). */
    contacts: contactsReached,
    /** Of them, those who had already had a message today (the day's, or an earlier nudge's). */
    alreadyReminded,
    withoutChannel: [...new Set(withoutChannel)],
  };
}
