/**
 * Timeframe phrases ("Thời gian thực hiện") → schedules (SPEC §3).
 *
 * The phrase is folded (case, diacritics, spacing do not matter), then known pieces are taken out
 * one by one: cadences ("hằng năm", "6 tháng/lần", "thường xuyên"…), dates ("31/7/2024",
 * "Quý II/2024", "tháng 6/2024", "trước ngày 15/11"…), years and year ranges. Whatever is left must
 * be filler words ("trước", "ngày", "đến", "hoàn thành"…); otherwise the phrase is not understood
 * and comes back as `unparsed` with a flag. Nothing throws, nothing is dropped.
 */
import { inBothLanguages } from '#root/errors/index.js';
import { fold, tidy } from './text.js';
import type { IsoDate, MonthDay, ParsedTimeframe, Schedule } from './types.js';
import { serviceWords } from '#root/messages/service-words.js';

const timeframeWords = serviceWords('timeframe');

/** Options for {@link parseTimeframe}. */
export interface TimeframeOptions {
  /** Due day of yearly duties when the phrase gives none (`MM-DD`); default `11-15` (SPEC §3). */
  defaultDue?: MonthDay;
}

const DEFAULT_DUE: MonthDay = '11-15';
const MIN_YEAR = 1900;
const MAX_YEAR = 2200;

/** A piece of the phrase that was understood, with where it was in the folded text. */
type Piece =
  /** A repetition every `months` months; `count`: written as a count ("1 năm/lần"), not "hằng năm". */
  | { t: 'cadence'; months: number; count: boolean }
  | { t: 'ongoing' }
  | { t: 'atLeast' }
  /** A day: with a year it is a calendar date, without one a day of every year. */
  | { t: 'day'; year?: number; month: number; day: number }
  /** "trước ngày 25" with no month: a day of each period. */
  | { t: 'dayOnly'; day: number }
  /** `until`: "đến năm 2025"; `since`: "từ năm 2024". */
  | { t: 'year'; year: number; until: boolean; since: boolean }
  | { t: 'years'; from: number; to: number }
  /** "tháng cuối quý": a day of each period is a day of its last month (said, not guessed). */
  | { t: 'lastMonth' }
  /** "Hàng tuần": tracked as ongoing work with a monthly check-in (no weekly schedule). */
  | { t: 'weekly' }
  /** Something recognised as a date but impossible: the phrase becomes unparsed with this flag. */
  | { t: 'bad'; flag: string };

type Located = Piece & { index: number; end: number };

interface Matcher {
  re: RegExp;
  /** The pieces for one match; `null` leaves the text in place (not consumed). */
  make: (m: RegExpExecArray, raw: string) => Piece[] | null;
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1–12) of `year`; without a year February has 29 (the day exists in some year). */
function daysInMonth(month: number, year?: number): number {
  if (month === 2) return year === undefined || isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function monthDay(month: number, day: number): MonthDay {
  return `${pad2(month)}-${pad2(day)}`;
}

function isoDate(year: number, month: number, day: number): IsoDate {
  return `${year}-${monthDay(month, day)}`;
}

const NUMBER_WORDS: Record<string, number> = {
  mot: 1,
  hai: 2,
  ba: 3,
  bon: 4,
  sau: 6,
};

/** "01", "2", "mot", "hai"… → a number; NaN when not a number. */
function toNumber(word: string): number {
  return /^\d+$/.test(word) ? Number(word) : (NUMBER_WORDS[word] ?? Number.NaN);
}

const QUARTERS: Record<string, number> = {
  i: 1,
  ii: 2,
  iii: 3,
  iv: 4,
  '1': 1,
  '2': 2,
  '3': 3,
  '4': 4,
};

/** The flag of a phrase not understood at all: "Không hiểu thời hạn: «raw»". */
export function unparsedFlag(raw: string): string {
  return inBothLanguages(timeframeWords('notUnderstood', { raw }));
}

/**
 * "Ngày không hợp lệ: 31/02/2024": the date as written when it is only numbers; when it holds words
 * (read without diacritics, "thang 13"), the whole phrase as the document wrote it instead.
 */
function invalidDate(written: string, raw: string): string {
  const shown = /\p{L}/u.test(written) ? `«${raw}»` : written;
  return inBothLanguages(timeframeWords('invalidDate', { shown }));
}

/** A year piece checked for range and length; `bad` when it is 2 digits or outside 1900–2200. */
function checkYear(text: string, raw: string): { year: number } | { flag: string } {
  if (text.length < 4) {
    return {
      flag: inBothLanguages(timeframeWords('yearNotFourDigits', { raw, text })),
    };
  }
  const year = Number(text);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return {
      flag: inBothLanguages(timeframeWords('yearOutOfRange', { raw, text, minYear: MIN_YEAR, maxYear: MAX_YEAR })),
    };
  }
  return { year };
}

