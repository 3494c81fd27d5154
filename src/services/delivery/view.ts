import type { MessageItem, OutgoingMessage } from '#root/channels/types.js';
import { channelSpec } from '#root/channels/registry.js';
import { actionable, orderItems, SECTIONS, sectionOf, shorten, type Section } from '#root/domain/bundles.js';
import { firstIn, groupLateByUnit, mostThatFit } from '#root/domain/late-digest.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { parseStageId } from '#root/domain/stages.js';
import { reminderWords, shortDate } from '#root/domain/wording.js';
import type { WorkingCalendar } from '#root/domain/working-days.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { say } from '#root/messages/chat-words.js';
import { commandsFor } from '#root/messages/reminder-view.js';
import {
  renderMessage,
  type MessageName,
  type TemplateOverrides,
  type TemplateSet,
  type View,
} from '#root/messages/templates.js';
import { NO_MISSING_INDICATORS, type MissingIndicatorsView } from '../indicators.js';
import type { LoadedBundle, LoadedItem } from './load.js';

const MESSAGE_OF: Record<LoadedItem['kind'], MessageName> = {
  lead: 'reminder-lead',
  due: 'reminder-due',
  overdue: 'reminder-overdue',
  escalation: 'reminder-escalation',
  cooperating: 'reminder-cooperating',
};

/** A duty title in a supervisor's late list is shortened further: the list names many items. */
const LATE_TITLE_MAX = 60;

/** What the view of a bundle needs besides the bundle: how to render, sign links, count days. */
export interface ViewContext {
  templates: TemplateSet;
  edited: TemplateOverrides;
  calendar: WorkingCalendar;
  /** A signed confirmation link for one obligation, valid from now. */
  confirmUrl(obligationId: string): string;
  /** By item id: the indicators its unit has not reported (a yearly report's reminder); none when absent. */
  indicators?: ReadonlyMap<string, MissingIndicatorsView>;
}

/** One item as the message shows it. */
export interface ShownItem {
  item: LoadedItem;
  obligationId: string;
  section: Section;
  dueDate: string;
  dutyCode: string;
  unitName: string;
  code: string;
}

/** The items of a bundle in the order they are shown (one per obligation, most urgent first). */
export function shownItems(b: LoadedBundle, items: LoadedItem[]): ShownItem[] {
  return orderItems(
    items.map((item) => {
      const o = item.obligation;
      const dueDate = zonedDay(dueInstant(o), b.timeZone);
      // An escalation about the person's own unit (a head's first escalation) is theirs to act on:
      // it is shown as overdue, with its ✅ / 📅; other units' are the late list, for information.
      const kind = item.kind === 'escalation' && o.unitName === b.contact.unitName ? 'overdue' : item.kind;
      return {
        item,
        obligationId: o.id,
        section: sectionOf(kind, dueDate, b.day),
        dueDate,
        dutyCode: o.dutyCode,
        unitName: o.unitName,
        code: obligationCode(o.dutyCode, o.periodKey),
      };
    }),
  );
}

/** Signed working days from the day a bundle is sent to the item's due date (as the single reminders said it). */
function workingDaysLeft(s: ShownItem, sendDay: string, calendar: WorkingCalendar): number {
  const stage = parseStageId(s.item.stage);
  if (stage?.kind === 'lead' && stage.n !== null) return stage.n;
  if (stage?.kind === 'due') return 0;
  return sendDay <= s.dueDate
    ? calendar.workingDaysBetween(sendDay, s.dueDate)
    : -calendar.workingDaysBetween(s.dueDate, sendDay);
}

/**
 * The message of a bundle. One item: that reminder's own message, worded as before (its stage's
 * template, ✅ / 📅 under it). Several: the day's list (`reminder-bundle`), by section, each item
 * with its code and its own ✅ / 📅 (Telegram buttons; Zalo and the sandbox the words to type;
 * email a signed link each). A channel shows at most its spec's `shownItems` in full and keeps
 * under its `maxLength` characters (fewer items are shown until it fits); the rest are counted,
 * with /viec to list them. Duty titles are shortened in a list ({@link shorten}).
 */
