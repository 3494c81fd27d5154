/**
 * How dates, periods, states and counts read in messages, Vietnamese first, English second: the
 * one place that turns stored values (ISO dates, period keys, states) into words for people.
 */
import { boundedMemo } from '#root/lib/bounded-memo.js';
import type { IsoDate, MonthDay, Schedule } from './types.js';

export type Lang = 'vi' | 'en';

const EN_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "ngày 15 tháng 11 năm 2026" / "15 November 2026". */
export function longDate(date: IsoDate, lang: Lang): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return lang === 'vi' ? `ngày ${d} tháng ${m} năm ${y}` : `${d} ${EN_MONTHS[m - 1]} ${y}`;
}

const VI_WEEKDAYS = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy'];
const EN_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "thứ Sáu" / "Friday", "Chủ nhật" / "Sunday": the day of the week of a calendar day, as written inside a sentence. */
export function weekdayName(date: IsoDate, lang: Lang): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return (lang === 'vi' ? VI_WEEKDAYS : EN_WEEKDAYS)[dow]!;
}

/** "15/11/2026" / "15/11/2026" (Vietnam and most of the world write day first). */
export function shortDate(date: IsoDate): string {
  const [y, m, d] = date.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * "còn 3 ngày làm việc" / "3 working days left"; "hạn là hôm nay" / "due today";
 * "quá hạn 2 ngày làm việc" / "2 working days overdue".
 */
export function workingDaysPhrase(days: number, lang: Lang): string {
  if (days === 0) return lang === 'vi' ? 'hạn là hôm nay' : 'due today';
  if (days > 0) return lang === 'vi' ? `còn ${days} ngày làm việc` : `${days} working day${days === 1 ? '' : 's'} left`;
  const n = -days;
  return lang === 'vi' ? `quá hạn ${n} ngày làm việc` : `${n} working day${n === 1 ? '' : 's'} overdue`;
}

/**
 * How a schedule reads to an administrator: "hằng năm, hạn 15/11" / "yearly, due 15/11". The CLI
 * and the web pages share it (Vietnamese by default).
 */
export function describeSchedule(s: Schedule, lang: Lang = 'vi'): string {
  const vi = lang === 'vi';
  const md = (due: MonthDay) => `${due.slice(3, 5)}/${due.slice(0, 2)}`;
  switch (s.kind) {
    case 'once':
      return `${vi ? 'một lần, hạn' : 'once, due'} ${s.due.split('-').reverse().join('/')}`;
    case 'yearly': {
      const range = s.from || s.to ? ` (${s.from ?? '…'}–${s.to ?? '…'})` : '';
      const least = s.atLeastOnce ? (vi ? ', tối thiểu 1 lần/năm' : ', at least once a year') : '';
      return `${vi ? 'hằng năm, hạn' : 'yearly, due'} ${md(s.due)}${range}${least}`;
    }
    case 'every':
      return vi ? `${s.months} tháng/lần, hạn ${md(s.due)}` : `every ${s.months} months, due ${md(s.due)}`;
    case 'ongoing':
      return vi
        ? `thường xuyên, báo cáo ${s.checkIn === 'monthly' ? 'hằng tháng' : 'hằng quý'}`
        : `ongoing, ${s.checkIn === 'monthly' ? 'monthly' : 'quarterly'} check-in`;
    case 'unparsed':
      return vi ? `CHƯA HIỂU: «${s.raw}»` : `NOT UNDERSTOOD: «${s.raw}»`;
  }
}

const ROMAN = ['I', 'II', 'III', 'IV'];

/**
 * A period as people say it, from its key (see `occurrences.ts`): "năm 2026" / "2026",
 * "Quý IV/2026" / "Q4 2026", "6 tháng đầu năm 2026" / "first half of 2026", "tháng 11/2026" /
 * "November 2026", "giai đoạn 2026–2027" / "2026–2027", "kỳ 3 năm 2026" / "period 3 of 2026",
 * "một lần" / "one-off". A key of no known shape is returned as it is (never thrown).
 */
export function periodInWords(periodKey: string, lang: Lang): string {
  const vi = lang === 'vi';
  if (periodKey === 'once') return vi ? 'một lần' : 'one-off';
  let m = /^(\d{4})$/.exec(periodKey);
  if (m) return vi ? `năm ${m[1]}` : m[1]!;
  m = /^(\d{4})-(\d{4})$/.exec(periodKey);
  if (m) return vi ? `giai đoạn ${m[1]}–${m[2]}` : `${m[1]}–${m[2]}`;
  m = /^(\d{4})-Q([1-4])$/.exec(periodKey);
  if (m) return vi ? `Quý ${ROMAN[Number(m[2]) - 1]}/${m[1]}` : `Q${m[2]} ${m[1]}`;
  m = /^(\d{4})-H([12])$/.exec(periodKey);
  if (m) {
    const first = m[2] === '1';
    return vi ? `6 tháng ${first ? 'đầu' : 'cuối'} năm ${m[1]}` : `${first ? 'first' : 'second'} half of ${m[1]}`;
  }
  m = /^(\d{4})-(\d{2})$/.exec(periodKey);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12)
    return vi ? `tháng ${Number(m[2])}/${m[1]}` : `${EN_MONTHS[Number(m[2]) - 1]} ${m[1]}`;
  m = /^(\d{4})-P(\d{1,2})$/.exec(periodKey);
  if (m) return vi ? `kỳ ${Number(m[2])} năm ${m[1]}` : `period ${Number(m[2])} of ${m[1]}`;
  return periodKey;
}

