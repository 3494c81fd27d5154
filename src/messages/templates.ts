import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Mustache from 'mustache';
import { channelSpec, CHANNEL_SPECS, escaperFor } from '#root/channels/registry.js';
import type { Lang } from '#root/domain/wording.js';
import { UserError } from '#root/errors/index.js';
import { boundedMemo } from '#root/lib/bounded-memo.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * Message templates: `templates/<lang>/<message>.<channel>.<part>`, e.g.
 * `templates/vi/reminder-due.email.subject.txt`. Mustache: logic-less ({{name}}, and sections to
 * repeat a list), so administrators can edit them safely. Rendering is pure; every value is escaped
 * for its target, as its channel's spec says (Telegram HTML, email HTML, nothing for plain text).
 */

const templateWords = serviceWords('templates');

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/**
 * The plan's indicators a unit has not reported yet for the year, listed in the reminders of its
 * yearly report: `ref` what to type after /chitieu, `target` in words ("80%"), `command` the
 * whole command to type ("/chitieu 1 <tử số>/<mẫu số>").
 */
const INDICATOR_FIELDS = ['ref', 'title', 'target', 'command'] as const;

/** The messages dondoc sends, and the placeholders each may use. */
export const MESSAGES = {
  'reminder-lead': { fields: reminderFields(), lists: { indicators: INDICATOR_FIELDS } },
  'reminder-due': { fields: reminderFields(), lists: { indicators: INDICATOR_FIELDS } },
  'reminder-overdue': { fields: reminderFields(), lists: { indicators: INDICATOR_FIELDS } },
  'reminder-escalation': { fields: [...reminderFields(), 'responsibleUnit'], lists: {} },
  'reminder-cooperating': { fields: reminderFields(), lists: {} },
  /**
   * The day's message of several items (one message a day per person): the sections most urgent
   * first, each a list of items; `count` all the items, `yoursCount` those that are the person's to
   * do or to cooperate on (all but other units' late items, shown for information); `more` those
   * not shown in full (a section: {{#more}}…{{/more}}), `moreToDo` those of them the person is to
   * do (listed by /viec, and on the page an email's link opens), `moreCooperating` the "để phối
   * hợp" ones (listed nowhere else).
   */
  'reminder-bundle': {
    fields: [
      'contactName',
      'unitName',
      'date',
      'count',
      'yoursCount',
      'more',
      'moreToDo',
      'moreCooperating',
      /** How many items each section has (a section: {{#overdueCount}}heading{{/overdueCount}}). */
      'overdueCount',
      'dueTodayCount',
      'soonCount',
      'lateCount',
      'cooperatingCount',
      /**
       * A supervisor's or administrator's late list (other units' escalated items): all its items,
       * its units, and the items not shown for the channel's length limit (a section, with
       * /tonghop for the rest).
       */
      'lateTotal',
      'lateUnitTotal',
      'lateMore',
    ],
    lists: {
      overdue: bundleItemFields(),
      dueToday: bundleItemFields(),
      soon: bundleItemFields(),
      /** The late list as one flat list (templates written before it was grouped by unit). */
      late: bundleItemFields(),
      /**
       * The late list grouped by unit, the most overdue first: `itemCount` all the unit's late items,
       * `worst` how overdue the most overdue of them is ("quá hạn 6 ngày làm việc"), `codes` the
       * codes of those shown ("3.2-2026Q3, 6.3-2026": a chat's one line per unit), `lateItems` those shown.
       */
      lateUnits: ['unitName', 'itemCount', 'worst', 'codes'],
      lateItems: bundleItemFields(),
      cooperating: bundleItemFields(),
      /** In an item of overdue, dueToday or soon: the indicators its unit has not reported (a yearly report). */
      indicators: INDICATOR_FIELDS,
    },
  },
  digest: {
    /** `failedCount`: how many reminders a channel refused, a section ({{#failedCount}}…{{/failedCount}}) for the list's heading. */
    fields: [
      'contactName',
      'date',
      'orgName',
      /** Became overdue since the previous digest. */
      'overdueCount',
      'confirmedCount',
      /** Open and past due (after any extension): the same as lateCount. */
      'openCount',
      'failedCount',
      /** Late now (after any extension), and the duties they belong to. */
      'lateCount',
      'lateDutyCount',
      /** Late units not shown (the channel's length limit): a section, with /tonghop or statusUrl for the rest. */
      'lateMore',
      /** Confirmations not shown (the channel's length limit): a section. */
      'confirmedMore',
      /** The administrators' status page, for the rest of the late list. */
      'statusUrl',
    ],
    lists: {
      /**
       * Everything late now, grouped by duty, the most overdue first: `unitCount` the duty's late
       * units (all of them, even when fewer are shown), `units` the list of them.
       */
      late: ['dutyCode', 'dutyTitle', 'unitCount'],
      /**
       * In a duty of `late`: one late unit — `period` in words ("Quý IV/2026"), `overdueBy` in words
       * ("quá hạn 3 ngày làm việc"), `daysLate` the number, `isNew` non-empty when it became
       * overdue since the previous digest (a section).
       */
      units: ['unitName', 'period', 'overdueBy', 'daysLate', 'dueDateShort', 'isNew'],
      /** Became overdue since the previous digest, by duty code (the late list marks them too). */
      overdue: ['unitName', 'dutyCode', 'dutyTitle', 'dueDate', 'dueDateShort'],
      confirmed: ['unitName', 'dutyCode', 'dutyTitle', 'confirmedBy', 'confirmedAt'],
      unreachable: ['personName', 'unitName', 'reason'],
      /**
       * Reminders a channel refused for good (one message, the channel still works): `channel` and
       * `reason` in words; `fallback` the channel it went by instead, empty when none was left (a
       * section: {{#fallback}}…{{/fallback}}{{^fallback}}…{{/fallback}}).
       */
      failed: ['dutyCode', 'dutyTitle', 'unitName', 'personName', 'channel', 'reason', 'fallback'],
    },
  },
} as const satisfies Record<string, { fields: readonly string[]; lists: Record<string, readonly string[]> }>;

