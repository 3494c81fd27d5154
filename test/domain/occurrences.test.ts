import { describe, expect, it } from 'vitest';
import { endOfDayInZone, occurrences, zonedWindowBounds, type OccurrenceOptions } from '#root/domain/occurrences.js';
import type { Occurrence, Schedule } from '#root/domain/types.js';
import { createWorkingCalendar, workingCalendarForYears } from '#root/domain/working-days.js';

const zone = 'Asia/Ho_Chi_Minh';
const calendar = workingCalendarForYears([2025, 2026, 2027], []);
const opts: OccurrenceOptions = { zone, calendar };
const y2026 = { from: '2026-01-01', to: '2026-12-31' };

/** periodKey → dueDate, in order. */
const keys = (list: Occurrence[]) => list.map((o) => [o.periodKey, o.dueDate]);

describe('endOfDayInZone', () => {
  it('is 23:59:59 local time in UTC', () => {
    expect(endOfDayInZone('2026-11-15', zone).toISOString()).toBe('2026-11-15T16:59:59.000Z');
    expect(endOfDayInZone('2026-12-31', zone).toISOString()).toBe('2026-12-31T16:59:59.000Z');
    expect(endOfDayInZone('2026-12-31', 'UTC').toISOString()).toBe('2026-12-31T23:59:59.000Z');
    expect(endOfDayInZone('2026-12-31', 'America/New_York').toISOString()).toBe('2027-01-01T04:59:59.000Z');
  });

  it('follows daylight saving time (Europe/Paris)', () => {
    expect(endOfDayInZone('2026-01-15', 'Europe/Paris').toISOString()).toBe('2026-01-15T22:59:59.000Z');
    expect(endOfDayInZone('2026-03-29', 'Europe/Paris').toISOString()).toBe('2026-03-29T21:59:59.000Z'); // spring forward
    expect(endOfDayInZone('2026-07-15', 'Europe/Paris').toISOString()).toBe('2026-07-15T21:59:59.000Z');
    expect(endOfDayInZone('2026-10-25', 'Europe/Paris').toISOString()).toBe('2026-10-25T22:59:59.000Z'); // fall back
  });

  it('rejects an invalid day or zone', () => {
    expect(() => endOfDayInZone('2026-02-30', zone)).toThrow(RangeError);
    expect(() => endOfDayInZone('2026-02-01', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('occurrences: once', () => {
  const s: Schedule = { kind: 'once', due: '2026-03-31' };

  it('is due at the end of its day; the period starts at startsOn, else on the due date', () => {
    expect(occurrences(s, y2026, opts)).toEqual([
      {
        periodKey: 'once',
        periodStart: '2026-03-31',
        dueDate: '2026-03-31',
        dueAt: new Date('2026-03-31T16:59:59.000Z'),
      },
    ]);
    expect(occurrences(s, y2026, { ...opts, startsOn: '2026-01-15' })[0]?.periodStart).toBe('2026-01-15');
  });

  it('respects the window edges (both included)', () => {
    expect(occurrences(s, { from: '2026-03-31', to: '2026-03-31' }, opts)).toHaveLength(1);
    expect(occurrences(s, { from: '2026-04-01', to: '2026-12-31' }, opts)).toEqual([]);
    expect(occurrences(s, { from: '2026-01-01', to: '2026-03-30' }, opts)).toEqual([]);
  });

  it('is dropped when due before startsOn, or starting after endsOn', () => {
    expect(occurrences(s, y2026, { ...opts, startsOn: '2026-04-01' })).toEqual([]);
    expect(occurrences(s, y2026, { ...opts, startsOn: '2026-03-31' })).toHaveLength(1);
    expect(occurrences(s, y2026, { ...opts, endsOn: '2026-03-30' })).toEqual([]);
    expect(occurrences(s, y2026, { ...opts, startsOn: '2026-01-01', endsOn: '2026-03-30' })).toHaveLength(1);
  });
});

describe('occurrences: yearly', () => {
  const s: Schedule = { kind: 'yearly', due: '11-15' };
  const years = { from: '2026-01-01', to: '2028-12-31' };

  it('gives one occurrence per year, keyed by the year', () => {
    const list = occurrences(s, years, opts);
    expect(keys(list)).toEqual([
      ['2026', '2026-11-15'],
      ['2027', '2027-11-15'],
      ['2028', '2028-11-15'],
    ]);
    expect(list[0]?.periodStart).toBe('2026-01-01');
    expect(list[0]?.dueAt.toISOString()).toBe('2026-11-15T16:59:59.000Z');
  });

  it('respects from/to years and atLeastOnce keeps the same keys', () => {
    expect(keys(occurrences({ ...s, from: 2027 }, years, opts)).map(([k]) => k)).toEqual(['2027', '2028']);
    expect(keys(occurrences({ ...s, to: 2026 }, years, opts)).map(([k]) => k)).toEqual(['2026']);
    expect(keys(occurrences({ ...s, from: 2027, to: 2027 }, years, opts)).map(([k]) => k)).toEqual(['2027']);
    expect(occurrences({ ...s, atLeastOnce: true }, years, opts)).toEqual(occurrences(s, years, opts));
  });

  it('respects the window edges', () => {
    expect(keys(occurrences(s, { from: '2026-11-15', to: '2027-11-14' }, opts))).toEqual([['2026', '2026-11-15']]);
    expect(keys(occurrences(s, { from: '2026-11-16', to: '2027-11-15' }, opts))).toEqual([['2027', '2027-11-15']]);
    expect(occurrences(s, { from: '2026-11-16', to: '2027-11-14' }, opts)).toEqual([]);
    expect(occurrences(s, { from: '2027-01-01', to: '2026-01-01' }, opts)).toEqual([]);
  });

  it('applies startsOn to the due date and endsOn to the period start', () => {
    expect(keys(occurrences(s, years, { ...opts, startsOn: '2026-12-01' })).map(([k]) => k)).toEqual(['2027', '2028']);
    expect(keys(occurrences(s, years, { ...opts, startsOn: '2026-11-15' })).map(([k]) => k)).toEqual([
      '2026',
      '2027',
      '2028',
    ]);
    // The 2027 period began before the horizon's end (30/06/2027): it still counts.
    expect(keys(occurrences(s, years, { ...opts, endsOn: '2027-06-30' })).map(([k]) => k)).toEqual(['2026', '2027']);
    expect(keys(occurrences(s, years, { ...opts, endsOn: '2026-12-31' })).map(([k]) => k)).toEqual(['2026']);
  });

  it('clamps 29/02 to 28/02 outside leap years', () => {
    expect(keys(occurrences({ kind: 'yearly', due: '02-29' }, { from: '2027-01-01', to: '2028-12-31' }, opts))).toEqual(
      [
        ['2027', '2027-02-28'],
        ['2028', '2028-02-29'],
      ],
    );
  });

  it('rejects a malformed due day', () => {
    expect(() => occurrences({ kind: 'yearly', due: '15/11' }, years, opts)).toThrow(RangeError);
    expect(() => occurrences({ kind: 'yearly', due: '02-30' }, years, opts)).toThrow(RangeError);
    expect(() => occurrences(s, { from: '2026-1-1', to: '2026-12-31' }, opts)).toThrow(RangeError);
  });
});

describe('occurrences: every N months', () => {
  it('quarterly: keys Q1–Q4, the due day shifted by 3 months and clamped (31/03 → 30/06)', () => {
    const list = occurrences({ kind: 'every', months: 3, due: '03-31' }, y2026, opts);
    expect(keys(list)).toEqual([
      ['2026-Q1', '2026-03-31'],
      ['2026-Q2', '2026-06-30'],
      ['2026-Q3', '2026-09-30'],
      ['2026-Q4', '2026-12-31'],
    ]);
    expect(list.map((o) => o.periodStart)).toEqual(['2026-01-01', '2026-04-01', '2026-07-01', '2026-10-01']);
  });

  it('quarterly with a due day after the quarter: Q4 falls due the next January', () => {
    const s: Schedule = { kind: 'every', months: 3, due: '04-15' };
    expect(keys(occurrences(s, { from: '2026-06-01', to: '2027-02-28' }, opts))).toEqual([
      ['2026-Q2', '2026-07-15'],
      ['2026-Q3', '2026-10-15'],
      ['2026-Q4', '2027-01-15'],
    ]);
  });

  it('half-yearly: keys H1/H2', () => {
    const list = occurrences({ kind: 'every', months: 6, due: '06-15' }, y2026, opts);
    expect(keys(list)).toEqual([
      ['2026-H1', '2026-06-15'],
      ['2026-H2', '2026-12-15'],
    ]);
    expect(list.map((o) => o.periodStart)).toEqual(['2026-01-01', '2026-07-01']);
  });

  it('monthly: keys YYYY-MM, 31/01 clamped to the end of shorter months, leap years included', () => {
    const s: Schedule = { kind: 'every', months: 1, due: '01-31' };
    expect(keys(occurrences(s, { from: '2026-01-01', to: '2026-04-30' }, opts))).toEqual([
      ['2026-01', '2026-01-31'],
      ['2026-02', '2026-02-28'],
      ['2026-03', '2026-03-31'],
      ['2026-04', '2026-04-30'],
    ]);
    expect(keys(occurrences(s, { from: '2028-02-01', to: '2028-02-29' }, opts))).toEqual([['2028-02', '2028-02-29']]);
    expect(occurrences(s, y2026, opts)).toHaveLength(12);
    expect(occurrences(s, y2026, opts)[11]?.periodStart).toBe('2026-12-01');
  });

  it('respects from/to years', () => {
    const s: Schedule = { kind: 'every', months: 6, due: '06-30', from: 2027, to: 2027 };
    expect(keys(occurrences(s, { from: '2026-01-01', to: '2028-12-31' }, opts)).map(([k]) => k)).toEqual([
      '2027-H1',
      '2027-H2',
    ]);
  });

  it('other divisors of 12 (2, 4 months) get keys P1…', () => {
    expect(keys(occurrences({ kind: 'every', months: 4, due: '04-30' }, y2026, opts))).toEqual([
      ['2026-P1', '2026-04-30'],
      ['2026-P2', '2026-08-31'],
      ['2026-P3', '2026-12-31'],
    ]);
  });

  it('a due day at the end of its month stays at the end of later months', () => {
    expect(keys(occurrences({ kind: 'every', months: 6, due: '06-30' }, y2026, opts))).toEqual([
      ['2026-H1', '2026-06-30'],
      ['2026-H2', '2026-12-31'],
    ]);
    expect(keys(occurrences({ kind: 'every', months: 1, due: '01-25' }, y2026, opts))[1]).toEqual([
      '2026-02',
      '2026-02-25',
    ]);
  });

  it('every 12 months is yearly', () => {
    expect(keys(occurrences({ kind: 'every', months: 12, due: '11-15' }, y2026, opts))).toEqual([
      ['2026', '2026-11-15'],
    ]);
  });

  it('every 24 months: two-year periods counted from the year of startsOn, due in the last year', () => {
    const s: Schedule = { kind: 'every', months: 24, due: '11-15' };
    const list = occurrences(s, { from: '2025-01-01', to: '2030-12-31' }, { ...opts, startsOn: '2025-03-01' });
    expect(keys(list)).toEqual([
      ['2025-2026', '2026-11-15'],
      ['2027-2028', '2028-11-15'],
      ['2029-2030', '2030-11-15'],
    ]);
    expect(list.map((o) => o.periodStart)).toEqual(['2025-01-01', '2027-01-01', '2029-01-01']);
  });

  it('every 24 months: counted from `from` without startsOn, else from year 0 (even years)', () => {
    const window = { from: '2026-01-01', to: '2029-12-31' };
    expect(
      keys(occurrences({ kind: 'every', months: 24, due: '11-15', from: 2025 }, window, opts)).map(([k]) => k),
    ).toEqual(['2025-2026', '2027-2028']);
    expect(keys(occurrences({ kind: 'every', months: 24, due: '11-15' }, window, opts))).toEqual([
      ['2026-2027', '2027-11-15'],
      ['2028-2029', '2029-11-15'],
    ]);
    // The key does not depend on the window.
    expect(
      keys(occurrences({ kind: 'every', months: 24, due: '11-15' }, { from: '2027-01-01', to: '2027-12-31' }, opts)),
    ).toEqual([['2026-2027', '2027-11-15']]);
  });

  it('every 36 months, with a horizon: a period begun before endsOn still counts', () => {
    const s: Schedule = { kind: 'every', months: 36, due: '12-31' };
    const o = { ...opts, startsOn: '2024-05-10', endsOn: '2027-06-30' };
    expect(keys(occurrences(s, { from: '2024-01-01', to: '2035-12-31' }, o))).toEqual([
      ['2024-2026', '2026-12-31'],
      ['2027-2029', '2029-12-31'],
    ]);
  });

  it('a number of months that is not calendar-aligned gives nothing', () => {
    expect(occurrences({ kind: 'every', months: 5, due: '01-31' }, y2026, opts)).toEqual([]);
    expect(occurrences({ kind: 'every', months: 0, due: '01-31' }, y2026, opts)).toEqual([]);
  });
});

describe('occurrences: ongoing', () => {
  it('quarterly check-ins on the last working day of each quarter', () => {
    const c = createWorkingCalendar([{ date: '2026-12-31', kind: 'holiday', name: 'x' }]);
    const list = occurrences({ kind: 'ongoing', checkIn: 'quarterly' }, y2026, { zone, calendar: c });
    expect(keys(list)).toEqual([
      ['2026-Q1', '2026-03-31'],
      ['2026-Q2', '2026-06-30'],
      ['2026-Q3', '2026-09-30'],
      ['2026-Q4', '2026-12-30'],
    ]);
    expect(list[3]?.periodStart).toBe('2026-10-01');
    expect(list[3]?.dueAt.toISOString()).toBe('2026-12-30T16:59:59.000Z');
  });

  it('monthly check-ins on the last working day of each month (weekends, holidays, worked Saturdays)', () => {
    const c = workingCalendarForYears([2026], [{ date: '2026-10-31', kind: 'workday', name: 'Làm bù' }]);
    const list = occurrences({ kind: 'ongoing', checkIn: 'monthly' }, y2026, { zone, calendar: c });
    expect(list).toHaveLength(12);
    const due = Object.fromEntries(keys(list));
    expect(due['2026-01']).toBe('2026-01-30'); // 31/01 is a Saturday
    expect(due['2026-02']).toBe('2026-02-27');
    expect(due['2026-05']).toBe('2026-05-29');
    expect(due['2026-10']).toBe('2026-10-31'); // worked Saturday
    expect(due['2026-12']).toBe('2026-12-31');
  });

  it('respects the window and startsOn', () => {
    const s: Schedule = { kind: 'ongoing', checkIn: 'quarterly' };
    expect(keys(occurrences(s, { from: '2026-04-01', to: '2026-09-29' }, opts))).toEqual([['2026-Q2', '2026-06-30']]);
    expect(keys(occurrences(s, y2026, { ...opts, startsOn: '2026-07-01' })).map(([k]) => k)).toEqual([
      '2026-Q3',
      '2026-Q4',
    ]);
  });
});

describe('occurrences: unparsed and sorting', () => {
  it('unparsed gives nothing', () => {
    expect(occurrences({ kind: 'unparsed', raw: 'khi có yêu cầu' }, y2026, opts)).toEqual([]);
  });

  it('sorts by due date across years', () => {
    const list = occurrences(
      { kind: 'every', months: 6, due: '06-30' },
      { from: '2025-01-01', to: '2027-12-31' },
      opts,
    );
    const due = list.map((o) => o.dueDate);
    expect(due).toEqual([...due].sort());
    expect(list.map((o) => o.periodKey)).toEqual(['2025-H1', '2025-H2', '2026-H1', '2026-H2', '2027-H1', '2027-H2']);
  });

  it('computes dueAt in the given zone (Europe/Paris, DST day)', () => {
    const [o] = occurrences({ kind: 'once', due: '2026-03-29' }, y2026, { zone: 'Europe/Paris', calendar });
    expect(o?.dueAt.toISOString()).toBe('2026-03-29T21:59:59.000Z');
  });

  it('selects, as instants, exactly the due days occurrences() keeps in a window (a year’s neighbours are out)', () => {
    for (const z of ['Asia/Ho_Chi_Minh', 'UTC', 'America/New_York', 'Europe/Paris']) {
      const { start, end } = zonedWindowBounds(y2026, z);
      const inside = (d: Date) => d >= start && d < end;
      expect(inside(endOfDayInZone('2025-12-31', z)), z).toBe(false);
      expect(inside(endOfDayInZone('2026-01-01', z)), z).toBe(true);
      expect(inside(endOfDayInZone('2026-12-31', z)), z).toBe(true);
      expect(inside(endOfDayInZone('2027-01-01', z)), z).toBe(false);
      // Every monthly due day of 2025–2027: inside the 2026 bounds exactly when occurrences() keeps it for 2026.
      const all = occurrences(
        { kind: 'every', months: 1, due: '01-31' },
        { from: '2025-01-01', to: '2027-12-31' },
        { zone: z, calendar },
      );
      const kept = new Set(
        occurrences({ kind: 'every', months: 1, due: '01-31' }, y2026, { zone: z, calendar }).map((o) => o.periodKey),
      );
      for (const o of all) expect(inside(o.dueAt), `${z} ${o.periodKey}`).toBe(kept.has(o.periodKey));
    }
    expect(zonedWindowBounds(y2026, zone)).toEqual({
      start: new Date('2025-12-31T17:00:00Z'),
      end: new Date('2026-12-31T17:00:00Z'),
    });
    expect(() => zonedWindowBounds(y2026, 'Mars/Olympus')).toThrow(RangeError);
  });
});