/** A day piece, or `bad` with "Ngày không hợp lệ: <as written>" ({@link invalidDate}) when the date does not exist. */
function dayPiece(day: number, month: number, yearText: string | undefined, written: string, raw: string): Piece {
  let year: number | undefined;
  if (yearText !== undefined) {
    const checked = checkYear(yearText, raw);
    if ('flag' in checked) return { t: 'bad', flag: checked.flag };
    year = checked.year;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(month, year)) {
    return { t: 'bad', flag: invalidDate(written, raw) };
  }
  return year === undefined ? { t: 'day', month, day } : { t: 'day', year, month, day };
}

/** The last day of `month`, in `yearText` when given. */
function endOfMonthPiece(month: number, yearText: string | undefined, written: string, raw: string): Piece {
  if (month < 1 || month > 12) return { t: 'bad', flag: invalidDate(written, raw) };
  if (yearText === undefined) return { t: 'day', month, day: month === 2 ? 28 : daysInMonth(month) };
  const checked = checkYear(yearText, raw);
  if ('flag' in checked) return { t: 'bad', flag: checked.flag };
  return {
    t: 'day',
    year: checked.year,
    month,
    day: daysInMonth(month, checked.year),
  };
}

/** A cadence of one every `n` units of `unitMonths`, or `bad` (not understood) when n is not usable. */
function everyPiece(n: number, unitMonths: number): Piece[] | null {
  if (!Number.isInteger(n) || n < 1) return null;
  return [{ t: 'cadence', months: n * unitMonths, count: true }];
}

/** A cadence of `n` times a year: 2 → every 6 months; not understood unless n divides 12. */
function timesPerYearPiece(n: number): Piece[] | null {
  if (!Number.isInteger(n) || n < 1 || 12 % n !== 0) return null;
  return [{ t: 'cadence', months: 12 / n, count: true }];
}

// ---------------------------------------------------------------------------------------------
// The pieces, most specific first. Each match is blanked out of the text before the next matcher.

const NUM = '(\\d{1,2}|mot|hai|ba|bon|sau)';
const ONE = '(?:1|01|mot)';
const YEAR_SEP = '(?:\\s*(?:/|-|nam)\\s*|\\s+)';

