import { describe, expect, it } from 'vitest';
import type { CalendarDay } from '#root/domain/types.js';
import {
  addDays,
  createWorkingCalendar,
  dayOfWeek,
  daysInMonth,
  workingCalendarForYears,
} from '#root/domain/working-days.js';

const adminHoliday: CalendarDay = { date: '2026-11-20', kind: 'holiday', name: 'Nghỉ (thử nghiệm)' };
const cal = workingCalendarForYears([2026], [adminHoliday]);
const due = '2026-11-15'; // a Sunday

describe('date helpers', () => {
  it('shift days and months in UTC, across months, years and leap days', () => {
    expect(addDays('2026-11-15', 1)).toBe('2026-11-16');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(dayOfWeek('2026-11-15')).toBe(0);
    expect(dayOfWeek('2026-11-14')).toBe(6);
    expect(daysInMonth(2028, 2)).toBe(29);
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(() => addDays('2026-02-30', 0)).toThrow(RangeError);
  });
});

describe('reminder stage days for due 2026-11-15 with an administrator holiday on 20/11', () => {
  it.each([
    [-14, '2026-10-27'],
    [-7, '2026-11-05'],
    [-3, '2026-11-11'],
    [-1, '2026-11-13'],
    [1, '2026-11-16'],
    [3, '2026-11-18'],
    [4, '2026-11-19'],
    [6, '2026-11-24'],
    [7, '2026-11-25'],
    [10, '2026-11-30'],
    [13, '2026-12-03'],
  ])('addWorkingDays(due, %i) = %s', (n, expected) => {
    expect(cal.addWorkingDays(due, n)).toBe(expected);
  });

  it('moves the due stage to Friday 13/11', () => {
    expect(cal.previousWorkingDay(due)).toBe('2026-11-13');
    expect(cal.nextWorkingDay(due)).toBe('2026-11-16');
  });

  it('counts working days', () => {
    // (a, b]: from a Sunday due date, 3 working days back is Wednesday 11/11, which leaves 12 and 13.
    expect(cal.workingDaysBetween('2026-11-11', due)).toBe(2);
    expect(cal.workingDaysBetween('2026-11-11', '2026-11-13')).toBe(2);
    expect(cal.workingDaysBetween('2026-11-10', '2026-11-13')).toBe(3);
    expect(cal.workingDaysBetween(due, '2026-11-25')).toBe(7);
    expect(cal.workingDaysBetween('2026-10-27', due)).toBe(13);
    expect(cal.workingDaysBetween(due, due)).toBe(0);
    expect(cal.workingDaysBetween('2026-11-25', due)).toBe(0);
    expect(cal.workingDaysBetween('2026-11-19', '2026-11-20')).toBe(0);
  });
});

describe('createWorkingCalendar', () => {
  const c = createWorkingCalendar([
    { date: '2026-02-14', kind: 'holiday', name: 'Nghỉ Tết' },
    { date: '2026-01-31', kind: 'workday', name: 'Làm bù' },
    { date: '2026-03-02', kind: 'holiday', name: 'Nghỉ' },
  ]);

  it('works Monday–Friday, rests on weekends, applies holidays and worked Saturdays', () => {
    expect(c.isWorkingDay('2026-11-13')).toBe(true); // Friday
    expect(c.isWorkingDay('2026-11-14')).toBe(false); // Saturday
    expect(c.isWorkingDay('2026-11-15')).toBe(false); // Sunday
    expect(c.isWorkingDay('2026-01-31')).toBe(true); // worked Saturday
    expect(c.isWorkingDay('2026-03-02')).toBe(false); // Monday off
    expect(c.isWorkingDay('2026-02-17')).toBe(true); // no law holidays in a bare calendar
  });

  it('n = 0 returns the day itself, even a non-working one', () => {
    expect(c.addWorkingDays('2026-11-15', 0)).toBe('2026-11-15');
  });

  it('counts a worked Saturday and skips a holiday', () => {
    expect(c.addWorkingDays('2026-01-30', 1)).toBe('2026-01-31');
    expect(c.addWorkingDays('2026-02-02', -1)).toBe('2026-01-31');
    expect(c.addWorkingDays('2026-02-27', 1)).toBe('2026-03-03');
    expect(c.workingDaysBetween('2026-01-29', '2026-02-02')).toBe(3); // 30, 31 (Sat worked), 2
  });

  it('agrees with workingDaysBetween for many starts and offsets', () => {
    for (const start of ['2026-01-28', '2026-02-13', '2026-02-14', '2026-02-28', '2026-03-01']) {
      for (const n of [1, 2, 5, 9, 23]) {
        const end = c.addWorkingDays(start, n);
        expect(c.workingDaysBetween(start, end)).toBe(n);
        expect(c.isWorkingDay(end)).toBe(true);
        const back = c.addWorkingDays(end, -n);
        expect(back <= start).toBe(true);
        expect(c.workingDaysBetween(back, end)).toBe(n);
      }
    }
  });

  it('gives the last working day of a month', () => {
    expect(c.lastWorkingDayOfMonth(2026, 1)).toBe('2026-01-31'); // worked Saturday
    expect(c.lastWorkingDayOfMonth(2026, 2)).toBe('2026-02-27');
    expect(c.lastWorkingDayOfMonth(2026, 5)).toBe('2026-05-29'); // 30–31/05 weekend
    expect(c.lastWorkingDayOfMonth(2028, 12)).toBe('2028-12-29');
    expect(() => c.lastWorkingDayOfMonth(2026, 13)).toThrow(RangeError);
  });

  it('later entries for the same date win', () => {
    const d = createWorkingCalendar([
      { date: '2026-11-20', kind: 'holiday', name: 'a' },
      { date: '2026-11-20', kind: 'workday', name: 'b' },
    ]);
    expect(d.isWorkingDay('2026-11-20')).toBe(true);
  });

  it('rejects invalid dates and fractional counts', () => {
    expect(() => c.isWorkingDay('2026-13-01')).toThrow(RangeError);
    expect(() => c.addWorkingDays('2026-11-15', 1.5)).toThrow(RangeError);
    expect(() => createWorkingCalendar([{ date: '20261120', kind: 'holiday', name: 'x' }])).toThrow(RangeError);
  });

  it('throws a clear error instead of looping forever when no working day exists', () => {
    const start = Date.UTC(2026, 0, 1);
    const allOff: CalendarDay[] = Array.from({ length: 4000 }, (_, i) => ({
      date: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
      kind: 'holiday' as const,
      name: 'x',
    }));
    const off = createWorkingCalendar(allOff);
    expect(() => off.addWorkingDays('2026-01-01', 1)).toThrow(/no answer/);
    expect(() => off.nextWorkingDay('2026-06-01')).toThrow(/no answer/);
    expect(() => off.lastWorkingDayOfMonth(2026, 6)).toThrow(/no working day/);
  });
});

