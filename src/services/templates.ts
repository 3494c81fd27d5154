import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';
import { CHANNEL_NAMES, channelLabel, channelSpec } from '#root/channels/registry.js';
import type { Db } from '#root/db/client.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { reminderWords, shortDate, type Lang } from '#root/domain/wording.js';
import type { WorkingCalendar } from '#root/domain/working-days.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { UserError, type Words } from '#root/errors/index.js';
import type { Logger } from '#root/logger.js';
import { createRefreshingCache } from '#root/lib/refreshing-cache.js';
import { say } from '#root/messages/chat-words.js';
import { commandsFor } from '#root/messages/reminder-view.js';
import { channelInWords, refusalInWords } from '#root/messages/refusal-words.js';
import {
  loadTemplates,
  MESSAGES,
  PARTS,
  renderSource,
  templateKey,
  unknownPlaceholders,
  type Channel,
  type MessageName,
  type TemplateOverrides,
  type TemplateSet,
  type View,
} from '#root/messages/templates.js';
import { audit } from './audit.js';
import { confirmedRow, lateSection, overdueRow } from './delivery/digest.js';
import { loadCalendar } from './holidays.js';
import { serviceWords } from '#root/messages/service-words.js';

const templateWords = serviceWords('templates');

/** The longest template an administrator may save (the files are under 2,000 characters). */
export const TEMPLATE_MAX_CHARS = 20_000;
/**
 * How long a worker keeps an organisation's overrides before reading them again: an edit reaches
 * every worker process within this time (one small query per organisation per period per process).
 */
export const OVERRIDE_REFRESH_MS = 10_000;

export const LANGS: readonly Lang[] = ['vi', 'en'];
/** The channels, in the registry's order (src/channels/registry.ts). */
export const CHANNELS: readonly Channel[] = CHANNEL_NAMES;

/** One template: a message, on a channel, one of its parts, in a language. */
export interface TemplateRef {
  lang: Lang;
  message: MessageName;
  channel: Channel;
  part: string;
}

/** A template named in a URL or a form, checked against the known ones; null when there is no such template. */
export function parseTemplateRef(input: {
  lang: string;
  message: string;
  channel: string;
  part: string;
}): TemplateRef | null {
  if (!(LANGS as readonly string[]).includes(input.lang)) return null;
  if (!Object.hasOwn(MESSAGES, input.message)) return null;
  if (!(CHANNELS as readonly string[]).includes(input.channel)) return null;
  const channel = input.channel as Channel;
  if (!PARTS[channel].includes(input.part)) return null;
  return { lang: input.lang as Lang, message: input.message as MessageName, channel, part: input.part };
}

const keyOf = (r: TemplateRef) => templateKey(r.message, r.channel, r.part, r.lang);

let files: TemplateSet | undefined;
/** The templates of the files, read once (lazily: importing this module reads nothing). */
export const fileTemplates = (): TemplateSet => (files ??= loadTemplates());

/** Every template, in the order of MESSAGES and PARTS, with whether the organisation changed it. */
export async function listTemplates(db: Db, orgId: string) {
  const rows = await db.templateOverride.findMany({
    where: { orgId },
    select: { lang: true, message: true, channel: true, part: true, updatedBy: true, updatedAt: true },
  });
  const byKey = new Map(rows.map((r) => [templateKey(r.message, r.channel, r.part, r.lang), r]));
  const out: (TemplateRef & { override: { updatedBy: string; updatedAt: Date } | null })[] = [];
  for (const message of Object.keys(MESSAGES) as MessageName[]) {
    for (const channel of CHANNELS) {
      for (const part of PARTS[channel]) {
        for (const lang of LANGS) {
          const o = byKey.get(templateKey(message, channel, part, lang));
          out.push({
            lang,
            message,
            channel,
            part,
            override: o ? { updatedBy: o.updatedBy, updatedAt: o.updatedAt } : null,
          });
        }
      }
    }
  }
  return out;
}

/** A template's current text (the organisation's version, else the file's) and the file's. */
export async function getTemplate(db: Db, orgId: string, ref: TemplateRef) {
  const o = await db.templateOverride.findUnique({ where: { orgId_lang_message_channel_part: { orgId, ...ref } } });
  const file = fileTemplates().source(ref.message, ref.channel, ref.part, ref.lang) ?? '';
  return { source: o?.source ?? file, file, override: o ? { updatedBy: o.updatedBy, updatedAt: o.updatedAt } : null };
}

