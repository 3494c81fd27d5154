/**
 * How dates and counts read in messages, Vietnamese first, English second.
 */
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

const VI_WEEKDAYS = ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];
const EN_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "Chủ nhật" / "Sunday": the day of the week of a calendar day. */
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
