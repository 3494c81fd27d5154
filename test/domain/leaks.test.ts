import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_SPECS } from '#root/channels/registry.js';
import { withUnit } from '#root/domain/indicators.js';
import { groupLateByDuty, lateView } from '#root/domain/late-digest.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { OBLIGATION_STATES } from '#root/domain/obligation-state.js';
import type { IsoDate } from '#root/domain/types.js';
import {
  dayInWords,
  longDate,
  periodInWords,
  reminderWords,
  shortDate,
  stateInWords,
  type Lang,
} from '#root/domain/wording.js';
import { CHAT_WORDS, placeholdersOf, say, type ChatKey, type ChatParams } from '#root/messages/chat-words.js';
import { INDICATOR_WORDS } from '#root/messages/indicators.js';
import { channelInWords, refusalInWords } from '#root/messages/refusal-words.js';
import { reminderView } from '#root/messages/reminder-view.js';
import {
  type Channel,
  loadTemplates,
  type MessageName,
  PARTS,
  renderMessage,
  TEMPLATES_DIR,
  type View,
} from '#root/messages/templates.js';
import { renderDigest } from '#root/services/delivery/digest.js';
import { bundleSample } from '#root/services/templates.js';
import { bundleMessage } from '#root/services/delivery/view.js';
import { LATE_UNITS, lateBundle } from '../helpers/late-bundle.js';
import { dayListHtml } from '#root/web/confirm-page.js';

/**
 * Nothing a person reads leaks a stored value: every template (listed from the template
 * directory) for every stage, channel, period shape and language, and every chat text (listed
 * from the locale files) in both languages, rendered with values from the wording functions, is
 * searched for ISO dates, period keys, enum values, English words in Vietnamese, "vi (en)" pairs,
 * `undefined`, `null` and `[object`.
 *
 * The codes people type are allowed: an obligation code ("4.2-2026Q4", "Q.1-2026-11") is masked
 * before the search, exactly as `obligationCode` writes it for the sample obligations, and so is
 * every command word (`/xong`, `/start`…). A period key in any other place ("Kỳ: 2026-Q4") is a leak.
 */

const LANGS = ['vi', 'en'] as const;
const PERIOD_KEYS = ['once', '2026', '2026-2027', '2026-H1', '2026-H2', '2026-Q4', '2026-11', '2026-P3'];
const DUTY = '4.2';
const CODES = PERIOD_KEYS.map((k) => obligationCode(DUTY, k));

/** Enum values of the schema and the domain, and stages, that must never be shown as such. */
const ENUM_WORDS = [
  ...OBLIGATION_STATES,
  'once',
  'yearly',
  'every',
  'ongoing',
  'monthly',
  'quarterly',
  'unparsed',
  'pending',
  'sent',
  'failed',
  'cancelled',
  'lead',
  'due',
  'escalation',
  'cooperating',
  'digest',
  'admin',
  'supervisor',
  'sandbox',
];
/** Common English words, which a Vietnamese message has no reason to carry. */
const ENGLISH_WORDS = [
  'the',
  'and',
  'your',
  'please',
  'reminder',
  'reminders',
  'duty',
  'duties',
  'period',
  'confirmed',
  'request',
  'nothing',
  'already',
  'usage',
  'linked',
  'channel',
  'channels',
  'failing',
  'approve',
  'refuse',
  'evidence',
  'saved',
  'invalid',
  'unknown',
  'administrators',
  'error',
  'reply',
  'report',
  'working',
  'days',
];
/** Vietnamese words an English message has no reason to carry (names of people and units aside). */
const VIETNAMESE_WORDS = ['hạn', 'nhiệm vụ', 'kỳ', 'ngày', 'tháng', 'năm', 'quý', 'thứ', 'đơn vị', 'quản trị viên'];

const word = (w: string) => new RegExp(`(?<![\\p{L}\\d])${w}(?![\\p{L}\\d])`, 'iu');

