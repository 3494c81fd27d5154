import { describe, expect, it } from 'vitest';
import {
  dayInWords,
  longDate,
  periodInWords,
  reminderWords,
  shortDate,
  stateInWords,
  weekdayName,
  workingDaysPhrase,
} from '#root/domain/wording.js';
import { OBLIGATION_STATES } from '#root/domain/obligation-state.js';
import { occurrences } from '#root/domain/occurrences.js';
import type { Schedule } from '#root/domain/types.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';

describe('wording dates and counts', () => {
  it('writes dates the Vietnamese way, and the English way', () => {
    expect(longDate('2026-11-15', 'vi')).toBe('ngày 15 tháng 11 năm 2026');
    expect(longDate('2026-07-05', 'vi')).toBe('ngày 5 tháng 7 năm 2026');
    expect(longDate('2026-11-15', 'en')).toBe('15 November 2026');
    expect(shortDate('2026-07-05')).toBe('05/07/2026');
  });

  it.each([
    [3, 'vi', 'còn 3 ngày làm việc'],
    [1, 'en', '1 working day left'],
    [0, 'vi', 'hạn là hôm nay'],
    [-2, 'vi', 'quá hạn 2 ngày làm việc'],
    [-1, 'en', '1 working day overdue'],
  ] as const)('says %i working days in %s as «%s»', (n, lang, text) => {
    expect(workingDaysPhrase(n, lang)).toBe(text);
  });
});

describe('wording periods, days and states', () => {
  it.each([
    ['2026', 'năm 2026', '2026'],
    ['2026-Q4', 'Quý IV/2026', 'Q4 2026'],
    ['2026-Q1', 'Quý I/2026', 'Q1 2026'],
    ['2026-H1', '6 tháng đầu năm 2026', 'first half of 2026'],
    ['2026-H2', '6 tháng cuối năm 2026', 'second half of 2026'],
    ['2026-11', 'tháng 11/2026', 'November 2026'],
    ['2026-01', 'tháng 1/2026', 'January 2026'],
    ['2026-2027', 'giai đoạn 2026–2027', '2026–2027'],
    ['2026-P3', 'kỳ 3 năm 2026', 'period 3 of 2026'],
    ['once', 'một lần', 'one-off'],
  ])('says the period %s as «%s» / «%s»', (key, vi, en) => {
    expect(periodInWords(key, 'vi')).toBe(vi);
    expect(periodInWords(key, 'en')).toBe(en);
  });

  it('leaves a key of no known shape as it is rather than guessing', () => {
    expect(periodInWords('2026-13', 'vi')).toBe('2026-13');
    expect(periodInWords('', 'en')).toBe('');
  });

  it('says every period the schedules make in words, never as its key', () => {
    const schedules = [
      { kind: 'once', due: '2026-07-31' },
      { kind: 'yearly', due: '11-15' },
      { kind: 'every', months: 6, due: '06-30' },
      { kind: 'every', months: 3, due: '03-31' },
      { kind: 'every', months: 1, due: '01-25' },
      { kind: 'every', months: 2, due: '02-28' },
      { kind: 'every', months: 24, due: '12-31' },
      { kind: 'ongoing', checkIn: 'monthly' },
      { kind: 'ongoing', checkIn: 'quarterly' },
    ] satisfies Schedule[];
    const keys = new Set<string>();
    const window = { from: '2026-01-01', to: '2027-12-31' };
    for (const s of schedules)
      for (const o of occurrences(s, window, {
        zone: 'Asia/Ho_Chi_Minh',
        startsOn: '2026-01-01',
        calendar: workingCalendarForYears([2026, 2027], []),
      }))
        keys.add(o.periodKey);
    expect(keys.size).toBeGreaterThan(10);
    for (const key of keys)
      for (const lang of ['vi', 'en'] as const) {
        const words = periodInWords(key, lang);
        if (lang === 'vi' || !/^\d{4}$/.test(key)) expect(words, key).not.toBe(key);
        expect(words, key).not.toMatch(/\d{4}-[A-Z0-9]/);
      }
  });

  it('writes a day with its weekday', () => {
    expect(dayInWords('2026-11-13', 'vi')).toBe('thứ Sáu, 13/11/2026');
    expect(dayInWords('2026-11-13', 'en')).toBe('Friday, 13/11/2026');
    expect(dayInWords('2026-11-15', 'vi')).toBe('Chủ nhật, 15/11/2026');
    expect(weekdayName('2026-11-16', 'vi')).toBe('thứ Hai');
  });

  it('says every obligation state in words, in both languages', () => {
    for (const state of OBLIGATION_STATES) {
      expect(stateInWords(state, 'vi')).not.toBe(state);
      expect(stateInWords(state, 'en')).toMatch(/^[a-z ]+$/);
    }
    expect(stateInWords('done', 'vi')).toBe('đã hoàn thành');
    expect(stateInWords('overdue', 'vi')).toBe('quá hạn');
    expect(stateInWords('nonsense', 'vi')).toBe('không rõ');
  });

  it('gives a reminder view its readable values', () => {
    expect(reminderWords({ periodKey: '2026-Q4', dueDate: '2026-12-31', workingDaysLeft: 3, lang: 'vi' })).toEqual({
      period: 'Quý IV/2026',
      dueDate: 'ngày 31 tháng 12 năm 2026',
      dueDateShort: '31/12/2026',
      dueWeekday: 'thứ Năm',
      remaining: 'còn 3 ngày làm việc',
    });
  });
});