/** "thứ Sáu, 13/11/2026" / "Friday, 13/11/2026"; "Chủ nhật, 15/11/2026" / "Sunday, 15/11/2026". */
export function dayInWords(date: IsoDate, lang: Lang): string {
  return `${weekdayName(date, lang)}, ${shortDate(date)}`;
}

/** The states of an obligation (see `obligation-state.ts`) and of its stored status, in words. */
const STATE_WORDS: Record<string, [vi: string, en: string]> = {
  overdue: ['quá hạn', 'overdue'],
  soon: ['sắp đến hạn', 'due soon'],
  extended: ['đã gia hạn', 'extended'],
  open: ['đang mở', 'open'],
  done: ['đã hoàn thành', 'done'],
  waived: ['được miễn', 'waived'],
};

/** "quá hạn" / "overdue", "đã hoàn thành" / "done"…; an unknown state as "không rõ" / "unknown". */
export function stateInWords(state: string, lang: Lang): string {
  const words = STATE_WORDS[state];
  if (!words) return lang === 'vi' ? 'không rõ' : 'unknown';
  return lang === 'vi' ? words[0] : words[1];
}

/**
 * The readable values of a reminder's view (see `src/messages/templates.ts`): its period, its due
 * date in three forms and the working days left, for the contact's language. Every reminder view
 * (the worker's, the template preview's, the leak test's) takes them from here.
 */
export function reminderWords(input: { periodKey: string; dueDate: IsoDate; workingDaysLeft: number; lang: Lang }) {
  const { periodKey, dueDate, workingDaysLeft, lang } = input;
  const day = dayWords(dueDate, lang);
  return {
    period: periodInWords(periodKey, lang),
    dueDate: day.long,
    dueDateShort: day.short,
    dueWeekday: day.weekday,
    remaining: workingDaysPhrase(workingDaysLeft, lang),
  };
}

/**
 * A due date's three forms, by language and day: every item of every message sent says them, and
 * a morning's messages share a few due dates. Bounded; a process that met more starts again.
 */
type DayWords = { long: string; short: string; weekday: string };
const VI_DAY_WORDS = boundedMemo<IsoDate, DayWords>(5_000);
const EN_DAY_WORDS = boundedMemo<IsoDate, DayWords>(5_000);

function dayWords(date: IsoDate, lang: Lang): DayWords {
  // As longDate and weekdayName: Vietnamese, else English.
  return (lang === 'vi' ? VI_DAY_WORDS : EN_DAY_WORDS)(date, () => ({
    long: longDate(date, lang),
    short: shortDate(date),
    weekday: weekdayName(date, lang),
  }));
}