/** Placeholders the message offers, for the edit page: its fields, and each list with its fields. */
export function placeholdersOf(message: MessageName): {
  fields: readonly string[];
  lists: Record<string, readonly string[]>;
} {
  return { fields: MESSAGES[message].fields, lists: MESSAGES[message].lists };
}

/** Line and column (from 1) of a character offset in a text. */
export function lineAndColumn(source: string, at: number): { line: number; column: number } {
  const before = source.slice(0, Math.max(0, Math.min(at, source.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

const where = (source: string, at: number): Words => {
  const { line, column } = lineAndColumn(source, at);
  return templateWords('lineColumn', { line, column });
};

/** What, then where (when known), in each language. */
const whatWhere = (what: Words, at: Words | null): Words => (at ? templateWords('whatWhere', { what, at }) : what);

/** Mustache's parse error, in words an administrator reads: what is wrong and where. */
function describeSyntaxError(error: unknown, source: string): Words {
  const text = error instanceof Error ? error.message : String(error);
  const m = /^(Unclosed tag|Unclosed section "(.*)"|Unopened section "(.*)"|.*?)(?: at (\d+))?$/s.exec(text);
  let at = m?.[4] !== undefined ? Number(m[4]) : null;
  // Mustache reports an unclosed section where the text ends: point at where it was opened instead.
  if (m?.[2] !== undefined) {
    const opened = Math.max(
      ...['#', '^'].map((c) =>
        source.search(new RegExp(`\\{\\{\\s*\\${c}\\s*${m[2]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\}\\}`)),
      ),
    );
    if (opened >= 0) at = opened;
  }
  // Likewise an unclosed tag: at its "{{".
  if (m?.[1] === 'Unclosed tag' && at !== null) at = Math.max(0, source.lastIndexOf('{{', at));
  const what: Words =
    m?.[2] !== undefined
      ? templateWords('sectionNotClosed', { section: m[2] })
      : m?.[3] !== undefined
        ? templateWords('closesUnopened', { section: m[3] })
        : m?.[1] === 'Unclosed tag'
          ? templateWords('tagNotClosed')
          : templateWords('unreadable', { text });
  return whatWhere(what, at === null ? null : where(source, at));
}

/** The placeholders written unescaped (`{{{name}}}`, `{{&name}}`): refused, a value must always be escaped for its target. */
function unescapedPlaceholders(tokens: Mustache.TemplateSpans): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const [type, name] = t as unknown as [string, string];
    if (type === '&') out.push(name);
    const children = (t as unknown as [string, string, number, number, Mustache.TemplateSpans | undefined])[4];
    if ((type === '#' || type === '^') && Array.isArray(children)) out.push(...unescapedPlaceholders(children));
  }
  return out;
}

/**
 * What the channel would refuse in one of its templates once rendered (Telegram's HTML, see its
 * spec's `templateProblem`), or null. The template is rendered twice, with every placeholder and
 * list filled and with every one empty, so that the text of every section (and of every inverted
 * one) is checked; values are escaped, so only the template's own markup can be at fault. The
 * position given is the first place the offending tag is found in the template.
 */
function channelTemplateProblem(ref: TemplateRef, source: string): Words | null {
  const check = channelSpec(ref.channel).templateProblem;
  if (!check) return null;
  const spec = MESSAGES[ref.message];
  const lists = spec.lists as Record<string, readonly string[]>;
  const item = (fields: readonly string[]) => Object.fromEntries(fields.map((f) => [f, 'x']));
  const full: View = {
    ...item(spec.fields),
    ...Object.fromEntries(Object.entries(lists).map(([k, fields]) => [k, [item(fields), item(fields)]])),
  };
  const empty: View = {
    ...Object.fromEntries(spec.fields.map((f) => [f, ''])),
    ...Object.fromEntries(Object.keys(lists).map((k) => [k, []])),
  };
  for (const view of [full, empty]) {
    const out = renderSource(source, ref.channel, ref.part, view, new Mustache.Writer());
    const found = check(ref.part, out);
    if (!found) continue;
    const snippet = /^<[^<>]*>?/.exec(out.slice(found.at))?.[0] ?? '<';
    const at = source.indexOf(snippet);
    return whatWhere(
      templateWords('htmlUnparsed', { channel: (lang) => channelLabel(ref.channel, lang), problem: found.problem }),
      at === -1 ? null : where(source, at),
    );
  }
  return null;
}

/** What is wrong with a template's text (see {@link templateProblem}); every list empty and every other field null when valid. */
export interface TemplateCheck {
  unknown: string[];
  /** Mustache cannot read it: what and where. */
  syntax: Words | null;
  tooLong: boolean;
  /** Placeholders written unescaped (`{{{…}}}`, `{{&…}}`). */
  unescaped: string[];
  /** A template its channel would refuse (Telegram: a tag outside its set, unbalanced tags). */
  html: Words | null;
}

/**
 * What is wrong with a template's text: too long, Mustache cannot read it, it uses unknown
 * placeholders or unescaped ones, or (Telegram) its HTML would be refused by Telegram.
 */
export function checkTemplate(ref: TemplateRef, source: string): TemplateCheck {
  const ok: TemplateCheck = { unknown: [], syntax: null, tooLong: false, unescaped: [], html: null };
  if (source.length > TEMPLATE_MAX_CHARS) return { ...ok, tooLong: true };
  let tokens: Mustache.TemplateSpans;
  try {
    tokens = new Mustache.Writer().parse(source);
  } catch (error) {
    return { ...ok, syntax: describeSyntaxError(error, source) };
  }
  const unknown = unknownPlaceholders(ref.message, source);
  const unescaped = unescapedPlaceholders(tokens);
  const html = unknown.length ? null : channelTemplateProblem(ref, source);
  return { ...ok, unknown, unescaped, html };
}

/** The message of {@link checkTemplate}'s findings, in each language; null when valid. */
export function templateProblem(check: TemplateCheck): Words | null {
  if (check.tooLong)
    return templateWords('tooLong', {
      maxChars: (lang) => TEMPLATE_MAX_CHARS.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB'),
    });
  if (check.syntax) return templateWords('invalidMustache', { syntax: check.syntax });
  if (check.unknown.length) {
    const names = check.unknown.map((u) => `{{${u}}}`).join(', ');
    return templateWords('unknownPlaceholders', { names });
  }
  if (check.unescaped.length) {
    const names = check.unescaped.map((u) => `{{{${u}}}}`).join(', ');
    // The braces of the example are values: in the text they would be a placeholder.
    return templateWords('unescapedPlaceholders', { open: '{{', close: '}}', names });
  }
  return check.html;
}

/** One template file's problem, for `dondoc templates check`. */
export interface TemplateFileProblem {
  file: string;
  problem: Words;
}

/**
 * Checks every template file under `dir` (`<lang>/<message>.<channel>.<part>`) as the editor checks
 * an edit ({@link checkTemplate}); a file of no known message, channel or part is a problem too.
 * Every problem is listed, with its file; empty when all are valid.
 */
export function checkTemplateFiles(dir: string): TemplateFileProblem[] {
  const problems: TemplateFileProblem[] = [];
  for (const lang of readdirSync(dir).sort()) {
    if (!statSync(path.join(dir, lang)).isDirectory()) continue;
    for (const name of readdirSync(path.join(dir, lang)).sort()) {
      const file = `${lang}/${name}`;
      const [message = '', channel = '', ...rest] = name.split('.');
      const ref = parseTemplateRef({ lang, message, channel, part: rest.join('.') });
      if (!ref) {
        problems.push({
          file,
          problem: templateWords('unknownFileName'),
        });
        continue;
      }
      const problem = templateProblem(checkTemplate(ref, readFileSync(path.join(dir, file), 'utf8')));
      if (problem) problems.push({ file, problem });
    }
  }
  return problems;
}

/**
 * Saves an organisation's version of a template, with its audit row (one transaction). Refused,
 * with nothing saved, when the text is empty, too long, not Mustache, or uses placeholders its
 * message does not offer.
 */
export async function saveTemplateOverride(db: Db, orgId: string, ref: TemplateRef, source: string, actor: string) {
  const text = source.replace(/\r\n/g, '\n');
  if (!text.trim()) throw new UserError(templateWords('templateEmpty'));
  const problem = templateProblem(checkTemplate(ref, text));
  if (problem) throw new UserError(problem);
  await db.$transaction(async (tx) => {
    const key = { orgId, ...ref };
    const row = await tx.templateOverride.upsert({
      where: { orgId_lang_message_channel_part: key },
      update: { source: text, updatedBy: actor },
      create: { ...key, source: text, updatedBy: actor },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'template.update',
      entity: 'template',
      entityId: row.id,
      data: { template: keyOf(ref), chars: text.length },
    });
  });
}

/** Goes back to the file's version of a template (audited); false when it was not changed. */
export async function resetTemplateOverride(db: Db, orgId: string, ref: TemplateRef, actor: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.templateOverride.deleteMany({ where: { orgId, ...ref } });
    if (count)
      await audit(tx, {
        orgId,
        actor,
        action: 'template.reset',
        entity: 'template',
        entityId: null,
        data: { template: keyOf(ref) },
      });
    return count > 0;
  });
}

