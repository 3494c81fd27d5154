import { dueInstant } from './obligation-state.js';
import { atLocalTime, parseStageId } from './stages.js';
import type { IsoDate } from './types.js';
import { zonedDay } from './zoned-day.js';

/**
 * One message a day per person (issue 14). The reminders of a contact on one channel and one local
 * working day go out together, as one message (a bundle), built when it is sent from the items
 * still open. This module is the pure part: which bundle a reminder belongs to, why an item or a
 * bundle is no longer wanted, and the order the items are shown in.
 */

/** The bundle of the day's planned reminders; a nudge has one of its own ("nudge-<t>"). */
export const DAY_SLOT = 'day';

/** The slot of a reminder's stage: its nudge's step for a manual nudge, else {@link DAY_SLOT}. */
export function bundleSlot(stage: string): string {
  const parsed = parseStageId(stage);
  return parsed?.kind === 'nudge' ? parsed.step : DAY_SLOT;
}

/**
 * The identity of one message: contact, channel (or "none" when the contact has no working
 * channel), local day and slot. The same for every item of a bundle; `dondoc preview --json` shows
 * it as `message`.
 */
export const bundleKey = (contactId: string, channel: string | null, day: IsoDate, slot: string = DAY_SLOT) =>
  `${contactId}:${channel ?? 'none'}:${day.replace(/-/g, '')}:${slot}`;

/** The local day a reminder scheduled at `at` is sent on. */
export const bundleDay = (at: Date, zone: string): IsoDate => zonedDay(at, zone);

/** The item's kind, as stored on the reminder. */
export type ItemKind = 'lead' | 'due' | 'overdue' | 'escalation' | 'cooperating';

/**
 * The sections of a bundle, most urgent first: overdue, due today, due soon, late units (the
 * escalation list of a head, supervisor or administrator), then "để phối hợp" for cooperating units.
 */
export type Section = 'overdue' | 'dueToday' | 'soon' | 'late' | 'cooperating';
export const SECTIONS: readonly Section[] = ['overdue', 'dueToday', 'soon', 'late', 'cooperating'];

/** Which section an item goes in, from its kind and its due date against the day it is sent. */
export function sectionOf(kind: ItemKind, dueDate: IsoDate, sendDay: IsoDate): Section {
  if (kind === 'escalation') return 'late';
  if (kind === 'cooperating') return 'cooperating';
  if (dueDate < sendDay || kind === 'overdue') return 'overdue';
  if (kind === 'due' || dueDate === sendDay) return 'dueToday';
  return 'soon';
}

/** Whether the section asks the recipient to act (✅ / 📅 per item). */
export const actionable = (s: Section) => s === 'overdue' || s === 'dueToday' || s === 'soon';

export interface OrderedItem {
  obligationId: string;
  section: Section;
  dueDate: IsoDate;
  /** For a stable order: the duty's code, then the unit's name. */
  dutyCode: string;
  unitName: string;
}

// Collators made once: `localeCompare` with options builds one per call (most of a bundle's sort).
const codes = new Intl.Collator(undefined, { numeric: true });
const names = new Intl.Collator('vi');
const codeOrder = (a: string, b: string) => codes.compare(a, b);
/** A section's place in {@link SECTIONS}, the most urgent first. */
const rank = (s: Section) => SECTIONS.indexOf(s);

/**
 * The items of one bundle as they are shown: one per obligation (a head with an overdue nudge and
 * an escalation about the same obligation on one day sees it once, in its most urgent section),
 * by section, then the earliest due date, then duty code and unit.
 */
export function orderItems<T extends OrderedItem>(items: T[]): T[] {
  const best = new Map<string, T>();
  for (const item of items) {
    const had = best.get(item.obligationId);
    if (!had || rank(item.section) < rank(had.section)) best.set(item.obligationId, item);
  }
  return [...best.values()].sort(
    (a, b) =>
      rank(a.section) - rank(b.section) ||
      a.dueDate.localeCompare(b.dueDate) ||
      codeOrder(a.dutyCode, b.dutyCode) ||
      names.compare(a.unitName, b.unitName),
  );
}

/** What decides whether one item is still wanted when its bundle is built. */
export interface ItemState {
  /** open | done | waived … */
  obligationStatus: string;
  /** False once the schedule or assignment no longer produces the obligation. */
  current: boolean;
  /** The reminder's stage id. */
  stage: string;
  /** The obligation's due day now (after any extension), in the organisation's zone. */
  dueDate: IsoDate;
}

/**
 * Why an item is left out of its bundle (null: it goes out). Confirmed, waived or otherwise
 * closed; no longer current; or its due date moved (an extension: the stage counted from the old
 * date, and the new date has stages of its own).
 */
export function itemStaleness(s: ItemState): string | null {
  if (s.obligationStatus !== 'open') return s.obligationStatus;
  if (!s.current) return 'retired';
  if (parseStageId(s.stage)?.dueDate !== s.dueDate) return 'due date moved';
  return null;
}

/** An item of a bundle as staleness reads it: its stage and its obligation now. */
export interface BundleItemState {
  stage: string;
  obligation: { status: string; current: boolean; dueAt: Date; extendedTo: Date | null };
}

/**
 * The items of a bundle that still go out (`live`), and those left out with why (`dropped`, by
 * {@link itemStaleness}): the obligation's due day is read in the organisation's `zone`, after
 * any extension.
 */
export function partitionStale<T extends BundleItemState>(
  items: readonly T[],
  zone: string,
): { live: T[]; dropped: { item: T; reason: string }[] } {
  const live: T[] = [];
  const dropped: { item: T; reason: string }[] = [];
  for (const item of items) {
    const reason = itemStaleness({
      obligationStatus: item.obligation.status,
      current: item.obligation.current,
      stage: item.stage,
      dueDate: zonedDay(dueInstant(item.obligation), zone),
    });
    if (reason) dropped.push({ item, reason });
    else live.push(item);
  }
  return { live, dropped };
}

/**
 * Why a whole bundle is not sent (null: it is): its contact left, or, for the day's bundle, its
 * sending window closed before it could go (the program was down: it is dropped rather than sent
 * in the evening; the next day's bundle carries on). A nudge is sent whenever it is asked for.
 */
export function bundleStaleness(s: {
  contactActive: boolean;
  slot: string;
  scheduledAt: Date;
  windowEnd: string;
  zone: string;
  now: Date;
}): string | null {
  if (!s.contactActive) return 'contact inactive';
  if (s.slot === DAY_SLOT && missedWindow(s.scheduledAt, s.windowEnd, s.zone, s.now))
    return 'missed its sending window';
  return null;
}

/** Whether `now` is past the end of the sending window of the day `scheduledAt` falls on. */
export function missedWindow(scheduledAt: Date, windowEnd: string, zone: string, now: Date): boolean {
  return now.getTime() > atLocalTime(zonedDay(scheduledAt, zone), windowEnd, zone).getTime();
}

/** A duty title longer than this is shortened in a bundle ("…"): one title must not crowd out the others. */
export const TITLE_MAX = 160;

/**
 * `text` in at most `max` characters (not bytes): cut with "…", at the last space of the last
 * fifth kept where there is one (a word is not cut in two), else in the word.
 */
export function shorten(text: string, max = TITLE_MAX): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const kept = chars.slice(0, max - 1).join('');
  const space = kept.lastIndexOf(' ');
  const cut = space >= kept.length - Math.floor(max / 5) ? kept.slice(0, space) : kept;
  return `${cut.replace(/[\s,;:.–-]+$/u, '')}…`;
}