describe('workingCalendarForYears', () => {
  it('applies the law’s holidays of each year', () => {
    const c = workingCalendarForYears([2025, 2026], []);
    expect(c.isWorkingDay('2026-02-17')).toBe(false); // Tết
    expect(c.isWorkingDay('2026-04-27')).toBe(false); // Nghỉ bù Giỗ Tổ
    expect(c.isWorkingDay('2025-02-03')).toBe(false); // Nghỉ bù Tết
    expect(c.isWorkingDay('2026-09-01')).toBe(false);
    expect(c.isWorkingDay('2026-09-03')).toBe(true);
    expect(c.nextWorkingDay('2026-02-14')).toBe('2026-02-23');
    expect(c.previousWorkingDay('2026-02-22')).toBe('2026-02-13');
    expect(c.addWorkingDays('2026-02-13', 1)).toBe('2026-02-23');
    expect(c.lastWorkingDayOfMonth(2026, 4)).toBe('2026-04-29');
  });

  it('lets the administrator override the law on the same date', () => {
    const c = workingCalendarForYears(
      [2026],
      [
        { date: '2026-02-20', kind: 'workday', name: 'Đi làm' },
        { date: '2026-02-21', kind: 'holiday', name: 'x' },
        { date: '2026-02-14', kind: 'holiday', name: 'Nghỉ Tết' },
        { date: '2026-01-31', kind: 'workday', name: 'Làm bù' },
      ],
    );
    expect(c.isWorkingDay('2026-02-20')).toBe(true);
    expect(c.isWorkingDay('2026-02-14')).toBe(false);
    expect(c.isWorkingDay('2026-01-31')).toBe(true);
    expect(c.previousWorkingDay('2026-02-19')).toBe('2026-02-13');
  });

  it('knows no holidays for years it was not given', () => {
    const c = workingCalendarForYears([2026], []);
    expect(c.isWorkingDay('2027-02-08')).toBe(true); // Tết 2027 week, but 2027 not loaded
  });
});

describe('workingDaysBetween counts like walking day by day', () => {
  it('agrees with a day-by-day count for many spans across 2025–2027, holidays and working Saturdays included', () => {
    const cal = workingCalendarForYears(
      [2025, 2026, 2027],
      [
        { date: '2026-11-20', kind: 'holiday', name: 'x' },
        { date: '2026-02-07', kind: 'workday', name: 'làm bù' },
      ],
    );
    const start = Date.UTC(2025, 0, 1);
    const day = (i: number) => new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    for (let k = 0; k < 400; k++) {
      const a = rand(1000);
      const b = a + rand(120) - 5;
      let walked = 0;
      for (let i = a + 1; i <= b; i++) if (cal.isWorkingDay(day(i))) walked++;
      expect(cal.workingDaysBetween(day(a), day(b)), `${day(a)} → ${day(b)}`).toBe(walked);
    }
  });
});
