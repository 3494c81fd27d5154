import type { MessageItem, OutgoingMessage } from '#root/channels/types.js';
import { channelSpec } from '#root/channels/registry.js';
import { actionable, orderItems, SECTIONS, sectionOf, shorten, type Section } from '#root/domain/bundles.js';
import { firstIn, groupLateByUnit, mostThatFit, type LateUnit } from '#root/domain/late-digest.js';
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

// The views below are classes rather than object literals with spreads and a getter: each message
// builds one per item, and V8 builds a literal with a getter, spread into, by its slow paths (most
// of a message's view before). Their fields are what the templates read (`reminderFields` and
// `bundleItemFields` of src/messages/templates.ts); `confirmUrl` is a getter, signed only if the
// template shows it (email): an HMAC per item is most of a chat message's cost.

/**
 * What every item's view says of it, as every reminder says it: its duty, the period in words
 * ("Quý IV/2026"), the dates, the days left, the commands to confirm or extend it in the reader's
 * language, the indicators its unit has still to report (`indicatorsShown`), and its signed link
 * (`confirmUrl`, signed only when read).
 */
abstract class ItemView {
  readonly unitName: string;
  readonly dutyCode: string;
  readonly dutyTitle: string;
  readonly planCode: string;
  readonly period: string;
  readonly dueDate: string;
  readonly dueDateShort: string;
  readonly dueWeekday: string;
  readonly remaining: string;
  readonly confirmCommand: string;
  readonly extendCommand: string;
  readonly indicatorsMissing: MissingIndicatorsView['indicatorsMissing'];
  readonly indicators: MissingIndicatorsView['indicators'];
  readonly #ctx: ViewContext;
  readonly #obligationId: string;
  #url: string | undefined;

  constructor(
    b: LoadedBundle,
    s: ShownItem,
    ctx: ViewContext,
    o: { unitName: string; dutyTitle: string; indicatorsShown: boolean; remaining?: string },
  ) {
    const ob = s.item.obligation;
    const lang = b.contact.locale;
    this.unitName = o.unitName;
    this.dutyCode = ob.dutyCode;
    this.dutyTitle = o.dutyTitle;
    this.planCode = ob.planCode;
    const words = reminderWords({
      periodKey: ob.periodKey,
      dueDate: s.dueDate,
      workingDaysLeft: workingDaysLeft(s, b.day, ctx.calendar),
      lang,
    });
    this.period = words.period;
    this.dueDate = words.dueDate;
    this.dueDateShort = words.dueDateShort;
    this.dueWeekday = words.dueWeekday;
    this.remaining = o.remaining ?? words.remaining;
    // The code names the period ("4.2-2026Q4"): the duty's code alone would be ambiguous.
    const commands = commandsFor(s.code, lang);
    this.confirmCommand = commands.confirmCommand;
    this.extendCommand = commands.extendCommand;
    const indicators = o.indicatorsShown
      ? (ctx.indicators?.get(s.item.id) ?? NO_MISSING_INDICATORS)
      : NO_MISSING_INDICATORS;
    this.indicatorsMissing = indicators.indicatorsMissing;
    this.indicators = indicators.indicators;
    this.#ctx = ctx;
    this.#obligationId = ob.id;
  }

  get confirmUrl(): string {
    return (this.#url ??= this.#ctx.confirmUrl(this.#obligationId));
  }
}

/** The view of a bundle of one item: that reminder's own message (`reminderFields`). */
class OneItemView extends ItemView {
  readonly contactName: string;
  readonly responsibleUnit: string;
  readonly planTitle: string;
  readonly dueToday: string;

  constructor(b: LoadedBundle, s: ShownItem, ctx: ViewContext) {
    const { item } = s;
    const o = item.obligation;
    super(b, s, ctx, {
      unitName: item.kind === 'cooperating' ? b.contact.unitName : o.unitName,
      dutyTitle: o.dutyTitle,
      indicatorsShown: true,
    });
    this.contactName = b.contact.name;
    this.responsibleUnit = o.unitName;
    this.planTitle = o.planTitle;
    // The due stage is sent on the last working day on or before the due date: the message says
    // "today is the due date" only when it is (a Sunday's report is reminded on the Friday).
    this.dueToday = b.day === s.dueDate ? 'yes' : '';
  }
}

/** One item of the day's list (`bundleItemFields`). */
class ListItemView extends ItemView {
  readonly code: string;
  readonly #actionable: boolean;

