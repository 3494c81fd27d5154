import { describe, expect, it } from 'vitest';
import { channelSpec } from '#root/channels/registry.js';
import { reminderKeyboard } from '#root/channels/telegram/index.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { loadTemplates } from '#root/messages/templates.js';
import { bundleMessage } from '#root/services/delivery/view.js';
import { LATE_UNITS, lateBundle } from '../helpers/late-bundle.js';

const ctx = {
  templates: loadTemplates(),
  edited: new Map<string, string>(),
  calendar: workingCalendarForYears([2026], []),
  confirmUrl: (id: string) => `https://dondoc.test/c/${id}`,
};

const WORDS = {
  vi: {
    heading: /Đơn vị chậm \((\d+) đơn vị, (\d+) việc\)/i,
    // Email and the like: "• Unit (N việc):" with the items on lines of their own; a chat: one
    // line per unit, "• Unit (N việc, quá hạn 6 ngày làm việc): code, code".
    unit: /^• (.+) \((\d+) việc(?:, quá hạn [^)]+)?\):(?: (.+))?$/,
    rest: /^ *… và (\d+) việc khác/,
    more: '/tonghop',
  },
  en: {
    heading: /Late units \(units: (\d+), items: (\d+)\)/i,
    unit: /^• (.+) \(late items: (\d+)(?:, [^)]+ overdue)?\):(?: (.+))?$/,
    rest: /^ *… and (\d+) more/,
    more: '/status',
  },
} as const;

/** The late list as the text shows it: each unit with its count and the codes listed under it, and the "… N more" line. */
function lateListOf(text: string, lang: 'vi' | 'en') {
  const w = WORDS[lang];
  const lines = text
    .split('\n')
    .map((l) => l.replace(/<[^>]+>/g, '').trimEnd())
    .filter((l) => l.trim());
  const start = lines.findIndex((l) => w.heading.test(l));
  const units: { unitName: string; count: number; codes: string[] }[] = [];
  let rest = 0;
  for (const line of lines.slice(start + 1)) {
    const u = w.unit.exec(line);
    const item = /^ *– (\S+) /.exec(line);
    const r = w.rest.exec(line);
    if (r) rest = Number(r[1]);
    else if (u) units.push({ unitName: u[1]!, count: Number(u[2]), codes: u[3] ? u[3].split(', ') : [] });
    else if (item && units.length) units.at(-1)!.codes.push(item[1]!);
    else if (units.length) break;
  }
  const heading = w.heading.exec(text.replace(/<[^>]+>/g, ''));
  return { units, rest, heading: heading ? [Number(heading[1]), Number(heading[2])] : null };
}

/**
 * The demo's administrator on 08/10/2026: 118 escalations (114 of 27 other units, 4 of its own
 * unit) and one report of its own unit due that day. One message, the late units grouped, within
 * each channel's limit; ✅ / 📅 only for the items of the administrator's own unit.
 */
