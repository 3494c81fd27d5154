import { describe, expect, it } from 'vitest';
import { isHistory, occurrences, periodEnd } from '#root/domain/occurrences.js';
import type { Schedule } from '#root/domain/types.js';
import { createWorkingCalendar } from '#root/domain/working-days.js';

const opts = { zone: 'Asia/Ho_Chi_Minh', calendar: createWorkingCalendar([]) };
const y2026 = { from: '2026-01-01', to: '2026-12-31' };
const ends = (s: Schedule) => occurrences(s, y2026, opts).map((o) => [o.periodKey, periodEnd(s, o)]);

describe('the end of a period, and what is history for a plan tracked from a day', () => {
  it('ends a year on 31/12, a part of a year on its last month’s last day, a deadline on its day', () => {
    expect(ends({ kind: 'yearly', due: '11-15' })).toEqual([['2026', '2026-12-31']]);
    expect(ends({ kind: 'every', months: 3, due: '03-20' })).toEqual([
      ['2026-Q1', '2026-03-31'],
      ['2026-Q2', '2026-06-30'],
      ['2026-Q3', '2026-09-30'],
      ['2026-Q4', '2026-12-31'],
    ]);
    expect(ends({ kind: 'every', months: 6, due: '06-30' })).toEqual([
      ['2026-H1', '2026-06-30'],
      ['2026-H2', '2026-12-31'],
    ]);
    expect(ends({ kind: 'every', months: 4, due: '04-30' })[0]).toEqual(['2026-P1', '2026-04-30']);
    expect(ends({ kind: 'ongoing', checkIn: 'monthly' })[1]).toEqual(['2026-02', '2026-02-28']);
    expect(
      occurrences({ kind: 'every', months: 24, due: '12-31' }, y2026, { ...opts, startsOn: '2025-01-01' }).map((o) =>
        periodEnd({ kind: 'every', months: 24, due: '12-31' }, o),
      ),
    ).toEqual(['2026-12-31']);
    expect(ends({ kind: 'once', due: '2026-03-31' })).toEqual([['once', '2026-03-31']]);
  });

  it('keeps as history the periods that ended and fell due before the day; the period under way is tracked', () => {
    const quarterly: Schedule = { kind: 'every', months: 3, due: '03-20' };
    const history = (day: string | null) =>
      occurrences(quarterly, y2026, opts)
        .filter((o) => isHistory(quarterly, o, day))
        .map((o) => o.periodKey);
    expect(history('2026-12-06')).toEqual(['2026-Q1', '2026-Q2', '2026-Q3']);
    expect(history('2026-10-01')).toEqual(['2026-Q1', '2026-Q2', '2026-Q3']);
    expect(history('2026-09-30')).toEqual(['2026-Q1', '2026-Q2']);
    expect(history(null)).toEqual([]);
    const yearly: Schedule = { kind: 'yearly', due: '11-15' };
    // 06/12/2026: the 2026 report (due 15/11) is of the period under way: tracked, and overdue.
    expect(occurrences(yearly, y2026, opts).map((o) => isHistory(yearly, o, '2026-12-06'))).toEqual([false]);
    expect(occurrences(yearly, y2026, opts).map((o) => isHistory(yearly, o, '2027-01-01'))).toEqual([true]);
  });
});