const MATCHERS: Matcher[] = [
  { re: /\b(?:toi thieu|it nhat)\b/g, make: () => [{ t: 'atLeast' }] },
  { re: /\bthuong xuyen\b/g, make: () => [{ t: 'ongoing' }] },
  { re: /\b(?:hang|moi) tuan\b/g, make: () => [{ t: 'weekly' }] },
  // "Năm 2024 và các năm tiếp theo": every year from the year it names.
  {
    re: /\b(?:va )?(?:cac|nhung) nam (?:tiep theo|sau do|sau)\b/g,
    make: () => [{ t: 'cadence', months: 12, count: false }],
  },
  { re: /\b(?:cua )?thang cuoi (?:quy|ky)\b/g, make: () => [{ t: 'lastMonth' }] },
  // "Hoàn thành trước tháng 10/2024": by the end of the month before (30/09/2024), not in it.
  {
    re: new RegExp(`\\btruoc thang (\\d{1,2})${YEAR_SEP}(\\d{4})\\b`, 'g'),
    make: (m, raw) => {
      const month = Number(m[1]);
      if (month < 1 || month > 12) return [{ t: 'bad', flag: invalidDate(`${m[1]}/${m[2]}`, raw) }];
      const year = Number(m[2]);
      return [endOfMonthPiece(month === 1 ? 12 : month - 1, String(month === 1 ? year - 1 : year), m[0], raw)];
    },
  },
  {
    re: new RegExp(`\\btruoc quy (iv|iii|ii|i|[1-4])${YEAR_SEP}(\\d{4})\\b`, 'g'),
    make: (m, raw) => {
      const quarter = QUARTERS[m[1] ?? ''] ?? 0;
      const year = Number(m[2]);
      return [
        endOfMonthPiece(quarter === 1 ? 12 : 3 * (quarter - 1), String(quarter === 1 ? year - 1 : year), m[0], raw),
      ];
    },
  },
  {
    re: /\btruoc nam (\d{4})\b/g,
    make: (m, raw) => [endOfMonthPiece(12, String(Number(m[1]) - 1), m[0], raw)],
  },
  // N times a year: "mỗi năm 1 lần", "1 lần/năm", "2 lần trong năm".
  {
    re: new RegExp(`\\b(?:moi|hang) nam ${NUM} lan\\b`, 'g'),
    make: (m) => timesPerYearPiece(toNumber(m[1] ?? '')),
  },
  {
    re: new RegExp(`\\b${NUM} lan ?(?:/|moi|mot|trong|1) ?nam\\b`, 'g'),
    make: (m) => timesPerYearPiece(toNumber(m[1] ?? '')),
  },
  // Once every N years / months: "2 năm/lần", "02 năm một lần", "mỗi 2 năm", "định kỳ 6 tháng".
  {
    re: new RegExp(`\\b${NUM} (nam|thang) ?(?:/ ?${ONE}? ?lan|${ONE} lan)\\b`, 'g'),
    make: (m) => everyPiece(toNumber(m[1] ?? ''), m[2] === 'nam' ? 12 : 1),
  },
  {
    re: new RegExp(`\\b(?:moi|dinh ky) ${NUM} (nam|thang)\\b`, 'g'),
    make: (m) => everyPiece(toNumber(m[1] ?? ''), m[2] === 'nam' ? 12 : 1),
  },
  // Once a quarter / month written as a count: "1 lần/quý", "mỗi tháng 1 lần".
  {
    re: new RegExp(`\\b${ONE} lan ?/ ?(quy|thang)\\b`, 'g'),
    make: (m) => everyPiece(1, m[1] === 'quy' ? 3 : 1),
  },
  {
    re: new RegExp(`\\b(?:moi|hang) (quy|thang) ${ONE} lan\\b`, 'g'),
    make: (m) => everyPiece(1, m[1] === 'quy' ? 3 : 1),
  },
  {
    re: /\b(?:quy|thang) ?\/ ?lan\b/g,
    make: (m) => everyPiece(1, m[0].startsWith('quy') ? 3 : 1),
  },
  // Plain cadences.
  {
    re: /\b(?:hang|moi) quy\b/g,
    make: () => [{ t: 'cadence', months: 3, count: false }],
  },
  {
    re: /\b(?:hang|moi) thang\b/g,
    make: () => [{ t: 'cadence', months: 1, count: false }],
  },
  {
    re: /\b(?:hang|moi) nam\b/g,
    make: () => [{ t: 'cadence', months: 12, count: false }],
  },
  // Year ranges: "2023-2025", "từ năm 2023 đến năm 2025".
  {
    re: /\b(\d{4})-(\d{4})\b|\b(\d{4}) (?:den|toi) (?:het )?(?:nam )?(\d{4})\b/g,
    make: (m, raw) => {
      const from = checkYear(m[1] ?? m[3] ?? '', raw);
      const to = checkYear(m[2] ?? m[4] ?? '', raw);
      if ('flag' in from) return [{ t: 'bad', flag: from.flag }];
      if ('flag' in to) return [{ t: 'bad', flag: to.flag }];
      if (to.year < from.year) return null;
      return [{ t: 'years', from: from.year, to: to.year }];
    },
  },
  // Full dates: "31/7/2024", "31-7-2024", "31.7.2024", "ngày 15 tháng 11 năm 2024", "30/6 năm 2024".
  {
    re: /\b(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})\b/g,
    make: (m, raw) => [dayPiece(Number(m[1]), Number(m[3]), m[4], m[0], raw)],
  },
  {
    re: /\b(\d{1,2})(?: thang |\/)(\d{1,2}) nam (\d{2,4})\b/g,
    make: (m, raw) => [dayPiece(Number(m[1]), Number(m[2]), m[3], `${m[1]}/${m[2]}/${m[3]}`, raw)],
  },
  // Quarters and halves: "Quý II/2024", "quý 4 năm 2024", "6 tháng đầu năm 2024".
  {
    re: new RegExp(`\\bquy (iv|iii|ii|i|[1-4])${YEAR_SEP}(\\d{2,4})\\b`, 'g'),
    make: (m, raw) => [endOfMonthPiece(3 * (QUARTERS[m[1] ?? ''] ?? 0), m[2], m[0], raw)],
  },
  {
    re: /\b(?:0?6 thang|nua) (dau|cuoi) nam(?: (\d{2,4}))?\b/g,
    make: (m, raw) => [endOfMonthPiece(m[1] === 'dau' ? 6 : 12, m[2], m[0], raw)],
  },
  // Months: "Tháng 6/2024", "tháng 02 năm 2024", "06/2024".
  {
    re: new RegExp(`\\bthang (\\d{1,2})${YEAR_SEP}(\\d{2,4})\\b`, 'g'),
    make: (m, raw) => [endOfMonthPiece(Number(m[1]), m[2], `${m[1]}/${m[2]}`, raw)],
  },
  {
    re: /\b(\d{1,2})\/(\d{4})\b/g,
    make: (m, raw) => [endOfMonthPiece(Number(m[1]), m[2], m[0], raw)],
  },
  // Days of the year: "15/11", "ngày 15 tháng 11", "cuối năm".
  {
    re: /\b(\d{1,2}) thang (\d{1,2})\b|\b(\d{1,2})\/(\d{1,2})\b/g,
    make: (m, raw) => {
      const day = m[1] ?? m[3] ?? '';
      const month = m[2] ?? m[4] ?? '';
      return [dayPiece(Number(day), Number(month), undefined, `${day}/${month}`, raw)];
    },
  },
  {
    re: /\bcuoi nam\b(?! \d)/g,
    make: () => [{ t: 'day', month: 12, day: 31 }],
  },
  { re: /\bcuoi\b(?= nam \d{4}\b)/g, make: () => [] },
  // Quarter or month with no year: "quý IV hằng năm", "tháng 6 hằng năm".
  {
    re: /\bquy (iv|iii|ii|i|[1-4])\b/g,
    make: (m, raw) => [endOfMonthPiece(3 * (QUARTERS[m[1] ?? ''] ?? 0), undefined, m[0], raw)],
  },
  {
    re: /\bthang (\d{1,2})\b/g,
    make: (m, raw) => [endOfMonthPiece(Number(m[1]), undefined, m[0], raw)],
  },
  // A day of each period: "hằng tháng, trước ngày 25".
  {
    re: /\bngay (\d{1,2})\b/g,
    make: (m, raw) => {
      const day = Number(m[1]);
      return day >= 1 && day <= 31 ? [{ t: 'dayOnly', day }] : [{ t: 'bad', flag: invalidDate(m[1] ?? '', raw) }];
    },
  },
  // Years: "2023", "Năm 2024", "đến năm 2025".
  {
    re: /\b(\d{4})\b/g,
    make: (m, raw) => {
      const checked = checkYear(m[1] ?? '', raw);
      if ('flag' in checked) return [{ t: 'bad', flag: checked.flag }];
      const before = m.input.slice(0, m.index);
      return [
        {
          t: 'year',
          year: checked.year,
          until: /\b(?:den|toi|het)(?: nam)? ?$/.test(before),
          since: /\b(?:tu|bat dau)(?: nam)? ?$/.test(before),
        },
      ];
    },
  },
];