  constructor(b: LoadedBundle, s: ShownItem, ctx: ViewContext, titleMax?: number) {
    const o = s.item.obligation;
    const canAct = actionable(s.section);
    super(b, s, ctx, {
      unitName: o.unitName,
      dutyTitle: shorten(o.dutyTitle, titleMax),
      // A yearly report in the day's list still lists the indicators its unit has to report.
      indicatorsShown: canAct,
      // The due stage of a weekend due date goes out on the working day before it: not "today".
      ...(s.section === 'dueToday' && s.dueDate > b.day
        ? { remaining: say(b.contact.locale, 'bundle.lastWorkingDay') }
        : {}),
    });
    this.code = s.code;
    this.#actionable = canAct;
  }

  override get confirmUrl(): string {
    return this.#actionable ? super.confirmUrl : '';
  }
}

/** A template's view made of the classes above: the templates read their fields as they read a plain object's. */
const asView = (v: object) => v as View;

/**
 * The message of a bundle. One item: that reminder's own message, worded as before (its stage's
 * template, ✅ / 📅 under it). Several: the day's list (`reminder-bundle`), by section, each item
 * with its code and its own ✅ / 📅 (Telegram buttons; Zalo and the sandbox the words to type;
 * email a signed link each). A channel shows at most its spec's `shownItems` in full and keeps
 * under its `maxLength` characters (fewer items are shown until it fits); the rest are counted,
 * by what the reader can do about them (`moreToDo`, `moreCooperating`). Duty titles are shortened in a list ({@link shorten}).
 */
export function bundleMessage(
  b: LoadedBundle,
  items: LoadedItem[],
  ctx: ViewContext,
): { message: OutgoingMessage; shown: ShownItem[] } {
  const shown = shownItems(b, items);
  const first = shown[0]!;
  const ref = { reminderId: first.item.id, bundleId: b.id };
  if (shown.length === 1) {
    const { item } = first;
    const message: OutgoingMessage = {
      orgId: b.orgId,
      ref,
      obligationId: item.obligation.id,
      ...(actionable(first.section) ? { actions: ['done' as const] } : {}),
      ...renderMessage(
        ctx.templates,
        MESSAGE_OF[item.kind],
        b.channel,
        b.contact.locale,
        asView(new OneItemView(b, first, ctx)),
        ctx.edited,
      ),
    };
    return { message, shown };
  }
  const list = new DayList(b, shown, ctx, ref);
  const { limit } = list;
  let n = Math.min(list.own.length, list.most);
  let m = list.lateOrder.length;
  // Too long for one message: the late list gives way first (to one item), then the person's own
  // items (to one), then the rest of the late list.
  if (list.at(n, m).message.text.length > limit)
    m = mostThatFit(m, limit, (k) => list.at(n, k).message.text, Math.min(m, 1));
  while (n > 1 && list.at(n, m).message.text.length > limit) n--;
  if (list.at(n, m).message.text.length > limit) m = mostThatFit(m, limit, (k) => list.at(n, k).message.text);
  const { message, order } = list.at(n, m);
  // The order the message shows them in, then those not shown (a layout is read by position).
  if (order.length === shown.length) return { message, shown: order };
  const inOrder = new Set(order);
  const rest = shown.filter((s) => !inOrder.has(s));
  return { message, shown: [...order, ...rest] };
}

/** One rendering of the day's list: its message and the items it shows, in their order. */
interface Composed {
  message: OutgoingMessage;
  order: ShownItem[];
}

/**
 * The day's message of several items, rendered with the first `n` of the person's own items and
 * the first `m` of the late list ({@link DayList.at}), each (n, m) once: the fitting to the
 * channel's length asks for the same one up to four times.
 *
 * The person's own items (with ✅ / 📅) and "để phối hợp" are listed one by one, at most the
 * channel's `shownItems`; other units' escalated items (a supervisor's or administrator's late
 * list) are grouped by unit, the most overdue first, and cut only by length, with /tonghop for
 * the rest.
 */
class DayList {
  readonly own: ShownItem[];
  readonly late: LateUnit<{ s: ShownItem; unitName: string; code: string; daysLate: number }>[];
  readonly lateOrder: ShownItem[];
  readonly limit: number;
  readonly most: number;
  readonly #b: LoadedBundle;
  readonly #shown: ShownItem[];
  readonly #ctx: ViewContext;
  readonly #ref: OutgoingMessage['ref'];
  readonly #ownViews: ListItemView[];
  readonly #lateViews: Map<ShownItem, ListItemView>;
  readonly #composed = new Map<number, Composed>();