function bundleItemFields() {
  return [
    /** The obligation's code with its period ("4.2-2026Q4"): what /xong and /giahan take. */
    'code',
    'unitName',
    'dutyCode',
    'dutyTitle',
    'planCode',
    'period',
    'dueDate',
    'dueDateShort',
    /** The due date's day of the week ("Chủ nhật"). */
    'dueWeekday',
    /** "còn 3 ngày làm việc", "hạn là hôm nay", "quá hạn 2 ngày làm việc", "hôm nay là ngày làm việc cuối cùng trước hạn". */
    'remaining',
    'confirmCommand',
    'extendCommand',
    'confirmUrl',
    /** How many indicators of the year the item's unit has not reported (a yearly report), '' when none: a section. */
    'indicatorsMissing',
  ] as const;
}

function reminderFields() {
  return [
    'contactName',
    'unitName',
    'dutyCode',
    'dutyTitle',
    'planCode',
    'planTitle',
    'period',
    'dueDate',
    'dueDateShort',
    /** The due date's day of the week ("Chủ nhật"). */
    'dueWeekday',
    /** Non-empty when today is the due date itself: a section ({{#dueToday}}…{{/dueToday}}{{^dueToday}}…{{/dueToday}}). */
    'dueToday',
    'remaining',
    'confirmCommand',
    'extendCommand',
    'confirmUrl',
    /** How many indicators of the year the unit has not reported (a yearly report's reminder), '' when none: a section. */
    'indicatorsMissing',
  ] as const;
}

export type MessageName = keyof typeof MESSAGES;
export type { Channel };
/** The parts of a message on each channel (src/channels/registry.ts). */
export const PARTS: Readonly<Record<Channel, string[]>> = Object.fromEntries(
  CHANNEL_SPECS.map((s) => [s.name, s.parts.map((p) => p.part)]),
) as Record<Channel, string[]>;

/** A template's values: text, numbers, and lists of views (an item of a list may hold a list: a bundle item's indicators). */
export type View = { [key: string]: string | number | View[] };

/**
 * The placeholders a template uses that its message does not offer (empty when the template is
 * valid). Unknown sections and names inside sections are checked against the section's fields.
 */
export function unknownPlaceholders(message: MessageName, source: string): string[] {
  const spec = MESSAGES[message];
  const lists = spec.lists as Record<string, readonly string[]>;
  const unknown = new Set<string>();
  const walk = (tokens: Mustache.TemplateSpans, allowed: readonly string[]) => {
    for (const t of tokens) {
      const [type, name] = t as unknown as [string, string];
      if (type === 'name' || type === '&') {
        if (!allowed.includes(name) && name !== '.') unknown.add(name);
      } else if (type === '#' || type === '^') {
        const children = (t as unknown as [string, string, number, number, Mustache.TemplateSpans])[4];
        if (lists[name]) walk(children, [...lists[name]!, ...allowed]);
        // A field as a section (shown when not empty), of the message or of the list it is in.
        else if (allowed.includes(name)) walk(children, allowed);
        else unknown.add(name);
      }
    }
  };
  // A writer of its own: the default one caches every template it parses, and this checks text
  // typed by administrators (each preview a new text), which must not pile up in a long-lived process.
  walk(new Mustache.Writer().parse(source), spec.fields);
  return [...unknown];
}