/** Words and phrases that carry no meaning of their own once the pieces are out. */
const FILLER = new RegExp(
  [
    'bat dau',
    'cham nhat',
    'hoan thanh',
    'thuc hien',
    'trien khai',
    'lien tuc',
    'dinh ky',
    'giai doan',
    'thoi gian',
    'thoi han',
    'ke tu',
    'truoc',
    'ngay',
    'den',
    'toi',
    'het',
    'han',
    'xong',
    'trong',
    'nam',
    'tu',
    'va',
    'cua',
    'vao',
    // "Hằng năm, báo cáo trước ngày 15/11": the duty's word, not the timeframe's.
    'bao cao',
    'gui bao cao',
  ]
    .map((w) => `\\b${w}\\b`)
    .join('|'),
  'g',
);

// ---------------------------------------------------------------------------------------------
// Reading the phrase

/** Fold and tidy the separators: dashes unified, no spaces around "/" or between digit-dashes. */
function normalise(raw: string): string {
  return fold(raw.replace(/[\u2010-\u2015\u2212]/g, '-').replace(/[Ðð]/g, 'd'))
    .replace(/\s*\/\s*/g, '/')
    .replace(/(\d)\s*-\s*(\d)/g, '$1-$2')
    .replace(/[\s/.-]+$/, '')
    .replace(/^[\s/.-]+/, '');
}