describe('the day’s message of an administrator with many late units', () => {
  const own = LATE_UNITS[0];
  // The other units, most late items first (all are 6 working days late), then by name.
  const others = LATE_UNITS.slice(1)
    .map((unitName, i) => ({ unitName, count: i < 6 ? 5 : 4 }))
    .sort((a, b) => b.count - a.count || a.unitName.localeCompare(b.unitName, 'vi'));
  const codesOf = (count: number) => [
    ...(count === 5 ? ['3.2-2026Q3'] : []),
    '3.4-2026Q3',
    '4.5-2026-09',
    '4.6-2026H1',
    '6.3-2026',
  ];

  for (const lang of ['vi', 'en'] as const) {
    for (const channel of ['telegram', 'zalo', 'email', 'sandbox', 'webhook'] as const) {
      it(`groups the late list by unit, most late first, within ${channel}'s limit (${lang})`, () => {
        const b = lateBundle(channel, lang);
        const { message, shown } = bundleMessage(b, b.items, ctx);
        const { maxLength } = channelSpec(channel);
        expect(message.text.length).toBeLessThanOrEqual(maxLength);
        const list = lateListOf(message.text, lang);
        expect(list.heading).toEqual([27, 114]);
        // The greeting counts the 5 items the administrator's unit is to do apart from the 114 late
        // items of other units shown for information: not "119 việc cần anh/chị".
        expect(message.text.replace(/<[^>]+>/g, '')).toContain(
          lang === 'vi'
            ? 'có 5 việc cần anh/chị, kèm 114 việc chậm của đơn vị khác để anh/chị theo dõi:'
            : 'these need you (items: 5), and other units’ late items are listed for your information (items: 114):',
        );
        // Every unit shown once, in order, each with all its late items counted.
        expect(list.units.map((u) => u.unitName)).toEqual(others.slice(0, list.units.length).map((u) => u.unitName));
        expect(list.units.map((u) => u.count)).toEqual(others.slice(0, list.units.length).map((u) => u.count));
        const listed = list.units.reduce((n, u) => n + u.codes.length, 0);
        list.units.forEach((u, i) => {
          // Only the last unit shown may be cut.
          const all = codesOf(u.count);
          expect(u.codes).toEqual(i < list.units.length - 1 ? all : all.slice(0, u.codes.length));
        });
        expect(listed + list.rest).toBe(114);
        expect(list.units.map((u) => u.unitName)).not.toContain(own);
        if (channel === 'telegram' || channel === 'zalo') {
          // One line per unit: Telegram's 4,096 characters hold nearly all 27 units (26 in
          // Vietnamese), Zalo's 2,000 the first few; what is cut says what to type for the rest.
          expect(list.units.length).toBeGreaterThanOrEqual(channel === 'telegram' ? (lang === 'vi' ? 26 : 24) : 6);
          if (channel === 'zalo') expect(list.rest).toBeGreaterThan(0);
          if (list.rest) expect(message.text).toContain(WORDS[lang].more);
        } else {
          // Email and the others list every item on a line of its own.
          expect(list.rest).toBe(0);
          expect(list.units).toHaveLength(27);
        }
        // The message's items in the order it shows them: the own unit's first, then the late list.
        const items = message.items!;
        expect(items.filter((i) => i.actions).map((i) => i.code)).toEqual([
          '3.4-2026Q3',
          '4.5-2026-09',
          '4.6-2026H1',
          '6.3-2026',
          '2.1-2026-10',
        ]);
        expect(items.filter((i) => !i.actions)).toHaveLength(listed);
        expect(shown.slice(0, items.length).map((s) => s.obligationId)).toEqual(items.map((i) => i.obligationId));
        expect(shown).toHaveLength(119);
      });
    }
  }

  it('gives ✅ / 📅 on Telegram to the own unit’s items only', () => {
    const b = lateBundle('telegram', 'vi');
    const { message } = bundleMessage(b, b.items, ctx);
    const rows = reminderKeyboard(message)!.inline_keyboard;
    expect(rows.map((r) => r.map((x) => x.text))).toEqual(
      ['3.4-2026Q3', '4.5-2026-09', '4.6-2026H1', '6.3-2026', '2.1-2026-10'].map((c) => [`✅ ${c}`, `📅 ${c}`]),
    );
    expect(message.text).toContain('<b>Quá hạn</b>');
    expect(message.text).toContain(
      '<b>Sở Y tế</b> (4 việc, quá hạn 6 ngày làm việc): 3.4-2026Q3, 4.5-2026-09, 4.6-2026H1, 6.3-2026',
    );
  });

  it('tells on Zalo what to type for the own unit’s items, and nothing to type for other units’', () => {
    const b = lateBundle('zalo', 'vi');
    const { message } = bundleMessage(b, b.items, ctx);
    expect(message.text.match(/Xong: \/xong /g)).toHaveLength(5);
    expect(message.text).toContain('gõ /tonghop để xem đủ.');
  });

  it('gives each own item of the email a signed link, and the late items none', () => {
    const b = lateBundle('email', 'vi');
    const { message } = bundleMessage(b, b.items, ctx);
    expect(message.html!.match(/href="https:\/\/dondoc\.test\/c\//g)).toHaveLength(5);
  });

  it('still lists a short late list in full, with no line for the rest', () => {
    const b = lateBundle('telegram', 'en', 12);
    const { message } = bundleMessage(b, b.items, ctx);
    const list = lateListOf(message.text, 'en');
    expect(list.heading).toEqual([2, 8]);
    expect(list.units.map((u) => [u.unitName, u.count])).toEqual([
      ['Bộ Tư lệnh Thành phố', 4],
      ['Công an Thành phố', 4],
    ]);
    expect(list.rest).toBe(0);
    expect(message.text).not.toContain('/tonghop');
  });
});
