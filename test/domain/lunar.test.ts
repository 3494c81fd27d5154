import { describe, expect, it } from 'vitest';
import { lunarToSolar, solarToLunar, tetDate } from '#root/domain/lunar.js';

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const nextDay = (day: string) => iso(Date.parse(`${day}T00:00:00Z`) + 86_400_000);

describe('tetDate', () => {
  it.each([
    [2020, '2020-01-25'],
    [2021, '2021-02-12'],
    [2022, '2022-02-01'],
    [2023, '2023-01-22'],
    [2024, '2024-02-10'],
    [2025, '2025-01-29'],
    [2026, '2026-02-17'],
    [2027, '2027-02-06'],
    [2028, '2028-01-26'],
    [2029, '2029-02-13'],
    [2031, '2031-01-23'],
    [2032, '2032-02-11'],
    [2033, '2033-01-31'],
    [2034, '2034-02-19'],
    [2035, '2035-02-08'],
  ])('Tết %i is %s', (year, date) => {
    expect(tetDate(year)).toBe(date);
  });

  it('uses UTC+7: Tết 1985 is 21/01 in Vietnam (20/02 in China, UTC+8)', () => {
    expect(tetDate(1985)).toBe('1985-01-21');
  });

  it('uses UTC+7: Tết 2030 is 02/02 (new moon 16:07 UTC = 23:07 in Vietnam, already 03/02 in China)', () => {
    expect(tetDate(2030)).toBe('2030-02-02');
    expect(solarToLunar('2030-02-01')).toEqual({ year: 2029, month: 12, day: 29, leap: false });
  });
});

describe('lunarToSolar', () => {
  it('gives Giỗ Tổ Hùng Vương (10/3 lunar)', () => {
    expect(lunarToSolar(2024, 3, 10)).toBe('2024-04-18');
    expect(lunarToSolar(2025, 3, 10)).toBe('2025-04-07');
    expect(lunarToSolar(2026, 3, 10)).toBe('2026-04-26');
  });

  it('handles leap months (2025 has a leap 6th month; 2023 a leap 2nd month)', () => {
    expect(lunarToSolar(2025, 6, 1)).toBe('2025-06-25');
    expect(lunarToSolar(2025, 6, 1, true)).toBe('2025-07-25');
    expect(lunarToSolar(2025, 7, 1)).toBe('2025-08-23');
    expect(lunarToSolar(2023, 2, 1, true)).toBe('2023-03-22');
    expect(solarToLunar('2025-08-20')).toEqual({ year: 2025, month: 6, day: 27, leap: true });
  });

  it('rejects a leap month that does not exist, a day 30 of a 29-day month and nonsense', () => {
    expect(() => lunarToSolar(2026, 6, 1, true)).toThrow(RangeError);
    expect(() => lunarToSolar(2025, 7, 1, true)).toThrow(RangeError);
    // Some years' month 12 has 29 days: day 30 would be Tết.
    const short = [2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027].filter(
      (y) => solarToLunar(nextDay(lunarToSolar(y, 12, 29))).day === 1,
    );
    expect(short.length).toBeGreaterThan(0);
    for (const y of short) expect(() => lunarToSolar(y, 12, 30)).toThrow(/29 days/);
    expect(() => lunarToSolar(2026, 13, 1)).toThrow(RangeError);
    expect(() => lunarToSolar(2026, 1, 0)).toThrow(RangeError);
    expect(() => lunarToSolar(2026, 1, 31)).toThrow(RangeError);
  });

  it('the day before Tết is the last day of month 12 of the previous lunar year', () => {
    for (let y = 2020; y <= 2035; y++) {
      const tet = Date.parse(`${tetDate(y)}T00:00:00Z`);
      const eve = solarToLunar(iso(tet - 86_400_000));
      expect(eve.year).toBe(y - 1);
      expect(eve.month).toBe(12);
      expect(eve.leap).toBe(false);
      expect([29, 30]).toContain(eve.day);
      expect(lunarToSolar(y - 1, 12, eve.day)).toBe(iso(tet - 86_400_000));
    }
  });
});

describe('solarToLunar', () => {
  it('converts known dates', () => {
    expect(solarToLunar('2026-02-17')).toEqual({ year: 2026, month: 1, day: 1, leap: false });
    expect(solarToLunar('2026-04-26')).toEqual({ year: 2026, month: 3, day: 10, leap: false });
    expect(solarToLunar('2024-09-17')).toEqual({ year: 2024, month: 8, day: 15, leap: false });
    expect(solarToLunar('2026-01-01')).toEqual({ year: 2025, month: 11, day: 13, leap: false });
  });

  it('rejects invalid dates', () => {
    expect(() => solarToLunar('2026-02-30')).toThrow(RangeError);
    expect(() => solarToLunar('15/11/2026')).toThrow(RangeError);
  });

  it('round-trips every day of 2020–2030 through the lunar calendar', () => {
    let n = 0;
    for (let ms = Date.UTC(2020, 0, 1); ms <= Date.UTC(2030, 11, 31); ms += 86_400_000) {
      const day = iso(ms);
      const l = solarToLunar(day);
      expect(l.day).toBeGreaterThanOrEqual(1);
      expect(l.day).toBeLessThanOrEqual(30);
      if (lunarToSolar(l.year, l.month, l.day, l.leap) !== day) {
        expect.fail(`${day} → ${JSON.stringify(l)} → ${lunarToSolar(l.year, l.month, l.day, l.leap)}`);
      }
      n++;
    }
    expect(n).toBe(4018);
  });
});
