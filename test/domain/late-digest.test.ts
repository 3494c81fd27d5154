import { describe, expect, it } from 'vitest';
import { channelSpec } from '#root/channels/registry.js';
import {
  firstLate,
  groupLateByDuty,
  lateView,
  mostThatFit,
  overdueInWords,
  type LateItem,
} from '#root/domain/late-digest.js';
import { loadTemplates, type View } from '#root/messages/templates.js';
import { renderDigest } from '#root/services/delivery/digest.js';

const item = (dutyCode: string, unitName: string, daysLate: number, extra: Partial<LateItem> = {}): LateItem => ({
  dutyCode,
  dutyTitle: `Nhiệm vụ ${dutyCode}`,
  unitName,
  periodKey: '2026-Q4',
  dueDate: '2026-11-13',
  daysLate,
  isNew: false,
  ...extra,
});

describe('the digest’s late list', () => {
  it('groups by duty, the duty with the most overdue unit first, its units most overdue first', () => {
    const groups = groupLateByDuty([
      item('4.2', 'Sở Y tế', 2),
      item('1.1', 'Sở Tư pháp', 9),
      item('4.2', 'Sở Nội vụ', 5),
      item('10.3', 'UBND Quận 1', 5),
      item('4.2', 'Sở Công Thương', 5),
      item('2.1', 'Sở Y tế', 5),
    ]);
    expect(groups.map((g) => g.dutyCode)).toEqual(['1.1', '4.2', '2.1', '10.3']);
    expect(groups[1]!.units.map((u) => [u.unitName, u.daysLate])).toEqual([
      ['Sở Công Thương', 5],
      ['Sở Nội vụ', 5],
      ['Sở Y tế', 2],
    ]);
  });

  it('cuts to the first units in order, leaving out duties with none and keeping each duty’s total', () => {
    const view = lateView(
      groupLateByDuty([item('1.1', 'A', 9), item('4.2', 'B', 5), item('4.2', 'C', 4), item('2.1', 'D', 1)]),
      'vi',
    );
    const cut = firstLate(view, 2);
    expect(cut.map((d) => [d.dutyCode, d.unitCount, d.units.map((u) => u.unitName)])).toEqual([
      ['1.1', 1, ['A']],
      ['4.2', 2, ['B']],
    ]);
    expect(firstLate(view, 0)).toEqual([]);
    expect(firstLate(view, 99)).toEqual(view);
  });

  it('says the period and the days overdue in words, in the reader’s language', () => {
    const [vi] = lateView(groupLateByDuty([item('4.2', 'Sở Y tế', 3, { isNew: true })]), 'vi');
    expect(vi!.units[0]).toMatchObject({
      period: 'Quý IV/2026',
      overdueBy: 'quá hạn 3 ngày làm việc',
      dueDateShort: '13/11/2026',
      isNew: 'yes',
    });
    const [en] = lateView(groupLateByDuty([item('4.2', 'Sở Y tế', 1)]), 'en');
    expect(en!.units[0]).toMatchObject({ period: 'Q4 2026', overdueBy: '1 working day overdue', isNew: '' });
    expect(overdueInWords(0, 'vi')).toBe('quá hạn từ hôm nay');
    expect(overdueInWords(0, 'en')).toBe('overdue since today');
  });

  it('finds the most entries whose text fits, by halving', () => {
    let calls = 0;
    const render = (n: number) => {
      calls++;
      return 'x'.repeat(100 + 37 * n);
    };
    expect(mostThatFit(1000, 4096, render)).toBe(Math.floor((4096 - 100) / 37));
    expect(calls).toBeLessThan(15);
    expect(mostThatFit(5, 4096, render)).toBe(5);
    // Nothing fits: the minimum asked for.
    expect(mostThatFit(5, 50, render, 1)).toBe(1);
  });
});