export function bundleMessage(
  b: LoadedBundle,
  items: LoadedItem[],
  ctx: ViewContext,
): { message: OutgoingMessage; shown: ShownItem[] } {
  const lang = b.contact.locale;
  const indicatorsOf = (item: LoadedItem) => ctx.indicators?.get(item.id) ?? NO_MISSING_INDICATORS;
  const shown = shownItems(b, items);
  const first = shown[0]!;
  const ref = { reminderId: first.item.id, bundleId: b.id };
  if (shown.length === 1) {
    const { item } = first;
    const o = item.obligation;
    let url: string | undefined;
    const view: View = {
      contactName: b.contact.name,
      unitName: item.kind === 'cooperating' ? b.contact.unitName : o.unitName,
      responsibleUnit: o.unitName,
      dutyCode: o.dutyCode,
      dutyTitle: o.dutyTitle,
      planCode: o.planCode,
      planTitle: o.planTitle,
      // The period in words ("Quý IV/2026"), the dates and the days left as every reminder says them.
      ...reminderWords({
        periodKey: o.periodKey,
        dueDate: first.dueDate,
        workingDaysLeft: workingDaysLeft(first, b.day, ctx.calendar),
        lang,
      }),
      // The due stage is sent on the last working day on or before the due date: the message says
      // "today is the due date" only when it is (a Sunday's report is reminded on the Friday).
      dueToday: b.day === first.dueDate ? 'yes' : '',
      // The code names the period ("4.2-2026Q4"): the duty's code alone would be ambiguous.
      ...commandsFor(first.code, lang),
      // Signed only if the template shows it (email): an HMAC per item is most of a chat message's cost.
      get confirmUrl() {
        return (url ??= ctx.confirmUrl(o.id));
      },
      ...indicatorsOf(item),
    };
    const message: OutgoingMessage = {
      orgId: b.orgId,
      ref,
      obligationId: o.id,
      ...(actionable(first.section) ? { actions: ['done' as const] } : {}),
      ...renderMessage(ctx.templates, MESSAGE_OF[item.kind], b.channel, lang, view, ctx.edited),
    };
    return { message, shown };
  }
  const viewOf = (s: ShownItem, titleMax?: number) => {
    const o = s.item.obligation;
    let url: string | undefined;
    return {
      code: s.code,
      unitName: o.unitName,
      dutyCode: o.dutyCode,
      dutyTitle: shorten(o.dutyTitle, titleMax),
      planCode: o.planCode,
      ...reminderWords({
        periodKey: o.periodKey,
        dueDate: s.dueDate,
        workingDaysLeft: workingDaysLeft(s, b.day, ctx.calendar),
        lang,
      }),
      // The due stage of a weekend due date goes out on the working day before it: not "today".
      ...(s.section === 'dueToday' && s.dueDate > b.day ? { remaining: say(lang, 'bundle.lastWorkingDay') } : {}),
      ...commandsFor(s.code, lang),
      get confirmUrl() {
        return actionable(s.section) ? (url ??= ctx.confirmUrl(o.id)) : '';
      },
      // A yearly report in the day's list still lists the indicators its unit has to report.
      ...(actionable(s.section) ? indicatorsOf(s.item) : NO_MISSING_INDICATORS),
    };
  };
  // The person's own items (with ✅ / 📅) and "để phối hợp" are listed one by one, at most the
  // channel's `shownItems`; other units' escalated items (a supervisor's or administrator's late
  // list) are grouped by unit, the most overdue first, and cut only by length, with /tonghop for
  // the rest. The items are returned in the order the message shows them (its layout).
  const own = shown.filter((s) => s.section !== 'late');
  const late = groupLateByUnit(
    shown
      .filter((s) => s.section === 'late')
      .map((s) => ({ s, unitName: s.unitName, code: s.code, daysLate: -workingDaysLeft(s, b.day, ctx.calendar) })),
  );
  const lateOrder = late.flatMap((u) => u.items.map((x) => x.s));
  const ownViews = own.map((s) => viewOf(s));
  const lateViews = new Map(lateOrder.map((s) => [s, viewOf(s, LATE_TITLE_MAX)]));
  const { maxLength: limit, shownItems: most } = channelSpec(b.channel);
  const render = (n: number, m: number) => {
    const lateShown = firstIn(late, 'items', m);
    const ownShown = own.slice(0, n);
    const view: View = {
      contactName: b.contact.name,
      unitName: b.contact.unitName,
      date: shortDate(b.day),
      count: shown.length,
      more: own.length - n,
      lateTotal: lateOrder.length,
      lateUnitTotal: late.length,
      lateMore: lateOrder.length - m,
      lateUnits: lateShown.map((u) => {
        const all = late.find((x) => x.unitName === u.unitName)!.items;
        return {
          unitName: u.unitName,
          itemCount: all.length,
          // A chat's one line per unit: how late its most overdue item is, and the codes shown.
          worst: lateViews.get(all[0]!.s)!.remaining,
          codes: u.items.map((x) => x.s.code).join(', '),
          lateItems: u.items.map((x) => lateViews.get(x.s)!),
        };
      }),
    };
    for (const section of SECTIONS) {
      const list =
        section === 'late'
          ? lateShown.flatMap((u) => u.items.map((x) => lateViews.get(x.s)!))
          : ownViews.slice(0, n).filter((_, i) => own[i]!.section === section);
      view[section] = list;
      view[`${section}Count`] = list.length;
    }
    const order = [...ownShown, ...lateShown.flatMap((u) => u.items.map((x) => x.s))];
    const items: MessageItem[] = order.map((s) => ({
      obligationId: s.obligationId,
      code: s.code,
      actions: actionable(s.section),
    }));
    const message: OutgoingMessage = {
      orgId: b.orgId,
      ref,
      items,
      ...renderMessage(ctx.templates, 'reminder-bundle', b.channel, lang, view, ctx.edited),
    };
    return { message, order };
  };
  // Each (n, m) rendered once: the fitting below asks for the same one up to four times.
  const composed = new Map<number, ReturnType<typeof render>>();
  const compose = (n: number, m: number) => {
    const key = n * (lateOrder.length + 1) + m;
    let hit = composed.get(key);
    if (!hit) composed.set(key, (hit = render(n, m)));
    return hit;
  };
  const fits = (c: { message: OutgoingMessage }) => c.message.text.length <= limit;
  let n = Math.min(own.length, most);
  let m = lateOrder.length;
  // Too long for one message: the late list gives way first (to one item), then the person's own
  // items (to one), then the rest of the late list.
  if (!fits(compose(n, m))) m = mostThatFit(m, limit, (k) => compose(n, k).message.text, Math.min(m, 1));
  while (n > 1 && !fits(compose(n, m))) n--;
  if (!fits(compose(n, m))) m = mostThatFit(m, limit, (k) => compose(n, k).message.text);
  const { message, order } = compose(n, m);
  // The order the message shows them in, then those not shown (a layout is read by position).
  const inOrder = new Set(order);
  const rest = shown.filter((s) => !inOrder.has(s));
  return { message, shown: [...order, ...rest] };
}
