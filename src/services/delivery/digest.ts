import { channelLabel, channelSpec, channelWords, partsOf } from '#root/channels/registry.js';
import type { Db } from '#root/db/client.js';
import { firstLate, groupLateByDuty, lateView, mostThatFit, type LateItem } from '#root/domain/late-digest.js';
import { dueInstant, isOverdue } from '#root/domain/obligation-state.js';
import type { ReminderPolicy } from '#root/domain/policy.js';
import { atLocalTime } from '#root/domain/stages.js';
import { longDate, shortDate, type Lang } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { say } from '#root/messages/chat-words.js';
import { failureInWords, refusalInWords } from '#root/messages/refusal-words.js';
import {
  renderMessage,
  templateKey,
  type TemplateOverrides,
  type TemplateSet,
  type View,
} from '#root/messages/templates.js';
import { loadCalendar } from '../holidays.js';

/** The digest row as {@link digestView} needs it. */
export interface DigestRow {
  id: string;
  orgId: string;
  day: Date;
  channel: Channel;
  scheduledAt: Date;
  contact: { name: string; locale: Lang };
  org: { name: string; timeZone: string };
}

/**
 * The view of one administrator's digest of a working day: obligations that became overdue, those
 * confirmed, contacts newly unreachable, and reminders a channel refused (audited
 * `reminder.failed`, listed on their own), since the previous working day's digest. Null when
 * there is nothing to say (no message is sent).
 */