/** The key of one template: `<lang>/<message>.<channel>.<part>`, as its file is named. */
export const templateKey = (message: string, channel: string, part: string, lang: string) =>
  `${lang}/${message}.${channel}.${part}`;

/**
 * Renders one template's source for a channel and part: values escaped for the target, blank
 * lines of plain text squeezed. `writer` is a Mustache writer of the caller's (to keep text typed
 * for a preview out of the shared parse cache); the default writer otherwise.
 */
export function renderSource(
  source: string,
  channel: Channel,
  part: string,
  view: View,
  writer?: Mustache.Writer,
): string {
  const config = { escape: escaperFor(channel, part) };
  const out = writer
    ? writer.render(source, view, {}, config)
    : renderer.renderTokens(tokensOf(source), new Mustache.Context(view), {}, source, config);
  return part.endsWith('txt') ? out.replace(/\n{3,}/g, '\n\n').trim() : out;
}

/**
 * The templates of the messages sent, parsed once per text. Mustache's own cache is keyed by the
 * text joined with its tags — a new string of the whole template, hashed at every render (two
 * to four per message). Here the key is the text itself, whose hash V8 keeps. Bounded: the texts
 * are the files' and the organisations' edited ones (a few hundred), and a process that met more
 * starts again from none.
 */
const parsed = boundedMemo<string, string[][]>(2_000);
/** Parses without caching (see {@link parsed}), and renders parsed tokens as `Mustache.render` would. */
const renderer = new Mustache.Writer();
(renderer as { templateCache?: unknown }).templateCache = undefined;

function tokensOf(source: string): string[][] {
  return parsed(source, () => renderer.parse(source) as string[][]);
}

/**
 * An organisation's own versions of some templates (edited on the administrators' page), by
 * {@link templateKey}. They take precedence over the files.
 */
export type TemplateOverrides = ReadonlyMap<string, string>;

export interface TemplateSet {
  /**
   * Renders one part; throws when the template is missing. With `overrides` (an organisation's
   * edited templates) an override in the language wins over the file, then the Vietnamese ones.
   */
  render(
    message: MessageName,
    channel: Channel,
    part: string,
    lang: Lang,
    view: View,
    overrides?: TemplateOverrides,
  ): string;
  has(message: MessageName, channel: Channel, part: string, lang: Lang): boolean;
  /** A file template's text (undefined when there is no such file). */
  source(message: MessageName, channel: Channel, part: string, lang: Lang): string | undefined;
}

/** Loads every template under `dir` once, checking each against its message's placeholders. */
export function loadTemplates(dir = TEMPLATES_DIR): TemplateSet {
  const sources = new Map<string, string>();
  for (const lang of readdirSync(dir)) {
    for (const file of readdirSync(path.join(dir, lang))) {
      const message = file.split('.')[0] as MessageName;
      if (!(message in MESSAGES)) throw new UserError(templateWords('unknownTemplateFile', { lang, file }));
      const source = readFileSync(path.join(dir, lang, file), 'utf8');
      const unknown = unknownPlaceholders(message, source);
      if (unknown.length) {
        throw new UserError(templateWords('fileUnknownPlaceholders', { lang, file, unknown: unknown.join(', ') }));
      }
      sources.set(`${lang}/${file}`, source);
    }
  }
  const key = templateKey;
  return {
    has: (m, c, p, l) => sources.has(key(m, c, p, l)),
    source: (m, c, p, l) => sources.get(key(m, c, p, l)),
    render(message, channel, part, lang, view, overrides) {
      const mine = key(message, channel, part, lang);
      const vi = key(message, channel, part, 'vi');
      const source = overrides?.get(mine) ?? sources.get(mine) ?? overrides?.get(vi) ?? sources.get(vi);
      if (source === undefined) throw new Error(`template missing: ${mine}`);
      return renderSource(source, channel, part, view);
    },
  };
}

/**
 * One message on a channel: each of its channel's parts rendered (src/channels/registry.ts).
 * Without a subject part, the subject is the text's first line.
 */
export function renderMessage(
  templates: TemplateSet,
  message: MessageName,
  channel: Channel,
  lang: Lang,
  view: View,
  overrides?: TemplateOverrides,
): { subject: string; text: string; html?: string } {
  const out: { subject?: string; text?: string; html?: string } = {};
  for (const p of channelSpec(channel).parts)
    out[p.role] = templates.render(message, channel, p.part, lang, view, overrides);
  const text = out.text ?? '';
  const eol = text.indexOf('\n');
  return {
    subject: out.subject ?? (eol === -1 ? text : text.slice(0, eol)),
    text,
    ...(out.html !== undefined ? { html: out.html } : {}),
  };
}
