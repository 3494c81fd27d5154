import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import type { Db } from '#root/db/client.js';
import type { Channel, ReminderKind } from '#root/generated/prisma/client.js';
import { bundleKey } from '#root/domain/bundles.js';
import { shortDate } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { UserError, type Words } from '#root/errors/index.js';
import { planWindow } from './planner.js';
import { serviceWords } from '#root/messages/service-words.js';

const previewWords = serviceWords('preview');

/** The longest range a preview covers (a quarter): longer ones are refused, not truncated. */
export const PREVIEW_MAX_DAYS = 92;
/** The range when none is asked for (the page and the command): today and the next 13 days. */
export const PREVIEW_DEFAULT_DAYS = 14;

/** One message a preview lists: a reminder, or an administrator's digest (no unit, duty or obligation). */
export interface PreviewRow {
  at: Date;
  unit: string | null;
  contact: string;
  /** The contact's first working channel; null when none works. */
  channel: Channel | null;
  /** lead | due | overdue | escalation | digest. */
  stage: string;
  duty: string | null;
  obligation: string | null;
  kind: ReminderKind | 'digest';
  /** The stage id ("lead-7@20261115", "digest@2026-11-16"). */
  step: string;
  /**
   * The message the row goes out in: the same for every item of one message (a contact's day on a
   * channel: one message a day per person), its own for a digest.
   */
  message: string;
}

/**
 * A calendar day written YYYY-MM-DD that exists; `name` says which field, for the message (a flag
 * of the command line, or the field's label in each language).
 */
export function isoDay(v: string, name: string | Words): string {
  const d = new Date(`${v}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    const label = typeof name === 'string' ? { vi: name, en: name } : name;
    throw new UserError(previewWords('invalidDay', { label, v }));
  }
  return v;
}

/**
 * Every reminder and digest the current configuration would send from `from` to `to` (days in
 * the organisation's zone, both included), sending nothing: the CLI's `dondoc preview` and the
 * administrators' preview page.
 *
 * 1. Check the days (real dates, `from` ≤ `to`, at most {@link PREVIEW_MAX_DAYS} days).
 * 2. {@link planWindow} over the range, on the obligations as they are: a preview writes nothing
 *    (every change to schedules, assignments, groups or holidays reconciles this year and the
 *    next when it is made, and the hourly job does again).
 * 3. Reminders and digests as one list, by time; with `unit`, only the reminders about that unit's
 *    obligations (digests are the administrators').
 */
export async function previewReminders(
  db: Db,
  orgId: string,
  input: { from: string; to: string; maxDays?: number; unit?: string },
): Promise<{ timeZone: string; rows: PreviewRow[] }> {
  const from = isoDay(input.from, previewWords('fromDay'));
  const to = isoDay(input.to, previewWords('toDay'));
  if (from > to) throw new UserError(previewWords('fromAfterTo', { from: shortDate(from), to: shortDate(to) }));
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  const max = input.maxDays ?? PREVIEW_MAX_DAYS;
  if (days > max) throw new UserError(previewWords('rangeTooLong', { days, max }));
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const start = fromZonedTime(`${from}T00:00:00`, org.timeZone);
  const end = fromZonedTime(`${to}T23:59:59.999`, org.timeZone);
  const plan = await planWindow(db, orgId, start, end);
  // One message per contact, channel and day, sent at its earliest item's instant; a unit's
  // preview shows its items with the message they go in, though that message carries others too.
  const keyOf = (r: { contactId: string; channel: string | null; at: Date }) =>
    bundleKey(r.contactId, r.channel, zonedDay(r.at, org.timeZone));
  const sendAt = new Map<string, Date>();
  for (const r of plan.reminders) {
    const key = keyOf(r);
    const had = sendAt.get(key);
    if (!had || r.at < had) sendAt.set(key, r.at);
  }
  const reminders = input.unit === undefined ? plan.reminders : plan.reminders.filter((r) => r.unit === input.unit);
  const rows: PreviewRow[] = [
    ...reminders.map((r) => ({
      at: sendAt.get(keyOf(r)) ?? r.at,
      message: keyOf(r),
      unit: r.unit,
      contact: r.contact,
      channel: r.channel,
      stage: r.stageKind,
      duty: r.duty,
      obligation: r.obligationId,
      kind: r.kind,
      step: r.stage,
    })),
    ...(input.unit === undefined ? plan.digests : []).map((d) => ({
      at: d.at,
      unit: null,
      contact: d.contact,
      channel: d.channel,
      stage: 'digest',
      duty: null,
      obligation: null,
      kind: 'digest' as const,
      step: `digest@${d.day}`,
      message: `digest:${d.contactId}:${d.channel ?? 'none'}:${d.day.replace(/-/g, '')}`,
    })),
  ];
  // Stable: reminders of one instant keep the planner's order (unit, duty, stage, contact).
  rows.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { timeZone: org.timeZone, rows };
}