export async function digestView(
  db: Db,
  dg: DigestRow,
  policy: ReminderPolicy,
  edited: TemplateOverrides,
  options: { statusUrl?: string } = {},
): Promise<View | null> {
  const zone = dg.org.timeZone;
  const day = dg.day.toISOString().slice(0, 10);
  const calendar = await loadCalendar(db, dg.orgId, [Number(day.slice(0, 4))]);
  const since = atLocalTime(calendar.addWorkingDays(day, -1), policy.windowStart, zone);
  const until = dg.scheduledAt;
  const lang = dg.contact.locale;
  const [lateRows, confirmed, unreachable, channelFailures, messageFailures] = await Promise.all([
    // Everything late now, by its due instant after any approved extension (`isOverdue`).
    db.obligation.findMany({
      where: {
        orgId: dg.orgId,
        status: 'open',
        current: true,
        history: false,
        OR: [{ extendedTo: null, dueAt: { lt: until } }, { extendedTo: { lt: until } }],
      },
      include: { unit: true, duty: true },
    }),
    db.confirmation.findMany({
      where: { orgId: dg.orgId, withdrawnAt: null, createdAt: { gt: since, lte: until } },
      include: { obligation: { include: { unit: true, duty: true } }, contact: true },
    }),
    db.contact.findMany({
      where: { orgId: dg.orgId, unreachableSince: { gt: since, lte: until } },
      include: { unit: true },
    }),
    db.auditEvent.findMany({
      where: { orgId: dg.orgId, action: 'contact.channel-disabled', createdAt: { gt: since, lte: until } },
      orderBy: { createdAt: 'asc' },
    }),
    db.auditEvent.findMany({
      where: { orgId: dg.orgId, action: 'reminder.failed', createdAt: { gt: since, lte: until } },
      orderBy: { createdAt: 'asc' },
    }),
  ]);
  const late = lateRows.filter((o) => isOverdue(o, until));
  // Newly overdue: fell due since the previous working day's digest.
  const overdue = late.filter((o) => dueInstant(o) > since);
  const years = late.map((o) => Number(zonedDay(dueInstant(o), zone).slice(0, 4)));
  const lateCalendar = years.some((y) => y < Number(day.slice(0, 4)) - 1)
    ? await loadCalendar(db, dg.orgId, yearsFrom(Math.min(...years), Number(day.slice(0, 4))))
    : calendar;
  const lateItems: LateItem[] = late.map((o) => {
    const dueDate = zonedDay(dueInstant(o), zone);
    return {
      dutyCode: o.duty.code,
      dutyTitle: o.duty.title,
      unitName: o.unit.name,
      periodKey: o.periodKey,
      dueDate,
      daysLate: lateCalendar.workingDaysBetween(dueDate, day),
      isNew: dueInstant(o) > since,
    };
  });
  // A channel that failed for good (blocked bot, unknown user, rejected address) is told once, in
  // the digest after it happened, with where the reminders go now; a contact with nothing left is
  // in `unreachable` already.
  const failedIds = [...new Set(channelFailures.flatMap((e) => (e.entityId ? [e.entityId] : [])))].filter(
    (id) => !unreachable.some((c) => c.id === id),
  );
  const failedContacts = failedIds.length
    ? await db.contact.findMany({ where: { id: { in: failedIds } }, include: { unit: true } })
    : [];
  const label = (ch: string) => channelLabel(ch, lang);
  const degraded = failedContacts.map((c) => {
    // Each channel once, with why its last failure happened and what to do, in words.
    const failed = new Map<string, string>();
    for (const e of channelFailures.filter((x) => x.entityId === c.id)) {
      const data = (e.data ?? {}) as { channel?: string; reason?: string };
      failed.set(String(data.channel ?? ''), failureInWords(data.reason ?? '', lang));
    }
    const next = c.channels.find((ch) => !c.disabledChannels.includes(ch));
    const reason =
      [...failed]
        .map(([ch, why]) => `${say(lang, 'digest.channelsFailed', { channels: label(ch) })} (${why})`)
        .join('; ') + (next ? say(lang, 'digest.nowBy', { channel: label(next) }) : '');
    return { personName: c.name, unitName: c.unit.name, reason };
  });
  // A reminder a channel refused for good (Telegram cannot parse it, a text too long, an unknown
  // refusal) has its own list, with where it went instead: the contact's channel still works, one
  // message was refused, so it is not among the unreachable. Nothing fails unseen.
  type Failure = {
    contact?: string;
    channel?: string;
    next?: string | null;
    dutyCode?: string | null;
    reason?: string;
  };
  const failures = messageFailures.map((e) => ({ reminderId: e.entityId, ...((e.data ?? {}) as Failure) }));
  const [failureContacts, failureReminders] = failures.length
    ? await Promise.all([
        db.contact.findMany({
          where: { id: { in: [...new Set(failures.flatMap((f) => (f.contact ? [f.contact] : [])))] } },
          include: { unit: true },
        }),
        db.reminder.findMany({
          where: { id: { in: failures.flatMap((f) => (f.reminderId ? [f.reminderId] : [])) } },
          select: { id: true, obligation: { select: { duty: { select: { code: true, title: true } } } } },
        }),
      ])
    : [[], []];
  const failed = failures.flatMap((f) => {
    const c = failureContacts.find((x) => x.id === f.contact);
    if (!c) return [];
    const duty = failureReminders.find((r) => r.id === f.reminderId)?.obligation.duty;
    return [
      {
        dutyCode: duty?.code ?? f.dutyCode ?? '',
        dutyTitle: duty?.title ?? '',
        unitName: c.unit.name,
        personName: c.name,
        channel: channelWords(f.channel ?? '', lang),
        reason: refusalInWords(f.reason ?? '', lang),
        fallback: f.next ? channelWords(f.next, lang) : '',
      },
    ];
  });
  if (!overdue.length && !confirmed.length && !unreachable.length && !degraded.length && !failed.length) {
    return null;
  }
  const byCode = (a: { duty: { code: string } }, b: { duty: { code: string } }) =>
    a.duty.code.localeCompare(b.duty.code, undefined, { numeric: true });
  const view: View = {
    contactName: dg.contact.name,
    date: shortDate(day),
    orgName: dg.org.name,
    overdueCount: overdue.length,
    confirmedCount: confirmed.length,
    // Open and past its due instant after any extension: the same as lateCount (older templates say it).
    ...lateSection(lateItems, new Set(late.map((o) => o.dutyId)).size, lang),
    confirmedMore: 0,
    statusUrl: options.statusUrl ?? '',

    overdue: overdue.sort(byCode).map((o) => overdueRow(o, zone, lang)),
    confirmed: confirmed.map((c) =>
      confirmedRow(c.obligation, c.contact?.name ?? c.actor ?? '', zonedDay(c.createdAt, zone)),
    ),
    unreachable: [
      ...unreachable.map((c) => ({
        personName: c.name,
        unitName: c.unit.name,
        reason: say(lang, 'digest.noChannelLeft'),
      })),
      ...degraded,
    ],
    failedCount: failed.length,
    failed,
  };
  // A digest an organisation edited before the list of refused reminders existed does not show
  // it: there they go among the unreachable, worded, rather than unseen.
  const unaware = partsOf(dg.channel).some((part) => {
    const source = edited.get(templateKey('digest', dg.channel, part, lang));
    return source !== undefined && source.includes('{{#unreachable}}') && !/\{\{[#^]\s*failed\s*\}\}/.test(source);
  });
  if (unaware && Array.isArray(view.unreachable)) {
    view.unreachable.push(
      ...failed.map((f) => ({
        personName: f.personName,
        unitName: f.unitName,
        reason: say(lang, 'digest.refused', {
          code: f.dutyCode,
          channel: f.channel,
          reason: f.reason,
          after: f.fallback ? say(lang, 'digest.sentBy', { channel: f.fallback }) : say(lang, 'digest.noOtherChannel'),
        }),
      })),
    );
  }
  return view;
}

/** An obligation as a row of the digest's lists names it: its unit and duty. */
interface DigestObligation {
  unit: { name: string };
  duty: { code: string; title: string };
}

/** A row of the digest's "newly overdue" list: the obligation, its due day (after any extension) in words. */
export function overdueRow(o: DigestObligation & { dueAt: Date; extendedTo: Date | null }, zone: string, lang: Lang) {
  const d = zonedDay(dueInstant(o), zone);
  return {
    unitName: o.unit.name,
    dutyCode: o.duty.code,
    dutyTitle: o.duty.title,
    dueDate: longDate(d, lang),
    dueDateShort: shortDate(d),
  };
}

/** A row of the digest's "confirmed" list: the obligation, who confirmed it and on which day. */
export const confirmedRow = (o: DigestObligation, by: string, day: string) => ({
  unitName: o.unit.name,
  dutyCode: o.duty.code,
  dutyTitle: o.duty.title,
  confirmedBy: by,
  confirmedAt: shortDate(day),
});

/**
 * The digest's late list and its counts, from everything late now (`duties`: how many duties they
 * are of): grouped by duty, the most overdue first, whole — {@link renderDigest} cuts it to what
 * the channel takes.
 */
export function lateSection(items: readonly LateItem[], duties: number, lang: Lang) {
  return {
    // Open and past its due instant after any extension: the same as lateCount (older templates say it).
    openCount: items.length,
    lateCount: items.length,
    lateDutyCount: duties,
    late: lateView(groupLateByDuty(items), lang),
    lateMore: 0,
  };
}

const yearsFrom = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A digest as a channel sends it: email's subject, text and HTML; a chat's text (its first line the subject). */
export interface RenderedDigest {
  subject: string;
  text: string;
  html?: string;
}

/**
 * Renders a digest for its channel, within the channel's length limit (its spec's `maxLength`:
 * Telegram 4,096 characters, Zalo 2,000). Beyond it, the late list shows its first units (the most
 * overdue) and says how many more there are, with /tonghop (chat) or the status page's link (email)
 * for the rest; the confirmed list is cut the same way first, down to a few. The length is measured
 * on what the channel receives (the text, and for email the text part).
 */
export function renderDigest(
  templates: TemplateSet,
  channel: Channel,
  lang: Lang,
  view: View,
  edited?: TemplateOverrides,
): RenderedDigest {
  const render = (v: View): RenderedDigest => renderMessage(templates, 'digest', channel, lang, v, edited);
  const max = channelSpec(channel).maxLength;
  const late = (Array.isArray(view.late) ? view.late : []) as (View & { units: View[] })[];
  const lateTotal = late.reduce((n, d) => n + d.units.length, 0);
  const confirmed = Array.isArray(view.confirmed) ? view.confirmed : [];
  const cut = (lateShown: number, confirmedShown: number): View => ({
    ...view,
    late: firstLate(late, lateShown),
    lateMore: lateTotal - lateShown,
    confirmed: confirmed.slice(0, confirmedShown),
    confirmedMore: confirmed.length - confirmedShown,
  });
  const textOf = (v: View) => render(v).text;
  // The confirmed list gives way first (to a few), then the late list (to one unit), then the rest
  // of the confirmed list.
  const keepConfirmed = Math.min(confirmed.length, 3);
  let confirmedShown = mostThatFit(confirmed.length, max, (n) => textOf(cut(lateTotal, n)), keepConfirmed);
  const lateShown = mostThatFit(lateTotal, max, (n) => textOf(cut(n, confirmedShown)), Math.min(lateTotal, 1));
  if (textOf(cut(lateShown, confirmedShown)).length > max)
    confirmedShown = mostThatFit(confirmedShown, max, (n) => textOf(cut(lateShown, n)));
  return render(cut(lateShown, confirmedShown));
}