/**
 * A realistic view for a preview: the organisation's nearest open obligation (its unit, duty, plan
 * and due date, worded as the workers word them), a contact of that unit, and for the digest a few
 * of the obligations as lists. A fixed example when the organisation has none.
 */
export async function sampleView(
  db: Db,
  orgId: string,
  message: MessageName,
  lang: Lang,
  now: Date,
  baseUrl: string,
): Promise<View> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const zone = org.timeZone;
  const include = { unit: true, duty: { include: { plan: true } } } as const;
  const open = { orgId, current: true, status: 'open', history: false } as const;
  // The nearest obligations ahead; the latest past due ones when nothing is ahead.
  const ahead = await db.obligation.findMany({
    where: { ...open, dueAt: { gte: now } },
    orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
    take: 3,
    include,
  });
  const obligations = ahead.length
    ? ahead
    : await db.obligation.findMany({ where: open, orderBy: [{ dueAt: 'desc' }, { id: 'asc' }], take: 3, include });
  const today = zonedDay(now, zone);
  const o = obligations[0];
  const dueDate = o ? zonedDay(dueInstant(o), zone) : today;
  const contact = o
    ? await db.contact.findFirst({
        where: { orgId, unitId: o.unitId, active: true, role: { in: ['contact', 'head'] } },
        orderBy: { name: 'asc' },
      })
    : null;
  let left = 3;
  // The due message as it would be sent: "today is the due date" when that is a working day,
  // else "the due date is Sunday …; today is the last working day before it".
  let dueIsWorkingDay = true;
  if (o) {
    const calendar = await loadCalendar(db, orgId, [
      ...new Set([Number(today.slice(0, 4)), Number(dueDate.slice(0, 4))]),
    ]);
    left =
      today <= dueDate ? calendar.workingDaysBetween(today, dueDate) : -calendar.workingDaysBetween(dueDate, today);
    dueIsWorkingDay = calendar.isWorkingDay(dueDate);
  }
  const code = o?.duty.code ?? '4.2';
  if (message === 'digest') {
    const admin = await db.contact.findFirst({
      where: { orgId, role: 'admin', active: true },
      orderBy: { name: 'asc' },
    });
    const overdue = obligations.slice(0, 2).map((x) => overdueRow(x, zone, lang));
    const confirmed = obligations.slice(2).map((x) => confirmedRow(x, contact?.name ?? 'Nguyễn Văn A', today));
    // The late list as the digest groups it: the sample obligations, late by 1, 4 and 7 working days.
    const lateItems = (obligations.length ? obligations : [null, null]).map((x, i) => ({
      dutyCode: x?.duty.code ?? code,
      dutyTitle: x?.duty.title ?? 'Tổ chức diễn tập an toàn thông tin',
      unitName: x?.unit.name ?? (i ? 'Sở Tư pháp' : 'Sở Y tế'),
      periodKey: x?.periodKey ?? today.slice(0, 4),
      dueDate: x ? zonedDay(dueInstant(x), zone) : today,
      daysLate: 1 + 3 * i,
      isNew: i === 0,
    }));
    return {
      contactName: admin?.name ?? 'Quản trị viên',
      date: shortDate(today),
      orgName: org.name,
      overdueCount: overdue.length,
      confirmedCount: confirmed.length,
      ...lateSection(lateItems, new Set(lateItems.map((x) => x.dutyCode)).size, lang),
      confirmedMore: 0,
      statusUrl: `${baseUrl.replace(/\/$/, '')}/admin`,
      overdue,
      confirmed,
      unreachable: [
        {
          personName: 'Trần Thị B',
          unitName: o?.unit.name ?? 'Sở Y tế',
          reason: say(lang, 'digest.noChannelLeft'),
        },
      ],
      failedCount: 1,
      failed: [
        {
          dutyCode: code,
          dutyTitle: o?.duty.title ?? 'Tổ chức diễn tập an toàn thông tin',
          unitName: o?.unit.name ?? 'Sở Y tế',
          personName: contact?.name ?? 'Nguyễn Văn A',
          channel: channelInWords('telegram', lang),
          reason: refusalInWords('Telegram 400: Bad Request: message is too long', lang),
          fallback: channelInWords('email', lang),
        },
      ],
    };
  }
  if (message === 'reminder-bundle') {
    const calendar = await loadCalendar(db, orgId, [Number(today.slice(0, 4))]);
    const late = await db.obligation.findMany({
      where: { ...open, dueAt: { lt: now } },
      orderBy: [{ dueAt: 'desc' }, { id: 'asc' }],
      take: 2,
      include,
    });
    return bundleSample({
      lang,
      today,
      calendar,
      contactName: contact?.name ?? 'Nguyễn Văn A',
      unitName: o?.unit.name ?? 'Sở Y tế',
      baseUrl,
      late: late.map((x) => sampleItem(x, zone)),
      ahead: ahead.map((x) => sampleItem(x, zone)),
    });
  }
  return {
    contactName: contact?.name ?? 'Nguyễn Văn A',
    unitName: o?.unit.name ?? 'Sở Y tế',
    responsibleUnit: o?.unit.name ?? 'Sở Y tế',
    dutyCode: code,
    dutyTitle: o?.duty.title ?? 'Tổ chức diễn tập an toàn thông tin',
    planCode: o?.duty.plan.code ?? '3131/KH-UBND',
    planTitle: o?.duty.plan.title ?? 'Kế hoạch bảo đảm an toàn thông tin',
    ...reminderWords({ periodKey: o?.periodKey ?? today.slice(0, 4), dueDate, workingDaysLeft: left, lang }),
    dueToday: dueIsWorkingDay ? 'yes' : '',
    ...commandsFor(obligationCode(code, o?.periodKey ?? `${today.slice(0, 4)}-Q4`), lang),
    // Not a signed link: a preview confirms nothing.
    confirmUrl: `${baseUrl.replace(/\/$/, '')}/c/xem-truoc`,
    // A yearly report's reminder lists the indicators still missing: one sample.
    indicatorsMissing: 1,
    indicators: [
      {
        ref: '1',
        title: 'Tỷ lệ hệ thống thông tin được phân loại và bảo vệ theo cấp độ',
        target: '90%',
        command: lang === 'en' ? '/indicator 1 <numerator>/<denominator>' : '/chitieu 1 <tử số>/<mẫu số>',
      },
    ],
  };
}

