import { describe, expect, it } from 'vitest';
import { codeMatch, obligationCode, pickByCode, pickByWords } from '#root/domain/obligation-code.js';

describe('the code of an obligation, as people type it in a chat', () => {
  it('names the period: quarter, half, month, year, several years; a one-off duty is its code alone', () => {
    expect(obligationCode('4.2', '2026-Q4')).toBe('4.2-2026Q4');
    expect(obligationCode('4.2', '2026-H1')).toBe('4.2-2026H1');
    expect(obligationCode('4.2', '2026-05')).toBe('4.2-2026-05');
    expect(obligationCode('4.2', '2026')).toBe('4.2-2026');
    expect(obligationCode('4.2', '2025-2027')).toBe('4.2-2025-2027');
    expect(obligationCode('4.2', 'once')).toBe('4.2');
  });

  it.each(['4.2-2026Q4', '4.2-2026q4', '4.2 2026-Q4', '4.2_2026/q4', '4.2-Q4-2026', '4.2 Q4/2026', '4.2.2026.Q4'])(
    'reads «%s» as the fourth quarter of 2026',
    (typed) => {
      expect(codeMatch(typed, '4.2', '2026-Q4')).toBe('period');
      expect(codeMatch(typed, '4.2', '2026-Q3')).toBeNull();
      expect(codeMatch(typed, '4.2', '2025-Q4')).toBeNull();
      expect(codeMatch(typed, '4.3', '2026-Q4')).toBeNull();
    },
  );

  it('reads the duty’s code alone as any of its periods, and reads a month either way round', () => {
    expect(codeMatch('4.2', '4.2', '2026-Q4')).toBe('duty');
    expect(codeMatch('B.1', 'b.1', 'once')).toBe('duty');
    expect(codeMatch('4.2-05/2026', '4.2', '2026-05')).toBe('period');
    expect(codeMatch('4.2-2026-05', '4.2', '2026-05')).toBe('period');
    expect(codeMatch('4.2-2026-06', '4.2', '2026-05')).toBeNull();
    expect(codeMatch('', '4.2', '2026-05')).toBeNull();
  });

  it('picks the period named, else every period of the duty named', () => {
    const items = [
      { dutyCode: '4.2', periodKey: '2025-Q4' },
      { dutyCode: '4.2', periodKey: '2026-Q4' },
      { dutyCode: '4.3', periodKey: '2026-Q4' },
    ];
    expect(pickByCode('4.2-2026Q4', items, (x) => x)).toEqual([items[1]]);
    expect(pickByCode('4.2', items, (x) => x)).toEqual([items[0], items[1]]);
    expect(pickByCode('9.9', items, (x) => x)).toEqual([]);
    expect(pickByWords(['4.2', 'Q4/2025', 'ghi', 'chú'], items, (x) => x)).toEqual({ matches: [items[0]], words: 2 });
    expect(pickByWords(['4.2', 'đã', 'gửi'], items, (x) => x)).toEqual({ matches: [items[0], items[1]], words: 1 });
  });
});