describe('rendering the digest for a channel', () => {
  const templates = loadTemplates();
  const duties = 40;
  const unitsPerDuty = 8;
  const items: LateItem[] = [];
  for (let d = 1; d <= duties; d++)
    for (let u = 1; u <= unitsPerDuty; u++)
      items.push(
        item(`${d}.1`, `Ủy ban nhân dân huyện số ${u}`, (d * 7 + u) % 30, {
          dutyTitle: `Triển khai nhiệm vụ bảo đảm an toàn thông tin mạng số ${d} theo kế hoạch của tỉnh`,
        }),
      );
  const view = (lang: 'vi' | 'en', confirmedRows = 60): View => ({
    contactName: 'Quản trị',
    date: '16/11/2026',
    orgName: 'Sở TTTT',
    overdueCount: 3,
    confirmedCount: confirmedRows,
    openCount: items.length,
    lateCount: items.length,
    lateDutyCount: duties,
    late: lateView(groupLateByDuty(items), lang),
    lateMore: 0,
    confirmedMore: 0,
    statusUrl: 'https://dondoc.example/admin',
    overdue: [],
    confirmed: Array.from({ length: confirmedRows }, (_, i) => ({
      unitName: `Sở số ${i}`,
      dutyCode: '4.2',
      dutyTitle: 'Diễn tập',
      confirmedBy: 'Nguyễn Văn A',
      confirmedAt: '16/11/2026',
    })),
    unreachable: [],
    failedCount: 0,
    failed: [],
  });

  it.each([
    ['telegram', 'vi', 'gõ /tonghop để xem đủ'],
    ['zalo', 'vi', 'gõ /tonghop để xem đủ'],
    ['telegram', 'en', 'send /status to see them all'],
    ['zalo', 'en', 'send /status to see them all'],
  ] as const)(
    'keeps %s (%s) within its limit, the most overdue first, and says how to see the rest',
    (channel, lang, rest) => {
      const out = renderDigest(templates, channel, lang, view(lang));
      expect(out.text.length).toBeLessThanOrEqual(channelSpec(channel).maxLength);
      const shown = [...out.text.matchAll(/^• /gm)].length;
      expect(shown).toBeGreaterThan(3);
      expect(shown).toBeLessThan(items.length);
      expect(out.text).toContain(
        lang === 'vi'
          ? `… và ${items.length - shown} việc trễ khác: ${rest}.`
          : `… and more late items (${items.length - shown}): ${rest}.`,
      );
      // The most overdue (29 working days) come first; a duty's heading says all its late units.
      const days = [...out.text.matchAll(/(\d+) (?:ngày làm việc|working days?)/g)].map((m) => Number(m[1]));
      expect(days[0]).toBe(29);
      expect(out.text).toMatch(lang === 'vi' ? /— 8 đơn vị trễ:/ : /— 8 late:/);
      // The confirmations gave way first, to a few, and are counted.
      expect(out.text).toMatch(lang === 'vi' ? /… và \d+ việc khác đã hoàn thành\./ : /… and \d+ more confirmed\./);
    },
  );

  it('shows everything by email, and the link to the status page only when something is left out', () => {
    const out = renderDigest(templates, 'email', 'vi', view('vi'));
    expect([...out.text.matchAll(/^• /gm)]).toHaveLength(items.length);
    expect(out.text).not.toContain('việc trễ khác');
    expect(out.html).toContain('Ủy ban nhân dân huyện số 8');
    expect(out.subject).toBe(`Tổng hợp đôn đốc 16/11/2026: ${items.length} việc trễ hạn (3 mới), 60 hoàn thành`);
    const few = renderDigest(templates, 'telegram', 'vi', view('vi', 1));
    expect(few.text).toContain('Đã hoàn thành:\n- Sở số 0: <b>4.2</b>');
  });

  it('says so when nothing is late', () => {
    const out = renderDigest(templates, 'zalo', 'vi', { ...view('vi', 1), late: [], lateCount: 0, lateDutyCount: 0 });
    expect(out.text).toContain('Không đơn vị nào đang trễ hạn.');
    expect(out.text).not.toContain('•');
  });
});