/** An obligation as a sample bundle item needs it. */
interface SampleItem {
  unitName: string;
  dutyCode: string;
  dutyTitle: string;
  planCode: string;
  periodKey: string;
  dueDate: string;
}

const sampleItem = (
  x: {
    unit: { name: string };
    duty: { code: string; title: string; plan: { code: string } };
    periodKey: string;
    dueAt: Date;
    extendedTo: Date | null;
  },
  zone: string,
): SampleItem => ({
  unitName: x.unit.name,
  dutyCode: x.duty.code,
  dutyTitle: x.duty.title,
  planCode: x.duty.plan.code,
  periodKey: x.periodKey,
  dueDate: zonedDay(dueInstant(x), zone),
});

/** The fixed examples a sample bundle falls back on, for an organisation without obligations there. */
const EXAMPLES: Omit<SampleItem, 'dueDate' | 'periodKey'>[] = [
  { unitName: 'Sở Y tế', dutyCode: '4.2', dutyTitle: 'Tổ chức diễn tập an toàn thông tin', planCode: '3131/KH-UBND' },
  {
    unitName: 'Sở Y tế',
    dutyCode: '1.3',
    dutyTitle: 'Rà soát, phân loại hệ thống thông tin theo cấp độ',
    planCode: '3131/KH-UBND',
  },
  { unitName: 'Sở Y tế', dutyCode: '2.1', dutyTitle: 'Báo cáo tình hình thực hiện Kế hoạch', planCode: '3131/KH-UBND' },
  {
    unitName: 'Công an tỉnh',
    dutyCode: '5.4',
    dutyTitle: 'Tuyên truyền, nâng cao nhận thức về an toàn thông tin',
    planCode: '3131/KH-UBND',
  },
];