/** Take the pieces out of `text`; returns them in order of position, and what is left. */
function extract(text: string, raw: string): { pieces: Located[]; rest: string } | null {
  let work = text;
  const pieces: Located[] = [];
  for (const { re, make } of MATCHERS) {
    let blanked = work;
    for (const m of work.matchAll(re)) {
      const made = make(m, raw);
      if (made === null) return null;
      const index = m.index ?? 0;
      const end = index + m[0].length;
      for (const piece of made) pieces.push({ ...piece, index, end });
      blanked = blanked.slice(0, index) + ' '.repeat(m[0].length) + blanked.slice(end);
    }
    work = blanked;
  }
  pieces.sort((a, b) => a.index - b.index);
  return { pieces, rest: work };
}

/** What is left once filler words and separators are gone ('' when everything was understood). */
function leftover(rest: string): string {
  return rest.replace(FILLER, ' ').replace(/[/.-]/g, ' ').replace(/\s+/g, ' ').trim();
}

type Of<T extends Piece['t']> = Extract<Located, { t: T }>;

function only<T extends Piece['t']>(pieces: Located[], t: T): Of<T>[] {
  return pieces.filter((p): p is Of<T> => p.t === t);
}

/**
 * One of several pieces of the same kind: the last of a range ("từ 01/3 đến 30/6/2024"), else the
 * first, with a flag.
 */
function pick<P extends Located>(list: P[], text: string, raw: string, flags: string[]): P | undefined {
  const first = list[0];
  const last = list[list.length - 1];
  if (list.length < 2 || first === undefined || last === undefined) return first;
  if (/\b(?:den|toi)\b|-/.test(text.slice(first.end, last.index))) return last;
  flags.push(inBothLanguages(timeframeWords('severalDates', { raw })));
  return first;
}

/** The one cadence the phrase states, in months; NaN when cadences disagree; undefined when none. */
function cadenceOf(pieces: Located[]): { months: number; count: boolean } | undefined {
  const cadences = only(pieces, 'cadence');
  if (cadences.length === 0) return undefined;
  const distinct = [...new Set(cadences.map((c) => c.months))];
  const specific = distinct.length > 1 ? distinct.filter((m) => m !== 12) : distinct;
  const months = specific.length === 1 ? (specific[0] ?? Number.NaN) : Number.NaN;
  return {
    months,
    count: cadences.some((c) => c.months === months && c.count),
  };
}

/** `from`/`to` of a repeating schedule, from a year range or single years ("đến năm 2025"). */
function yearBounds(pieces: Located[], day: Of<'day'> | undefined): { from?: number; to?: number } {
  const range = only(pieces, 'years')[0];
  if (range !== undefined) return { from: range.from, to: range.to };
  const bounds: { from?: number; to?: number } = {};
  for (const y of only(pieces, 'year')) {
    if (y.until) bounds.to = y.year;
    else bounds.from ??= y.year;
  }
  if (day?.year !== undefined) bounds.from ??= day.year;
  return bounds;
}

/** The due day of the first period of an `every` schedule of `months` < 12 months. */
function periodDue(
  months: number,
  day: Of<'day'> | undefined,
  dayOnly: Of<'dayOnly'> | undefined,
  raw: string,
  flags: string[],
  lastMonth = false,
): MonthDay {
  if (day !== undefined) {
    const month = ((day.month - 1) % months) + 1;
    return monthDay(month, Math.min(day.day, month === 2 ? 28 : daysInMonth(month)));
  }
  if (dayOnly !== undefined) {
    if (months !== 1 && !lastMonth)
      flags.push(inBothLanguages(timeframeWords('dayOfLastMonth', { raw, day: dayOnly.day })));
    return monthDay(months, Math.min(dayOnly.day, months === 2 ? 28 : daysInMonth(months)));
  }
  return monthDay(months, months === 2 ? 28 : daysInMonth(months));
}

