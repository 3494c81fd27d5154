import { describe, expect, it } from 'vitest';
import { longDate, shortDate, workingDaysPhrase } from '#root/domain/wording.js';

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