/**
 * A realistic day's message for the preview of `reminder-bundle`: an item in each section — overdue
 * (the organisation's latest late obligations, else an example 3 working days late), due today,
 * due soon (its nearest ones ahead) and one "để phối hợp" — worded as the worker words them, with
 * one item not shown in full ({{more}}). The worker's own view is built in delivery/view.ts.
 */
export function bundleSample(input: {
  lang: Lang;
  today: string;
  calendar: WorkingCalendar;
  contactName: string;
  unitName: string;
  baseUrl: string;
  late: SampleItem[];
  ahead: SampleItem[];
}): View {
  const { lang, today, calendar } = input;
  const year = today.slice(0, 4);
  const example = (i: number, dueDate: string): SampleItem => ({ ...EXAMPLES[i]!, periodKey: year, dueDate });
  const overdue = input.late.length ? input.late : [example(0, calendar.addWorkingDays(today, -3))];
  const soon = input.ahead.filter((x) => x.dueDate > today).slice(0, 2);
  const sections = {
    overdue,
    dueToday: [input.ahead.find((x) => x.dueDate === today) ?? example(1, today)],
    soon: soon.length ? soon : [example(2, calendar.addWorkingDays(today, 7))],
    late: [],
    cooperating: [example(3, calendar.addWorkingDays(today, 10))],
  } satisfies Record<string, SampleItem[]>;
  const item = (x: SampleItem, section: string): View => {
    const code = obligationCode(x.dutyCode, x.periodKey);
    const left =
      today <= x.dueDate
        ? calendar.workingDaysBetween(today, x.dueDate)
        : -calendar.workingDaysBetween(x.dueDate, today);
    return {
      code,
      unitName: x.unitName,
      dutyCode: x.dutyCode,
      dutyTitle: x.dutyTitle,
      planCode: x.planCode,
      ...reminderWords({ periodKey: x.periodKey, dueDate: x.dueDate, workingDaysLeft: left, lang }),
      ...commandsFor(code, lang),
      // Not a signed link: a preview confirms nothing.
      confirmUrl: section === 'cooperating' ? '' : `${input.baseUrl.replace(/\/$/, '')}/c/xem-truoc`,
      indicatorsMissing: '',
      indicators: [],
    };
  };
  const view: View = {
    contactName: input.contactName,
    unitName: input.unitName,
    date: shortDate(today),
    more: 1,
    moreToDo: 1,
    moreCooperating: 0,
  };
  let count = 1;
  for (const [section, list] of Object.entries(sections)) {
    view[section] = list.map((x) => item(x, section));
    view[`${section}Count`] = list.length;
    count += list.length;
  }
  view.count = count;
  view.yoursCount = count;
  return view;
}