function withBounds<S extends Schedule>(schedule: S, bounds: { from?: number; to?: number }): S {
  return {
    ...schedule,
    ...(bounds.from !== undefined ? { from: bounds.from } : {}),
    ...(bounds.to !== undefined ? { to: bounds.to } : {}),
  };
}

/** The schedule for a phrase with a cadence of `months` months (12 → yearly). */
function repeating(
  months: number,
  atLeastOnce: boolean,
  pieces: Located[],
  text: string,
  raw: string,
  defaultDue: MonthDay,
  flags: string[],
): Schedule | undefined {
  const day = pick(only(pieces, 'day'), text, raw, flags);
  const dayOnly = only(pieces, 'dayOnly')[0];
  const bounds = yearBounds(pieces, day);
  if (months % 12 === 0) {
    if (dayOnly !== undefined) return undefined;
    const due = day === undefined ? defaultDue : monthDay(day.month, day.day);
    return withBounds(
      months === 12
        ? { kind: 'yearly', due, ...(atLeastOnce ? { atLeastOnce: true } : {}) }
        : { kind: 'every', months, due },
      bounds,
    );
  }
  if (12 % months !== 0) return undefined;
  const lastMonth = pieces.some((p) => p.t === 'lastMonth');
  return withBounds({ kind: 'every', months, due: periodDue(months, day, dayOnly, raw, flags, lastMonth) }, bounds);
}

/** The schedule for a phrase with no cadence: a date, a month, a year, a year range… */
function dated(
  pieces: Located[],
  text: string,
  raw: string,
  defaultDue: MonthDay,
  flags: string[],
): Schedule | undefined {
  if (only(pieces, 'dayOnly').length > 0) return undefined;
  // "31/12/2024, 31/12/2025": the same day of several years (not a range "từ … đến …").
  const days = only(pieces, 'day');
  const firstDay = days[0];
  if (
    firstDay !== undefined &&
    days.length > 1 &&
    days.every((d) => d.year !== undefined && d.month === firstDay.month && d.day === firstDay.day) &&
    !/\b(?:den|toi)\b|-/.test(text.slice(firstDay.end, days[days.length - 1]!.index))
  )
    return yearSeries(
      days.map((d) => d.year!),
      monthDay(firstDay.month, firstDay.day),
    );
  const day = pick(days, text, raw, flags);
  const range = only(pieces, 'years')[0];
  const years = only(pieces, 'year');
  if (day !== undefined) {
    if (day.year !== undefined) return { kind: 'once', due: isoDate(day.year, day.month, day.day) };
    const year = years.length === 1 ? years[0] : undefined;
    if (year !== undefined && range === undefined) {
      if (day.day > daysInMonth(day.month, year.year)) return undefined;
      return { kind: 'once', due: isoDate(year.year, day.month, day.day) };
    }
    return withBounds({ kind: 'yearly', due: monthDay(day.month, day.day) }, yearBounds(pieces, undefined));
  }
  if (range !== undefined) return { kind: 'yearly', due: defaultDue, from: range.from, to: range.to };
  if (years.length > 1 && years.every((y) => !y.since && !y.until))
    return yearSeries(
      years.map((y) => y.year),
      '12-31',
    );
  const year = pick(years, text, raw, flags);
  if (year === undefined) return undefined;
  // "Từ năm 2024": every year from 2024.
  if (year.since) return { kind: 'yearly', due: defaultDue, from: year.year };
  return { kind: 'once', due: isoDate(year.year, 12, 31) };
}

/**
 * "2024, 2025" (or "31/12/2024, 31/12/2025"): a deadline on `due` of each year named, yearly from
 * the first to the last.
 */
function yearSeries(list: number[], due: MonthDay): Schedule | undefined {
  const years = [...new Set(list)].sort((a, b) => a - b);
  const first = years[0]!;
  const last = years[years.length - 1]!;
  if (years.length === 1) return { kind: 'once', due: `${first}-${due}` };
  // Periods of several years are counted from the plan's start, not from the years named: only
  // consecutive years are one schedule; "2024, 2026" is left to the administrator.
  if (!years.every((y, i) => y === first + i)) return undefined;
  return { kind: 'yearly', due, from: first, to: last };
}

