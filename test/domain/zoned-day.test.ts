import { describe, expect, it } from 'vitest';
import { formatInTimeZone } from 'date-fns-tz';
import { zonedDay } from '#root/services/planner.js';

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
