/**
 * Each unit's deadlines as an iCalendar feed: a secret URL (`/ical/<token>.ics`) that Outlook,
 * Google Calendar or a phone subscribes to. The feed is computed on every request, so a
 * confirmation, a waiver or an extension shows at the calendar's next refresh.
 */
import { randomBytes } from 'node:crypto';
import ical, { ICalAlarmType, ICalEventTransparency } from 'ical-generator';
import type { Db } from '#root/db/client.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { dueInstant, obligationState, type ObligationState } from '#root/domain/obligation-state.js';
import { periodInWords, shortDate, type Lang } from '#root/domain/wording.js';
import { zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { NotFoundError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { isUuid } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

const unitWords = serviceWords('units');
/** The words of a feed's events, in the language the feed was asked in (`?lang=en`; Vietnamese else). */
const calendarWords = serviceWords('calendar');

/** 32 random bytes, base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const newCalendarToken = () => randomBytes(32).toString('base64url');

/** The feed's address under a base URL (PUBLIC_URL, or the origin the administrator used). */
export const calendarUrl = (base: string, token: string) => `${base.replace(/\/+$/, '')}/ical/${token}.ics`;

async function unitOf(db: Db, orgId: string, unitId: string) {
  const unit = isUuid(unitId)
    ? await db.unit.findFirst({ where: { id: unitId, orgId }, select: { id: true, calendarToken: true } })
    : null;
  if (!unit) throw new NotFoundError(unitWords('noSuchUnit'));
  return unit;
}

/** The unit's feed token, or null when none was made yet: a read, for the unit's page. */
export async function calendarTokenOf(db: Db, orgId: string, unitId: string): Promise<string | null> {
  return (await unitOf(db, orgId, unitId)).calendarToken;
}

/**
 * The unit's feed token, created when an administrator asks for it (the unit page's button, a
 * POST: looking at a page never writes) — a conditional update: two requests at once create one
 * token, and one audit row.
 */
export async function ensureCalendarToken(db: Db, orgId: string, unitId: string, actor: string): Promise<string> {
  const unit = await unitOf(db, orgId, unitId);
  if (unit.calendarToken) return unit.calendarToken;
  const token = newCalendarToken();
  return db.$transaction(async (tx) => {
    const { count } = await tx.unit.updateMany({
      where: { id: unit.id, calendarToken: null },
      data: { calendarToken: token },
    });
    if (count === 1) {
      // The audit row never holds the token: it is a bearer secret.
      await audit(tx, {
        orgId,
        actor,
        action: 'unit.calendar-token',
        entity: 'unit',
        entityId: unit.id,
        data: { created: true },
      });
      return token;
    }
    return (await tx.unit.findUniqueOrThrow({ where: { id: unit.id }, select: { calendarToken: true } }))
      .calendarToken!;
  });
}

/** A new feed token for the unit: the old address stops working at once (a leaked link is revoked). */
export async function regenerateCalendarToken(db: Db, orgId: string, unitId: string, actor: string): Promise<string> {
  const unit = await unitOf(db, orgId, unitId);
  const token = newCalendarToken();
  return db.$transaction(async (tx) => {
    await tx.unit.update({ where: { id: unit.id }, data: { calendarToken: token } });
    await audit(tx, {
      orgId,
      actor,
      action: 'unit.calendar-token',
      entity: 'unit',
      entityId: unit.id,
      data: { regenerated: true },
    });
    return token;
  });
}

const MARK: Record<ObligationState, string> = {
  done: '✅ ',
  overdue: '⚠ ',
  waived: '',
  extended: '',
  soon: '',
  open: '',
};

/** "2026-Q4" → a label; a yearly or one-off period says nothing more than the date. */
const periodLabel = (key: string) => (/^\d{4}$/.test(key) || key === 'once' ? null : key);

/** Day after an ISO date. */
const nextDay = (day: string) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d;
};

/** How long a calendar may keep the feed before asking again (X-PUBLISHED-TTL, REFRESH-INTERVAL). */
export const FEED_TTL_SECONDS = 3600;

/**
 * The iCalendar feed of the unit whose token this is, or null (unknown or malformed token: the
 * caller answers 404 and says nothing more). Looked up by the unique column, never compared in a
 * loop.
 *
 * One event per current obligation due from 1 January last year to 31 December next year:
 * - an all-day event on the due day (after an extension, the new day) in the organisation's zone.
 *   The due instant is the end of that day, and an all-day event is what Outlook and Google
 *   show best for it: a banner at the top of the day in every view, on the same date for a
 *   subscriber in any zone; a timed event at 23:59 would be a sliver at the bottom of the day
 *   view (and fall on the next day for a subscriber west of the zone).
 * - UID `<obligation id>@dondoc`: a refresh replaces the event instead of adding a copy;
 * - SUMMARY `[TT 4.2] <title>`, prefixed ✅ when done, ⚠ when overdue;
 * - DESCRIPTION: the plan, the period, the due date, the state, how to confirm;
 * - for an open obligation, an alarm at 09:00 the day before (15 hours before the day starts).
 *   Apple Calendar and Thunderbird honour it; Google and Outlook ignore alarms of subscribed
 *   calendars and use their own default notification instead.
 */
export async function calendarFeed(
  db: Db,
  token: string,
  now: Date,
  lang: Lang = 'vi',
): Promise<{ unitName: string; ics: string } | null> {
  if (!TOKEN.test(token)) return null;
  const unit = await db.unit.findUnique({ where: { calendarToken: token }, include: { org: true } });
  if (!unit) return null;
  const zone = unit.org.timeZone;
  const year = zonedYear(now, zone);
  const first = `${year - 1}-01-01`;
  const last = `${year + 1}-12-31`;
  // A day of margin each side (the window is in the zone, the column in UTC); filtered exactly below.
  const from = new Date(`${first}T00:00:00Z`);
  from.setUTCDate(from.getUTCDate() - 1);
  const to = nextDay(last);
  to.setUTCDate(to.getUTCDate() + 1);
  const rows = await db.obligation.findMany({
    where: {
      unitId: unit.id,
      orgId: unit.orgId,
      current: true,
      // An open period before its plan was tracked from is history: not a deadline of the unit's.
      NOT: { history: true, status: 'open' },
      OR: [{ extendedTo: null, dueAt: { gte: from, lt: to } }, { extendedTo: { gte: from, lt: to } }],
    },
    include: { duty: { include: { plan: true } } },
    orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
  });

  const cal = ical({
    name: unit.name,
    description: calendarWords('feedDescription', { unit: unit.name })[lang],
    prodId: { company: 'dondoc', product: 'dondoc', language: lang.toUpperCase() },
    ttl: FEED_TTL_SECONDS,
  });
  for (const o of rows) {
    const due = dueInstant(o);
    const day = zonedDay(due, zone);
    if (day < first || day > last) continue;
    const state = obligationState(o, now);
    const period = periodLabel(o.periodKey);
    const code = obligationCode(o.duty.code, o.periodKey);
    const description = [
      `${calendarWords('plan')[lang]}: ${o.duty.plan.code}${o.duty.plan.title && o.duty.plan.title !== o.duty.plan.code ? ` — ${o.duty.plan.title}` : ''}`,
      `${calendarWords('duty')[lang]}: TT ${o.duty.code}. ${o.duty.title}`,
      ...(period ? [`${calendarWords('period')[lang]}: ${periodInWords(period, lang)}`] : []),
      `${calendarWords('due')[lang]}: ${shortDate(day)}${o.extendedTo ? ` (${calendarWords('extendedFrom')[lang]} ${shortDate(zonedDay(o.dueAt, zone))})` : ''}`,
      `${calendarWords('state')[lang]}: ${calendarWords(`state.${state}` as const)[lang]}`,
      '',
      o.status === 'open' ? calendarWords('howToConfirm', { code })[lang] : calendarWords('nothingToDo')[lang],
    ].join('\n');
    cal.createEvent({
      id: `${o.id}@dondoc`,
      start: new Date(`${day}T00:00:00Z`),
      end: nextDay(day),
      allDay: true,
      summary: `${MARK[state]}[TT ${o.duty.code}] ${o.duty.title}${period ? ` (${periodInWords(period, lang)})` : ''}`,
      description,
      stamp: now,
      lastModified: o.updatedAt,
      // A deadline does not make anyone busy.
      transparency: ICalEventTransparency.TRANSPARENT,
      alarms:
        o.status === 'open'
          ? [
              {
                type: ICalAlarmType.display,
                trigger: 15 * 3600,
                description: `${calendarWords('dueTomorrow')[lang]}: [TT ${o.duty.code}] ${o.duty.title}`,
              },
            ]
          : [],
    });
  }
  return { unitName: unit.name, ics: cal.toString() };
}