/** "Thường xuyên": check in monthly when the phrase says so, else quarterly. */
function ongoing(pieces: Located[], raw: string, flags: string[]): Schedule {
  const cadence = cadenceOf(pieces);
  const checkIn = cadence?.months === 1 ? 'monthly' : 'quarterly';
  const ignored = pieces.some((p) => p.t === 'day' || p.t === 'dayOnly' || p.t === 'year' || p.t === 'years');
  if (ignored || (cadence !== undefined && ![1, 3, 12].includes(cadence.months))) {
    flags.push(inBothLanguages(timeframeWords('ongoingIgnoresDates', { raw })));
  }
  return { kind: 'ongoing', checkIn };
}

function unparsed(raw: string, flags: string[]): ParsedTimeframe {
  return { schedule: { kind: 'unparsed', raw }, flags };
}

/**
 * Parse a timeframe phrase ("Hàng năm", "Trước ngày 31/7/2024", "Quý II/2024", "6 tháng/lần",
 * "Thường xuyên"…) into a {@link Schedule} (SPEC §3). Case, diacritics, spacing, "hằng"/"hàng",
 * "năm"/"nam" and trailing punctuation do not matter.
 *
 * Never throws. A phrase it does not understand comes back as `{ kind: 'unparsed', raw }` with the
 * flag `Không hiểu thời hạn: «raw»`; an impossible date (31/02/2024) with `Ngày không hợp lệ: …`.
 * Other flags mention "thời hạn". Each flag is in both languages ("vi / en", `inBothLanguages`; pages
 * show one with `oneLanguage`), the English part saying "timeframe" or "valid date". `flags` is
 * empty when the phrase was fully understood.
 */
export function parseTimeframe(raw: string, options: TimeframeOptions = {}): ParsedTimeframe {
  const shown = tidy(raw);
  const defaultDue = options.defaultDue ?? DEFAULT_DUE;
  const text = normalise(shown);
  const found = text === '' ? null : extract(text, shown);
  if (found === null) return unparsed(shown, [unparsedFlag(shown)]);
  const { pieces, rest } = found;

  const bad = only(pieces, 'bad');
  if (bad.length > 0) return unparsed(shown, [...new Set(bad.map((b) => b.flag))]);
  const meaningful = pieces.some((p) => p.t !== 'atLeast' && p.t !== 'lastMonth');
  if (!meaningful || leftover(rest) !== '') return unparsed(shown, [unparsedFlag(shown)]);

  const flags: string[] = [];
  if (pieces.some((p) => p.t === 'ongoing')) return { schedule: ongoing(pieces, shown, flags), flags };
  // Weekly work is tracked as ongoing, confirmed each month (no schedule is shorter than a month).
  if (pieces.some((p) => p.t === 'weekly')) {
    if (pieces.some((p) => p.t !== 'weekly' && p.t !== 'atLeast')) return unparsed(shown, [unparsedFlag(shown)]);
    return { schedule: { kind: 'ongoing', checkIn: 'monthly' }, flags };
  }

  const cadence = cadenceOf(pieces);
  const atLeastOnce = pieces.some((p) => p.t === 'atLeast') || cadence?.count === true;
  const schedule =
    cadence === undefined
      ? dated(pieces, text, shown, defaultDue, flags)
      : repeating(cadence.months, atLeastOnce, pieces, text, shown, defaultDue, flags);
  if (schedule === undefined) return unparsed(shown, [unparsedFlag(shown)]);
  return { schedule, flags };
}

// ---------------------------------------------------------------------------------------------
// Telling a timeframe apart from other text (a PDF's cells, read without their columns)

const TIMEFRAME_START =
  /^(thuong xuyen|hang nam|dinh ky|hang quy|hang thang|hang tuan|nam \d{4}|\d{4}( ?- ?\d{4})?|giai doan|truoc ngay|truoc thang|den (ngay|het|nam|thang|quy)|trong (nam|quy|thang)|quy [ivx\d]+|thang \d|hoan thanh|toi thieu|tu nam|\d+ (nam|thang) ?\/ ?lan|\d{1,2}\/\d{1,2}\/\d{4}|6 thang|moi nam)/;

/**
 * Whether a short text reads as a timeframe phrase ("Thường xuyên", "Quý II/2024", "2023 - 2025",
 * "Hoàn thành trước …"), even cut short by a page or a column: a reader uses it to find the
 * timeframe cell among a row's blocks of text.
 */
