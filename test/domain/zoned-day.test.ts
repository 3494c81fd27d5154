import { describe, expect, it } from 'vitest';
import { formatInTimeZone } from 'date-fns-tz';
import { yearBounds, yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';

describe('the calendar day of an instant in a zone', () => {
  it('turns at midnight local time', () => {
    expect(zonedDay(new Date('2026-11-15T16:59:59Z'), 'Asia/Ho_Chi_Minh')).toBe('2026-11-15');
    expect(zonedDay(new Date('2026-11-15T17:00:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2026-11-16');
    expect(zonedDay(new Date('2026-03-29T22:30:00Z'), 'Europe/Paris')).toBe('2026-03-30');
  });

  it('agrees with date-fns-tz every 7 hours over two years in three zones', () => {
    for (const zone of ['Asia/Ho_Chi_Minh', 'Europe/Paris', 'America/New_York']) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2028, 0, 1); t += 7 * 3_600_000) {
        expect(zonedDay(new Date(t), zone)).toBe(formatInTimeZone(new Date(t), zone, 'yyyy-MM-dd'));
      }
    }
  });
});

describe('the calendar day of an instant, by the zone’s cached offsets', () => {
  it('agrees with date-fns-tz every quarter of an hour around changes of offset, odd offsets included', () => {
    const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];
    // The weekends the clocks change in 2026: March/April and September–November, both hemispheres.
    const spans = [
      [Date.UTC(2026, 2, 7), Date.UTC(2026, 2, 9)],
      [Date.UTC(2026, 2, 28), Date.UTC(2026, 2, 30)],
      [Date.UTC(2026, 3, 4), Date.UTC(2026, 3, 6)],
      [Date.UTC(2026, 8, 26), Date.UTC(2026, 8, 28)],
      [Date.UTC(2026, 9, 3), Date.UTC(2026, 9, 5)],
      [Date.UTC(2026, 9, 24), Date.UTC(2026, 9, 26)],
      [Date.UTC(2026, 9, 31), Date.UTC(2026, 10, 2)],
    ];
    for (const zone of zones)
      for (const [from, to] of spans)
        for (let t = from!; t < to!; t += 15 * 60_000) {
          // Twice: the first call fills the cache, the second reads it.
          for (const _ of [1, 2])
            expect(zonedDay(new Date(t), zone)).toBe(formatInTimeZone(new Date(t), zone, 'yyyy-MM-dd'));
        }
  });
});

describe('the calendar day of an instant, by the zone’s cached quarters of an hour', () => {
  it('is the same for every instant of a quarter, read first at its start, its middle or its end', () => {
    const zones = ['Asia/Ho_Chi_Minh', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];
    // Around local midnights and a change of offset: each quarter read first at another instant of it.
    const starts = [Date.UTC(2026, 10, 15, 16, 0), Date.UTC(2026, 10, 1, 3, 0), Date.UTC(2026, 3, 4, 13, 0)];
    for (const zone of zones)
      for (const start of starts)
        for (let t = start; t < start + 12 * 3_600_000; t += 7 * 60_000 + 13_001) {
          for (const at of [t, t + 1, t - 1])
            expect(zonedDay(new Date(at), zone)).toBe(formatInTimeZone(new Date(at), zone, 'yyyy-MM-dd'));
        }
  });

  it('counts every instant on its own in a zone’s local mean time (an offset of no whole quarters)', () => {
    // Saigon's local mean time before 1906 (+7:06:30 in the time zone database): its midnights
    // fall inside a quarter of an hour, the instants just before and at one in the same quarter.
    const midnight = Date.UTC(1900, 5, 1) - (7 * 3_600_000 + 6 * 60_000 + 30_000);
    expect(zonedDay(new Date(midnight - 1), 'Asia/Ho_Chi_Minh')).toBe('1900-05-31');
    expect(zonedDay(new Date(midnight), 'Asia/Ho_Chi_Minh')).toBe('1900-06-01');
    for (const at of [midnight - 1, midnight, midnight + 1, midnight - 400_000, midnight + 400_000])
      expect(zonedDay(new Date(at), 'Asia/Ho_Chi_Minh')).toBe(
        formatInTimeZone(new Date(at), 'Asia/Ho_Chi_Minh', 'yyyy-MM-dd'),
      );
  });
});

describe('the year of an instant in a zone', () => {
  const HANOI = 'Asia/Ho_Chi_Minh';

  it('turns at midnight of 1/1 in Hanoi, seven hours before it does in UTC', () => {
    expect(zonedYear(new Date('2026-12-31T16:59:59.999Z'), HANOI)).toBe(2026);
    expect(zonedYear(new Date('2026-12-31T17:00:00.000Z'), HANOI)).toBe(2027);
    expect(zonedYear(new Date('2026-12-31T17:00:00.000Z'), 'UTC')).toBe(2026);
    expect(zonedYear(new Date('2026-12-31T23:59:59.999Z'), 'UTC')).toBe(2026);
    expect(zonedYear(new Date('2027-01-01T00:00:00.000Z'), 'UTC')).toBe(2027);
  });

  it('is still the old year in New York after midnight UTC', () => {
    expect(zonedYear(new Date('2027-01-01T04:59:59Z'), 'America/New_York')).toBe(2026);
    expect(zonedYear(new Date('2027-01-01T05:00:00Z'), 'America/New_York')).toBe(2027);
  });

  it('is the year of the zoned day every 5 hours across three new years', () => {
    for (let t = Date.UTC(2025, 11, 30); t < Date.UTC(2028, 0, 2); t += 5 * 3_600_000) {
      expect(zonedYear(new Date(t), HANOI)).toBe(Number(formatInTimeZone(new Date(t), HANOI, 'yyyy')));
    }
  });
});

describe('a year as a window', () => {
  it('runs from 1/1 to 31/12, both days included', () => {
    expect(yearWindow(2026)).toEqual({ from: '2026-01-01', to: '2026-12-31' });
  });

  it('as instants: from midnight of 1/1 in the zone to midnight of the next 1/1, the end excluded', () => {
    expect(yearBounds(2026, 'Asia/Ho_Chi_Minh')).toEqual({
      start: new Date('2025-12-31T17:00:00Z'),
      end: new Date('2026-12-31T17:00:00Z'),
    });
    expect(yearBounds(2026, 'UTC')).toEqual({
      start: new Date('2026-01-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
  });

  it('holds exactly the instants whose year in the zone is that year', () => {
    const { start, end } = yearBounds(2026, 'Asia/Ho_Chi_Minh');
    const lastInstant = new Date(end.getTime() - 1);
    expect(zonedYear(start, 'Asia/Ho_Chi_Minh')).toBe(2026);
    expect(zonedYear(lastInstant, 'Asia/Ho_Chi_Minh')).toBe(2026);
    expect(zonedYear(end, 'Asia/Ho_Chi_Minh')).toBe(2027);
    expect(zonedYear(new Date(start.getTime() - 1), 'Asia/Ho_Chi_Minh')).toBe(2025);
  });
});
