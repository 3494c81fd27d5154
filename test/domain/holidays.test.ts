import { describe, expect, it } from 'vitest';
import { vietnamHolidays } from '#root/domain/holidays.js';

const dates = (year: number) => vietnamHolidays(year).map((d) => d.date);
const nameOn = (year: number, date: string) => vietnamHolidays(year).find((d) => d.date === date)?.name;

describe('vietnamHolidays', () => {
  it('lists 2026: Tết 16–20/02, Hùng Kings on Sunday 26/04 with Monday 27/04 off, 30/04, 01/05, 01–02/09, 01/01', () => {
    expect(dates(2026)).toEqual([
      '2026-01-01',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-04-26',
      '2026-04-27',
      '2026-04-30',
      '2026-05-01',
      '2026-09-01',
      '2026-09-02',
    ]);
    expect(nameOn(2026, '2026-01-01')).toBe('Tết Dương lịch');
    expect(nameOn(2026, '2026-02-17')).toMatch(/^Tết Nguyên đán/);
    expect(nameOn(2026, '2026-02-16')).toMatch(/^Tết Nguyên đán/);
    expect(nameOn(2026, '2026-04-26')).toBe('Giỗ Tổ Hùng Vương');
    expect(nameOn(2026, '2026-04-27')).toBe('Nghỉ bù Giỗ Tổ Hùng Vương');
    expect(nameOn(2026, '2026-04-30')).toBe('Ngày Chiến thắng');
    expect(nameOn(2026, '2026-05-01')).toBe('Quốc tế Lao động');
    expect(nameOn(2026, '2026-09-02')).toBe('Quốc khánh');
  });

  it('gives every entry kind "holiday", sorted by date, no date twice', () => {
    for (let y = 2020; y <= 2035; y++) {
      const list = vietnamHolidays(y);
      expect(list.every((d) => d.kind === 'holiday')).toBe(true);
      const ds = list.map((d) => d.date);
      expect(ds).toEqual([...ds].sort());
      expect(new Set(ds).size).toBe(ds.length);
      expect(ds.every((d) => d.startsWith(`${y}-`))).toBe(true);
    }
  });

  it('2025: Tết 28/01–01/02, Saturday 01/02 compensated on Monday 03/02', () => {
    const ds = dates(2025);
    for (const d of ['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01']) expect(ds).toContain(d);
    expect(nameOn(2025, '2025-02-03')).toBe('Nghỉ bù Tết Nguyên đán');
    expect(ds).toContain('2025-04-07');
    expect(ds).not.toContain('2025-02-04');
  });

  it('compensates each weekend day of the Tết block after the block (2024: Tết 09–13/02, Sat+Sun inside)', () => {
    // 2024: eve Friday 09/02, Tết Saturday 10/02 … Tuesday 13/02 → two days off Wed 14 and Thu 15.
    const ds = dates(2024);
    for (const d of [
      '2024-02-09',
      '2024-02-10',
      '2024-02-11',
      '2024-02-12',
      '2024-02-13',
      '2024-02-14',
      '2024-02-15',
    ]) {
      expect(ds).toContain(d);
    }
    expect(ds).not.toContain('2024-02-16');
    expect(
      vietnamHolidays(2024)
        .filter((d) => d.name === 'Nghỉ bù Tết Nguyên đán')
        .map((d) => d.date),
    ).toEqual(['2024-02-14', '2024-02-15']);
  });

  it('compensates 30/04 and 01/05 on a weekend with the next two working days (2022: Sat 30/04, Sun 01/05)', () => {
    const list = vietnamHolidays(2022);
    expect(list.filter((d) => d.name.startsWith('Nghỉ bù')).map((d) => [d.date, d.name])).toContainEqual([
      '2022-05-02',
      'Nghỉ bù Ngày Chiến thắng',
    ]);
    expect(list.map((d) => d.date)).toContain('2022-05-03');
    expect(nameOn(2022, '2022-05-03')).toBe('Nghỉ bù Quốc tế Lao động');
  });

  it('compensates 01/01 on a Sunday (2023) and 02/09 on a Saturday (2023: 01/09 Fri, 02/09 Sat → Mon 04/09)', () => {
    expect(nameOn(2023, '2023-01-02')).toBe('Nghỉ bù Tết Dương lịch');
    expect(nameOn(2023, '2023-09-04')).toBe('Nghỉ bù Quốc khánh');
    expect(dates(2023)).not.toContain('2023-09-05');
  });

  it('never puts a substitute day on a weekend or another holiday', () => {
    for (let y = 2020; y <= 2035; y++) {
      for (const d of vietnamHolidays(y).filter((h) => h.name.startsWith('Nghỉ bù'))) {
        const dow = new Date(`${d.date}T00:00:00Z`).getUTCDay();
        expect(dow, d.date).not.toBe(0);
        expect(dow, d.date).not.toBe(6);
      }
    }
  });

  it('rejects a nonsense year', () => {
    expect(() => vietnamHolidays(2026.5)).toThrow(RangeError);
  });
});