/**
 * Renders a template's text (saved or not) with {@link sampleView}, as the worker would for this
 * channel and part. Text that does not parse gives `error` instead of `output`.
 */
export async function previewTemplate(
  db: Db,
  orgId: string,
  ref: TemplateRef,
  source: string,
  options: { now: Date; baseUrl: string },
) {
  const view = await sampleView(db, orgId, ref.message, ref.lang, options.now, options.baseUrl);
  try {
    // A writer of its own: previews of text being typed must not fill the shared parse cache.
    return { output: renderSource(source, ref.channel, ref.part, view, new Mustache.Writer()), error: null, view };
  } catch (error) {
    return { output: null, error: error instanceof Error ? error.message : String(error), view };
  }
}

/**
 * The workers' view of the organisations' overrides: one query per organisation every
 * `refreshMs` (real time), shared by every message rendered meanwhile, so an edit reaches every
 * worker process within `refreshMs` and no message waits on a query of its own. A failed refresh
 * keeps the last good version for another period (logged once per period); with none read before,
 * the message fails (and is retried) and the next one reads again.
 */
export function createOverrideCache(
  db: Db,
  options: { refreshMs: number; logger?: Logger; now?: () => number },
): { forOrg(orgId: string): Promise<TemplateOverrides> } {
  const cache = createRefreshingCache<TemplateOverrides>({
    refreshMs: options.refreshMs,
    onStale: (orgId, error) =>
      options.logger?.warn({ org: orgId, err: error }, 'template overrides not refreshed; using the last version'),
    ...(options.now ? { now: options.now } : {}),
  });
  const load = async (orgId: string): Promise<TemplateOverrides> => {
    const rows = await db.templateOverride.findMany({
      where: { orgId },
      select: { lang: true, message: true, channel: true, part: true, source: true },
    });
    return new Map(rows.map((r) => [templateKey(r.message, r.channel, r.part, r.lang), r.source]));
  };
  return { forOrg: (orgId) => cache.get(orgId, () => load(orgId)) };
}