/** What is wrong with a text a person reads, in `lang` (empty when nothing). */
function leaks(text: string, lang: Lang): string[] {
  let masked = text;
  for (const code of [...CODES].sort((a, b) => b.length - a.length)) masked = masked.split(code).join('‹code›');
  masked = masked.replace(/\/[A-Za-z]+/g, '‹command›');
  // The command line's commands, typed as they are ("dondoc contacts channels").
  masked = masked.replace(/\bdondoc(?: [a-z-]+){1,2}/g, '‹command›');
  const found: string[] = [];
  const iso = /\d{4}-\d{2}-\d{2}/.exec(masked);
  if (iso) found.push(`ISO date ${iso[0]}`);
  const key = /(?<![\w.-])\d{4}-(?:Q[1-4]|H[12]|P\d{1,2}|\d{2}|\d{4})(?![\w-])/.exec(masked);
  if (key) found.push(`period key ${key[0]}`);
  for (const bad of ['undefined', 'null', 'NaN', '[object', '{{', '}}'])
    if (masked.includes(bad)) found.push(`«${bad}»`);
  // A time word before a day without a time ("xác nhận lúc 16/11/2026", "confirmed at 16/11/2026").
  const timeWord = (lang === 'vi' ? /(?<!\p{L})lúc \d{1,2}\/\d{1,2}\/\d{4}/u : /\bat \d{1,2}\/\d{1,2}\/\d{4}/).exec(
    masked,
  );
  if (timeWord) found.push(`time word before a day «${timeWord[0]}»`);
  if (lang === 'vi') {
    for (const w of [...ENUM_WORDS, ...ENGLISH_WORDS]) if (word(w).test(masked)) found.push(`English word «${w}»`);
    // "Vietnamese (English)" and "Vietnamese / English" pairs.
    const pair = /\(([A-Za-z][A-Za-z ,.;:'’-]*)\)/.exec(masked) ?? /\p{L} \/ [A-Za-z]/u.exec(masked);
    if (pair) found.push(`pair «${pair[0]}»`);
  } else {
    for (const w of VIETNAMESE_WORDS) if (word(w).test(masked)) found.push(`Vietnamese word «${w}»`);
    // A count of one with a plural noun ("1 items late", "1 more late items"): English has a number.
    const plural = /(?<![\d.,])1 (?:more )?(?:late )?(?:items|duties|units|reminders|periods|contacts)\b/.exec(masked);
    if (plural) found.push(`plural after one «${plural[0]}»`);
  }
  return found;
}

/**
 * A due date a reminder shows without its day of the week ("hạn 24/11/2026", "— 24/11/2026",
 * "đến hạn ngày 24 tháng 11 năm 2026"): a reminder names the day as people plan it, "hạn thứ Ba,
 * 24/11/2026", the same in every channel and in /viec. The digest's late list (days past) is not a reminder.
 */
function dueWithoutWeekday(text: string, lang: Lang): string[] {
  const plain = text.replace(/<[^>]+>/g, '');
  const re =
    lang === 'vi'
      ? /(?:(?<!\p{L})hạn|—) (?:là )?(?:ngày )?\d{1,2}(?:\/\d{1,2}\/\d{4}| tháng \d{1,2} năm \d{4})/u
      : /(?:\bdue(?: on)?|—) \d{1,2}(?:\/\d{1,2}\/\d{4}| [A-Z][a-z]+ \d{4})/;
  const m = re.exec(plain);
  return m ? [`due date without its weekday «${m[0]}»`] : [];
}

/** The reminder stages, as a due date and a send day, and the working days between them. */
const STAGES: { name: string; dueDate: IsoDate; sendDay: IsoDate; left: number }[] = [
  { name: 'lead', dueDate: '2026-12-31', sendDay: '2026-12-28', left: 3 },
  { name: 'due today', dueDate: '2026-12-31', sendDay: '2026-12-31', left: 0 },
  { name: 'due on a Sunday', dueDate: '2026-11-15', sendDay: '2026-11-13', left: 0 },
  { name: 'overdue', dueDate: '2026-11-13', sendDay: '2026-11-17', left: -2 },
];

function reminderViews(lang: Lang): { label: string; view: View }[] {
  const out: { label: string; view: View }[] = [];
  for (const stage of STAGES)
    for (const periodKey of PERIOD_KEYS)
      out.push({
        label: `${stage.name}, ${periodKey}`,
        view: reminderView({
          contactName: 'Nguyễn Văn A',
          unitName: 'Sở Y tế',
          responsibleUnit: 'Sở Tư pháp',
          dutyCode: DUTY,
          dutyTitle: 'Tổ chức diễn tập an toàn thông tin',
          planCode: '3131/KH-UBND',
          planTitle: 'Kế hoạch bảo đảm an toàn thông tin',
          periodKey,
          dueDate: stage.dueDate,
          sendDay: stage.sendDay,
          workingDaysLeft: stage.left,
          confirmUrl: 'https://dondoc.example/c/abc',
          lang,
        }),
      });
  // A yearly report's reminder, with the indicators its unit has not reported.
  for (const stage of STAGES)
    out.push({
      label: `${stage.name}, yearly report with indicators`,
      view: {
        ...reminderView({
          contactName: 'Nguyễn Văn A',
          unitName: 'Sở Y tế',
          responsibleUnit: 'Sở Tư pháp',
          dutyCode: DUTY,
          dutyTitle: 'Báo cáo tình hình thực hiện Kế hoạch',
          planCode: '3131/KH-UBND',
          planTitle: 'Kế hoạch bảo đảm an toàn thông tin',
          periodKey: '2026',
          dueDate: stage.dueDate,
          sendDay: stage.sendDay,
          workingDaysLeft: stage.left,
          confirmUrl: 'https://dondoc.example/c/abc',
          lang,
        }),
        ...indicatorsView(lang),
      },
    });
  return out;
}

/** The indicators a unit has not reported, as a yearly report's reminder lists them: a rate and a count. */
function indicatorsView(lang: Lang): View {
  const w = INDICATOR_WORDS[lang];
  return {
    indicatorsMissing: 2,
    indicators: [
      {
        ref: '1',
        title: 'Tỷ lệ hệ thống thông tin được phân loại',
        target: withUnit(80, '%'),
        command: w.typed('1', true),
      },
      { ref: '2', title: 'Số cán bộ được tập huấn', target: '', command: w.typed('2', false) },
    ],
  };
}

/**
 * The day's message of several items: every section, an item of each period shape and stage, a
 * yearly report's item with its missing indicators, the "last working day" of a weekend due date,
 * and items not shown in full ({{more}}); and a list with nothing more.
 */
function bundleViews(lang: Lang): { label: string; view: View }[] {
  const sections = {
    overdue: STAGES[3]!,
    dueToday: STAGES[1]!,
    soon: STAGES[0]!,
    late: STAGES[3]!,
    cooperating: STAGES[0]!,
  };
  const item = (stage: (typeof STAGES)[number], periodKey: string, extra: View = {}): View => {
    const code = obligationCode(DUTY, periodKey);
    return {
      code,
      unitName: 'Sở Tư pháp',
      dutyCode: DUTY,
      dutyTitle: 'Tổ chức diễn tập an toàn thông tin',
      planCode: '3131/KH-UBND',
      ...reminderWords({ periodKey, dueDate: stage.dueDate, workingDaysLeft: stage.left, lang }),
      confirmCommand: `${say(lang, 'cmd.done')} ${code}`,
      extendCommand: `${say(lang, 'cmd.extend')} ${code}`,
      confirmUrl: 'https://dondoc.example/c/abc',
      indicatorsMissing: '',
      indicators: [],
      ...extra,
    };
  };
  const full: View = {
    contactName: 'Nguyễn Văn A',
    unitName: 'Sở Y tế',
    date: shortDate('2026-11-13'),
    count: 2 * PERIOD_KEYS.length + 3,
    yoursCount: PERIOD_KEYS.length + 3,
    more: 3,
    moreToDo: 2,
    moreCooperating: 1,
  };
  for (const [section, stage] of Object.entries(sections)) {
    const list = PERIOD_KEYS.map((k) => item(stage, k));
    if (section === 'dueToday') {
      list.push(item(STAGES[2]!, '2026', { ...indicatorsView(lang), remaining: say(lang, 'bundle.lastWorkingDay') }));
    }
    if (section === 'soon') list.push(item(stage, '2026', indicatorsView(lang)));
    full[section] = list;
    full[`${section}Count`] = list.length;
  }
  // A supervisor's late list, grouped by unit: every period shape, and items not shown ({{lateMore}}).
  const late = full.late as View[];
  full.lateUnits = [
    { unitName: 'Sở Tư pháp', itemCount: late.length, lateItems: late },
    { unitName: 'Ủy ban nhân dân huyện Cần Giờ', itemCount: 3, lateItems: [item(STAGES[3]!, '2026-Q4')] },
  ];
  full.lateTotal = late.length + 3;
  full.lateUnitTotal = 2;
  full.lateMore = 2;
  return [
    { label: 'every section', view: full },
    { label: 'nothing more', view: { ...full, more: 0, moreToDo: 0, moreCooperating: 0, lateMore: 0 } },
    {
      label: 'one more of each',
      view: { ...full, yoursCount: 1, more: 2, moreToDo: 1, moreCooperating: 1, lateMore: 1 },
    },
    { label: 'more to do only', view: { ...full, more: 2, moreToDo: 2, moreCooperating: 0 } },
    { label: 'more to cooperate on only', view: { ...full, more: 2, moreToDo: 0, moreCooperating: 2 } },
    {
      label: 'other units’ late items only',
      view: { ...full, yoursCount: 0, more: 0, moreToDo: 0, moreCooperating: 0 },
    },
    { label: 'no late items', view: { ...full, lateTotal: 0, lateUnitTotal: 0, lateMore: 0, lateUnits: [], late: [] } },
  ];
}

function digestViews(lang: Lang): { label: string; view: View }[] {
  const row = { unitName: 'Sở Y tế', dutyCode: DUTY, dutyTitle: 'Diễn tập' };
  const full: View = {
    contactName: 'Quản trị',
    date: shortDate('2026-11-16'),
    orgName: 'UBND tỉnh',
    overdueCount: 1,
    confirmedCount: 1,
    openCount: 3,
    failedCount: 2,
    // Everything late, grouped by duty: every period shape, late since today and for days, new or not.
    lateCount: PERIOD_KEYS.length + 1,
    lateDutyCount: 2,
    late: lateView(
      groupLateByDuty([
        ...PERIOD_KEYS.map((periodKey, i) => ({
          ...row,
          periodKey,
          dueDate: '2026-11-13',
          daysLate: i,
          isNew: i % 2 === 0,
        })),
        { ...row, dutyCode: '1.1', periodKey: '2026', dueDate: '2026-11-13', daysLate: 1, isNew: true },
      ]),
      lang,
    ),
    lateMore: 3,
    confirmedMore: 2,
    statusUrl: 'https://dondoc.example/admin',
    overdue: [{ ...row, dueDate: longDate('2026-11-13', lang), dueDateShort: shortDate('2026-11-13') }],
    confirmed: [{ ...row, confirmedBy: 'Nguyễn Văn A', confirmedAt: shortDate('2026-11-16') }],
    unreachable: [{ personName: 'Trần Thị B', unitName: 'Sở Y tế', reason: refusalInWords('', lang) }],
    failed: ['email', 'sandbox'].map((fallback, i) => ({
      ...row,
      personName: 'Trần Thị B',
      channel: channelInWords(i ? 'zalo' : 'telegram', lang),
      reason: refusalInWords('Telegram 400: Bad Request: message is too long', lang),
      fallback: i ? '' : channelInWords(fallback, lang),
    })),
  };
  const empty: View = {
    ...full,
    overdueCount: 0,
    confirmedCount: 0,
    failedCount: 0,
    overdue: [],
    confirmed: [],
    unreachable: [],
    failed: [],
    lateCount: 0,
    lateDutyCount: 0,
    late: [],
    lateMore: 0,
    confirmedMore: 0,
  };
  const ones: View = {
    ...full,
    overdueCount: 1,
    confirmedCount: 1,
    openCount: 1,
    lateCount: 1,
    lateDutyCount: 1,
    lateMore: 1,
    confirmedMore: 1,
  };
  return [
    { label: 'full', view: full },
    { label: 'empty', view: empty },
    { label: 'one of each', view: ones },
  ];
}

/** Every template file: `<lang>/<message>.<channel>.<part>`, from the directory itself. */
function templateFiles() {
  const out: { lang: Lang; message: MessageName; channel: Channel; part: string }[] = [];
  for (const lang of readdirSync(TEMPLATES_DIR))
    for (const file of readdirSync(path.join(TEMPLATES_DIR, lang))) {
      const [message, channel, ...part] = file.split('.');
      out.push({
        lang: lang as Lang,
        message: message as MessageName,
        channel: channel as Channel,
        part: part.join('.'),
      });
    }
  return out;
}

/** A value for each placeholder of the chat texts, in the language, from the wording functions. */
function sampleParams(lang: Lang): ChatParams {
  const due = dayInWords('2026-11-13', lang);
  return {
    code: CODES[5]!,
    // The codes of a message's items, for a file that names none of them.
    codes: CODES.slice(0, 3).join(', '),
    example: CODES[0]!,
    title: 'Tổ chức diễn tập',
    unit: 'Sở Y tế',
    name: 'Nguyễn Văn A',
    who: 'Nguyễn Văn A',
    admin: 'Quản trị',
    due,
    from: due,
    to: dayInWords('2026-12-30', lang),
    when: say(lang, 'timeOnDay', { time: '09:30', date: shortDate('2026-11-16') }),
    time: '09:30',
    date: shortDate('2026-11-16'),
    period: periodInWords('2026-Q4', lang),
    count: 3,
    minutes: 15,
    ref: 'ab12cd34',
    reason: 'chờ số liệu',
    text: '31/02/2026',
    orgCode: 'hcm',
    org: 'UBND tỉnh',
    orgs: say(lang, 'orgs.item', { org: 'UBND tỉnh', orgCode: 'hcm' }),
    names: 'Trần Thị B',
    channel: say(lang, 'channel.email'),
    order: ['telegram', 'email'].map((c) => say(lang, `channel.${c}` as ChatKey)).join(' → '),
    usable: say(lang, 'channels.linked', { channel: 'Zalo' }),
    command: `${say(lang, 'cmd.done')} ${CODES[5]}${say(lang, 'tail.done')}`,
    file: 'bao-cao.pdf',
    verdict: say(lang, 'decide.refused', { code: DUTY, title: 'Diễn tập' }),
    // The indicator replies' parts, as src/messages/indicators.ts fills them.
    year: 2026,
    target: withUnit(80, '%'),
    value: '45/50',
    state: say(lang, 'indicator.reported', { value: '45/50' }),
    refs: ['3131/KH-UBND:1', '12/KH-UBND:1'].join(say(lang, 'indicator.or')),
    replaced: say(lang, 'indicator.replaced'),
    back: '40/50',
    after: say(lang, 'indicator.undoneBack', { back: '40/50' }),
    by: say(lang, 'error.decidedBy', { name: 'Quản trị' }),
    channels: 'Telegram, Zalo',
    // The contact confirming on the link's page (src/web/confirm-page.ts).
    contact: 'Lê Văn A',
    // An HTTP status, in a refusal's page (src/web/client-errors.ts).
    status: 405,
  };
}

/** Chat texts whose {{count}} is two or more by what they are: several periods, organisations or duties to choose from. */
const COUNT_AT_LEAST_TWO = new Set<ChatKey>([
  'which.done',
  'which.extend',
  'which.undo',
  'start.several',
  'orgs.linked',
  'orgs.which',
  'orgs.noneNamed',
  'orgs.fileWhich',
  'orgs.photoWhich',
  'file.whichOfMessage',
]);

describe('what people read leaks no stored value', () => {
  const templates = loadTemplates();

  it('lists the templates from their directory: every message, channel and part in both languages', () => {
    const files = templateFiles();
    expect(files.length).toBeGreaterThanOrEqual(2 * 6 * Object.values(PARTS).flat().length);
    for (const lang of LANGS) expect(files.filter((f) => f.lang === lang).length).toBe(files.length / 2);
  });

  it.each(templateFiles().map((f) => [`${f.lang}/${f.message}.${f.channel}.${f.part}`, f] as const))(
    'template %s, for every stage and period shape',
    (_, f) => {
      const views =
        f.message === 'digest'
          ? digestViews(f.lang)
          : f.message === 'reminder-bundle'
            ? bundleViews(f.lang)
            : reminderViews(f.lang);
      for (const { label, view } of views) {
        const text = templates.render(f.message, f.channel, f.part, f.lang, view);
        expect(text.trim(), label).not.toBe('');
        expect(leaks(text, f.lang), `${label}:\n${text}`).toEqual([]);
        if (f.message !== 'digest') expect(dueWithoutWeekday(text, f.lang), `${label}:\n${text}`).toEqual([]);
      }
    },
  );

  it.each(LANGS)('every chat text in %s, its placeholders filled', (lang) => {
    const params = sampleParams(lang);
    const keys = Object.keys(CHAT_WORDS[lang]) as ChatKey[];
    expect(keys.length).toBeGreaterThan(100);
    for (const key of keys) {
      for (const p of placeholdersOf(CHAT_WORDS[lang][key])) expect(params, `${key}: {{${p}}}`).toHaveProperty(p);
      const text = say(lang, key, params);
      expect(leaks(text, lang), `${key}: ${text}`).toEqual([]);
      // A count that can be one ("1 reminders sent") reads as one; some are two or more by what they ask.
      if (!COUNT_AT_LEAST_TWO.has(key)) {
        const one = say(lang, key, { ...params, count: 1 });
        expect(leaks(one, lang), `${key} (count 1): ${one}`).toEqual([]);
      }
    }
  });

  it.each(LANGS)('the digest as each channel sends it in %s, its late list cut to the channel’s limit', (lang) => {
    const view = digestViews(lang)[0]!.view;
    // Long enough that Telegram and Zalo cut it: "… và N việc trễ khác" is rendered too.
    const late = lateView(
      groupLateByDuty(
        Array.from({ length: 120 }, (_, i) => ({
          dutyCode: `${1 + (i % 12)}.1`,
          dutyTitle: 'Triển khai bảo đảm an toàn thông tin mạng của tỉnh',
          unitName: `Ủy ban nhân dân huyện ${i}`,
          periodKey: PERIOD_KEYS[i % PERIOD_KEYS.length]!,
          dueDate: '2026-11-13',
          daysLate: i % 9,
          isNew: i % 5 === 0,
        })),
      ),
      lang,
    );
    for (const channel of ['telegram', 'zalo', 'email', 'sandbox'] as const) {
      const out = renderDigest(templates, channel, lang, { ...view, late, lateCount: 120 });
      if (channel === 'telegram' || channel === 'zalo')
        expect(out.text).toMatch(
          lang === 'vi' ? /việc trễ khác: gõ \/tonghop/ : /more late items \(\d+\): send \/status/,
        );
      for (const text of [out.subject, out.text, out.html ?? ''])
        expect(leaks(text.replace(/<[^>]+>/g, ''), lang), `${channel}:\n${text}`).toEqual([]);
    }
  });

  it.each(LANGS)('the day’s message of an administrator with 118 late items as each channel sends it in %s', (lang) => {
    for (const channel of CHANNEL_SPECS.map((c) => c.name)) {
      const b = lateBundle(channel, lang);
      const { message } = bundleMessage(b, b.items, {
        templates,
        edited: new Map(),
        calendar: workingCalendarForYears([2026], []),
        confirmUrl: (id) => `https://dondoc.example/c/${id}`,
      });
      for (const text of [message.subject, message.text, message.html ?? '']) {
        // The people's, units' and duties' names are theirs (Vietnamese in an English message too).
        let plain = text
          .replace(/<[^>]+>/g, '')
          .replace(/«[^»\n]*»|"[^"\n]*"|&quot;[^&\n]*&quot;/g, '‹title›')
          .replace(/https:\/\/\S+/g, '‹link›');
        for (const name of [b.contact.name, ...LATE_UNITS]) plain = plain.split(name).join('‹name›');
        expect(leaks(plain, lang), `${channel}:\n${text}`).toEqual([]);
      }
    }
  });

  it.each(LANGS)('the reply to a typed confirmation in %s, listing what is left of the day’s message', (lang) => {
    const items = STAGES.flatMap((stage) =>
      PERIOD_KEYS.map((k) => ({
        code: obligationCode(DUTY, k),
        title: 'Diễn tập',
        due: dayInWords(stage.dueDate, lang),
      })),
    );
    const ok = say(lang, 'done.ok', { code: DUTY, title: 'Diễn tập', unit: 'Sở Y tế' });
    for (const text of [
      `${ok}\n\n${say(lang, 'done.rest', { count: items.length })}\n${items.map((i) => say(lang, 'done.restLine', i)).join('\n')}\n${say(lang, 'done.restMore', { count: 3 })}`,
      `${ok}\n\n${say(lang, 'done.restNone')}`,
    ])
      expect(leaks(text, lang), text).toEqual([]);
  });

  it.each(LANGS)('the email link’s page in %s: the email’s items, done and open', (lang) => {
    const items = STAGES.flatMap((stage, s) =>
      PERIOD_KEYS.map((k, i) => ({
        code: obligationCode(DUTY, k),
        title: 'Diễn tập',
        due: shortDate(stage.dueDate),
        open: (s + i) % 2 === 0,
        url: '/c/abc.def',
      })),
    );
    const text = dayListHtml(items, lang).replace(/<[^>]+>/g, ' ');
    expect(text).toContain(say(lang, 'email.itemDone'));
    expect(leaks(text, lang), text).toEqual([]);
  });

  it.each(
    templateFiles()
      .filter((f) => f.message === 'reminder-bundle')
      .map((f) => [`${f.lang}/${f.message}.${f.channel}.${f.part}`, f] as const),
  )('the template preview’s sample day’s message, %s', (_, f) => {
    const calendar = workingCalendarForYears([2026, 2027], []);
    const item = (periodKey: string, dueDate: string) => ({
      unitName: 'Sở Y tế',
      dutyCode: DUTY,
      dutyTitle: 'Diễn tập',
      planCode: '3131/KH-UBND',
      periodKey,
      dueDate,
    });
    for (const [label, late, ahead] of [
      [
        'the organisation’s obligations',
        PERIOD_KEYS.map((k) => item(k, '2026-11-10')),
        PERIOD_KEYS.map((k) => item(k, '2026-11-20')),
      ],
      ['the examples', [], []],
    ] as const) {
      const view = bundleSample({
        lang: f.lang,
        today: '2026-11-13',
        calendar,
        contactName: 'Nguyễn Văn A',
        unitName: 'Sở Y tế',
        baseUrl: 'https://dondoc.example',
        late: [...late],
        ahead: [...ahead],
      });
      const text = templates.render(f.message, f.channel, f.part, f.lang, view);
      expect(leaks(text.replace(/<[^>]+>/g, ''), f.lang), `${label}:\n${text}`).toEqual([]);
    }
  });

  it.each(LANGS)('a message says the same on every channel in %s: subjects, and what is not listed', (lang) => {
    const kinds: [MessageName, { label: string; view: View }[]][] = [
      ['digest', digestViews(lang)],
      ['reminder-bundle', bundleViews(lang)],
      ...(
        ['reminder-lead', 'reminder-due', 'reminder-overdue', 'reminder-escalation', 'reminder-cooperating'] as const
      ).map((m) => [m, reminderViews(lang)] as [MessageName, { label: string; view: View }[]]),
    ];
    for (const [message, views] of kinds)
      for (const { label, view } of views) {
        const email = renderMessage(templates, message, 'email', lang, view);
        // The webhook has no subject of its own: its first line is the subject the receiver shows.
        const webhook = renderMessage(templates, message, 'webhook', lang, view);
        expect(webhook.subject, `${message}, ${label}`).toBe(email.subject);
        // The items not listed are told in the email's HTML as in its text, each sentence whole.
        const html = email.html!.replace(/<[^>]+>/g, '');
        for (const more of email.text.matchAll(lang === 'vi' ? /^Còn \d+ việc [^\n]*/gm : /^\d+ more [^\n]*/gm))
          expect(html, `${message}, ${label}`).toContain(more[0]);
      }
  });

  it.each(LANGS)(
    'a day’s message points to /viec only in a chat, and only for the items /viec lists, in %s',
    (lang) => {
      const command = lang === 'vi' ? '/viec' : '/tasks';
      for (const { label, view } of bundleViews(lang))
        for (const channel of CHANNEL_SPECS.map((c) => c.name)) {
          const out = renderMessage(templates, 'reminder-bundle', channel, lang, view);
          const chat = channel === 'telegram' || channel === 'zalo' || channel === 'sandbox';
          for (const text of out.html ? [out.text, out.html] : [out.text]) {
            // An email or a webhook may reach people with no chat at all.
            if (!chat || !view.moreToDo) expect(text, `${channel}, ${label}:\n${text}`).not.toContain(command);
            else expect(text, `${channel}, ${label}`).toContain(command);
          }
        }
    },
  );

  it.each(LANGS)('a day’s message counts as needing the reader only what is theirs, in %s', (lang) => {
    for (const { label, view } of bundleViews(lang))
      for (const channel of CHANNEL_SPECS.map((c) => c.name)) {
        const out = renderMessage(templates, 'reminder-bundle', channel, lang, view);
        const head = `${out.subject}\n${out.text.split('\n').slice(0, 3).join('\n')}`;
        const needs =
          lang === 'vi'
            ? /(\d+) việc cần anh\/chị/g
            : /need you \(items: (\d+)\)|What needs you today \([^)]*\): items: (\d+)/g;
        const said = [...head.matchAll(needs)].map((m) => Number(m[1] ?? m[2]));
        if (view.yoursCount) expect(said.length, `${channel}, ${label}:\n${head}`).toBeGreaterThan(0);
        else expect(said, `${channel}, ${label}:\n${head}`).toEqual([]);
        for (const n of said) expect(n, `${channel}, ${label}:\n${head}`).toBe(view.yoursCount);
        if (view.lateTotal) expect(head, `${channel}, ${label}`).toContain(String(view.lateTotal));
      }
  });

  it.each(LANGS)('a day’s message tells to press ✅ only when it has items to act on, in %s', (lang) => {
    const full = bundleViews(lang)[0]!.view;
    const none = { overdue: [], overdueCount: 0, dueToday: [], dueTodayCount: 0, soon: [], soonCount: 0, more: 0 };
    for (const channel of CHANNEL_SPECS.map((c) => c.name)) {
      // A supervisor's late units and items "để phối hợp" only: no ✅ / 📅 under it, no link to confirm.
      const informed = renderMessage(templates, 'reminder-bundle', channel, lang, { ...full, ...none });
      for (const text of [informed.text, informed.html ?? '']) expect(text, channel).not.toMatch(/✅|📅/u);
      for (const section of ['overdue', 'dueToday', 'soon']) {
        const one = { ...full, ...none, [section]: full[section]!, [`${section}Count`]: full[`${section}Count`]! };
        const text = renderMessage(templates, 'reminder-bundle', channel, lang, one).text;
        if (channel === 'telegram') expect(text.match(/✅/gu), `${section}:\n${text}`).toHaveLength(1);
      }
    }
  });

  it('states in words carry no enum value in Vietnamese', () => {
    for (const state of OBLIGATION_STATES) expect(leaks(`Trạng thái: ${stateInWords(state, 'vi')}`, 'vi')).toEqual([]);
  });

  it('finds the leaks it is written for', () => {
    expect(leaks('Kỳ: 2026-Q4.', 'vi')).toEqual(['period key 2026-Q4']);
    expect(leaks('Kỳ: once.', 'vi')).toEqual(['English word «once»']);
    expect(leaks('(Quá hạn; nghĩa vụ: done)', 'vi')).toEqual(['English word «done»']);
    expect(leaks('Hạn 2026-11-13', 'vi')).toEqual(['ISO date 2026-11-13']);
    expect(leaks('Đã lưu. (Channels saved.)', 'vi')).toEqual([
      'English word «channels»',
      'English word «saved»',
      'pair «(Channels saved.)»',
    ]);
    expect(leaks('Kênh: đang lỗi / failing', 'vi')).toEqual(['English word «failing»', 'pair «i / f»']);
    expect(leaks('Xin chào undefined', 'vi')).toEqual(['«undefined»']);
    expect(leaks('Due on thứ Sáu', 'en')).toEqual(['Vietnamese word «thứ»']);
    // The codes people type are not leaks: "/xong 4.2-2026Q4", a monthly "4.2-2026-11".
    expect(leaks(`Gõ /xong ${CODES[5]} hoặc /xong ${CODES[6]} để xác nhận.`, 'vi')).toEqual([]);
    expect(CODES[6]).toBe('4.2-2026-11');
    expect(leaks('Kỳ tháng: 2026-11', 'vi')).toEqual(['period key 2026-11']);
    expect(leaks('Digest: 1 items late, … and 1 more late items.', 'en')).toEqual(['plural after one «1 items»']);
    expect(leaks('late: 1 (items: 1, duties: 1); 11 items; 2.1 items', 'en')).toEqual([]);
    expect(leaks('xác nhận bởi Lan lúc 16/11/2026', 'vi')).toEqual(['time word before a day «lúc 16/11/2026»']);
    expect(leaks('xác nhận bởi Lan lúc 09:30 ngày 16/11/2026', 'vi')).toEqual([]);
    expect(leaks('confirmed by Lan at 16/11/2026', 'en')).toEqual(['time word before a day «at 16/11/2026»']);
    expect(dueWithoutWeekday('• <b>4.2</b> «Diễn tập» — hạn 24/11/2026 (còn 7 ngày làm việc)', 'vi')).toHaveLength(1);
    expect(dueWithoutWeekday('Nhiệm vụ 4.2 đến hạn ngày 24 tháng 11 năm 2026.', 'vi')).toHaveLength(1);
    expect(dueWithoutWeekday('• 4.2 «Diễn tập» — 24/11/2026 (còn 7 ngày làm việc)', 'vi')).toHaveLength(1);
    expect(dueWithoutWeekday('— hạn thứ Ba, 24/11/2026; đến hạn thứ Ba, ngày 24 tháng 11 năm 2026', 'vi')).toEqual([]);
    expect(dueWithoutWeekday('Duty 4.2 is due on 24 November 2026.', 'en')).toHaveLength(1);
    expect(dueWithoutWeekday('— due Tuesday, 24/11/2026; is due on Tuesday, 24 November 2026', 'en')).toEqual([]);
  });
});