  constructor(b: LoadedBundle, shown: ShownItem[], ctx: ViewContext, ref: OutgoingMessage['ref']) {
    this.#b = b;
    this.#shown = shown;
    this.#ctx = ctx;
    this.#ref = ref;
    this.own = shown.filter((s) => s.section !== 'late');
    this.late = groupLateByUnit(
      shown
        .filter((s) => s.section === 'late')
        .map((s) => ({ s, unitName: s.unitName, code: s.code, daysLate: -workingDaysLeft(s, b.day, ctx.calendar) })),
    );
    this.lateOrder = this.late.flatMap((u) => u.items.map((x) => x.s));
    this.#ownViews = this.own.map((s) => new ListItemView(b, s, ctx));
    this.#lateViews = new Map(this.lateOrder.map((s) => [s, new ListItemView(b, s, ctx, LATE_TITLE_MAX)]));
    const spec = channelSpec(b.channel);
    this.limit = spec.maxLength;
    this.most = spec.shownItems;
  }

  /** The message with the first `n` own items and the first `m` late ones. */
  at(n: number, m: number): Composed {
    const key = n * (this.lateOrder.length + 1) + m;
    let hit = this.#composed.get(key);
    if (!hit) this.#composed.set(key, (hit = this.#render(n, m)));
    return hit;
  }

  #render(n: number, m: number): Composed {
    const b = this.#b;
    const { own, late, lateOrder } = this;
    const lateViews = this.#lateViews;
    const lateShown = late.length ? firstIn(late, 'items', m) : [];
    const ownShown = own.length > n ? own.slice(0, n) : own;
    // The items not shown by what the reader can do about them: their own (listed by /viec, and on
    // the email link's page) and "để phối hợp" ones (neither lists them). Own items come first.
    let moreToDo = 0;
    for (let i = n; i < own.length; i++) if (actionable(own[i]!.section)) moreToDo++;
    const view: View = {
      contactName: b.contact.name,
      unitName: b.contact.unitName,
      date: shortDate(b.day),
      count: this.#shown.length,
      // What is theirs to do or to cooperate on, apart from other units' late items (for information).
      yoursCount: own.length,
      more: own.length - ownShown.length,
      moreToDo,
      moreCooperating: own.length - ownShown.length - moreToDo,
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
          lateItems: u.items.map((x) => asView(lateViews.get(x.s)!)),
        };
      }),
    };
    const ownViews = this.#ownViews;
    for (const section of SECTIONS) {
      let list: View[];
      if (section === 'late') list = lateShown.flatMap((u) => u.items.map((x) => asView(lateViews.get(x.s)!)));
      else {
        list = [];
        for (let i = 0; i < ownShown.length; i++) if (ownShown[i]!.section === section) list.push(asView(ownViews[i]!));
      }
      view[section] = list;
      view[`${section}Count`] = list.length;
    }
    const order = lateShown.length ? [...ownShown, ...lateShown.flatMap((u) => u.items.map((x) => x.s))] : ownShown;
    const items: MessageItem[] = order.map((s) => ({
      obligationId: s.obligationId,
      code: s.code,
      actions: actionable(s.section),
    }));
    const message: OutgoingMessage = {
      orgId: b.orgId,
      ref: this.#ref,
      items,
      ...renderMessage(this.#ctx.templates, 'reminder-bundle', b.channel, b.contact.locale, view, this.#ctx.edited),
    };
    return { message, order };
  }
}