export function looksLikeTimeframe(text: string): boolean {
  const t = tidy(text);
  if (!t || t.length > 80 || /^[-–]/.test(t)) return false;
  return TIMEFRAME_START.test(fold(t));
}

/** "vị liên quan 2023" → head "vị liên quan", time "2023": a timeframe ending a line of two cells. */
export function splitTimeTail(line: string): { head: string; time: string } | null {
  const m = /^(.*\S)\s+((?:[Nn]ăm\s+)?\d{4}(?:\s*-\s*\d{4})?|Thường xuyên|Hàng năm|Hằng năm|Hàng quý|Hằng quý)$/u.exec(
    line.trim(),
  );
  return m ? { head: m[1]!, time: m[2]! } : null;
}

const DEADLINES =
  /(?:trước|chậm nhất(?:\s+(?:là|vào))?|không muộn hơn)\s+ngày\s+(\d{1,2})(?:\s*(?:tháng\s*|\/|-)\s*(\d{1,2})(?:\s*(?:năm\s*|\/|-)\s*(\d{4}))?)?(\s+(?:của\s+)?tháng\s+cuối\s+(?:quý|kỳ))?/giu;
const CADENCES = /(?:hằng|hàng|mỗi)\s+(quý|tháng|năm)|(?:06|6|sáu)\s+tháng/giu;

/** A deadline a plan's body text states for a report. */
export interface StatedDeadline {
  /** The timeframe phrase: the deadline as written, after its cadence when it is not yearly. */
  phrase: string;
  day: number;
  /** Null for a day of each period ("trước ngày 20 của tháng cuối quý"). */
  month: number | null;
  /** Null: every period. */
  year: number | null;
  /** The period in months (12: yearly). */
  months: number;
}

/**
 * The deadlines a sentence of a plan's body states ("… gửi về Sở … trước ngày 15 tháng 11 …",
 * "báo cáo định kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12)", "hằng quý, trước
 * ngày 20 của tháng cuối quý"), each with the cadence written closest before it (yearly when none).
 * A day that does not exist, or a day with no month and no shorter cadence, is left out.
 */
export function deadlinesIn(text: string): StatedDeadline[] {
  const out: StatedDeadline[] = [];
  for (const m of text.matchAll(DEADLINES)) {
    const before = text.slice(Math.max(0, (m.index ?? 0) - 80), m.index);
    const cadence = [...before.matchAll(CADENCES)].at(-1);
    const unit = cadence ? (cadence[1] ?? '6').toLowerCase() : 'năm';
    const months = unit === 'quý' ? 3 : unit === 'tháng' ? 1 : unit === '6' ? 6 : 12;
    const day = Number(m[1]);
    const month = m[2] ? Number(m[2]) : null;
    const year = m[3] ? Number(m[3]) : null;
    if (month === null && months === 12) continue;
    if (month !== null && (month < 1 || month > 12 || day < 1 || day > daysInMonth(month, year ?? undefined))) continue;
    if (day < 1 || day > 31) continue;
    const written = tidy(m[0]);
    const lead = months === 3 ? 'hằng quý' : months === 1 ? 'hằng tháng' : months === 6 ? 'định kỳ 6 tháng' : '';
    out.push({ phrase: lead ? `${lead}, ${written}` : written, day, month, year, months });
  }
  return out;
}

/**
 * A duty's schedule read within a plan for one year ("Kế hoạch … năm 2025"): a day or period the
 * phrase gives without a year and without a cadence ("6 tháng đầu năm", "Tháng 6", "cuối năm") is
 * that year's, once — not every year. A phrase that repeats ("hằng năm", "định kỳ 6 tháng") or
 * names its years is left as read.
 */
export function inPlanYear(raw: string, schedule: Schedule, year: number): Schedule {
  if (schedule.kind !== 'yearly' || schedule.from !== undefined || schedule.to !== undefined) return schedule;
  const found = extract(normalise(tidy(raw)), tidy(raw));
  if (!found || cadenceOf(found.pieces) !== undefined) return schedule;
  if (found.pieces.some((p) => p.t === 'year' || p.t === 'years' || p.t === 'ongoing')) return schedule;
  const [month, day] = schedule.due.split('-').map(Number) as [number, number];
  if (day > daysInMonth(month, year)) return schedule;
  return { kind: 'once', due: isoDate(year, month, day) };
}
