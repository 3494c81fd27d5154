import { describe, expect, it } from 'vitest';
import { reminderKeyboard } from '#root/channels/telegram/index.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { INDICATOR_WORDS } from '#root/messages/indicators.js';
import { loadTemplates } from '#root/messages/templates.js';
import type { LoadedBundle, LoadedItem } from '#root/services/delivery/load.js';
import { bundleMessage } from '#root/services/delivery/view.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const templates = loadTemplates();
const calendar = workingCalendarForYears([2026, 2027], []);
const ctx = {
  templates,
  edited: new Map<string, string>(),
  calendar,
  confirmUrl: (id: string) => `https://dondoc.test/c/${id}`,
};

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function bundle(channel: LoadedBundle['channel'], items: LoadedItem[]): LoadedBundle {
  return {
    id: uuid(999),
    orgId: uuid(998),
    orgName: 'Sở TTTT',
    timeZone: ZONE,
    status: 'pending',
    channel,
    day: '2026-11-16',
    slot: 'day',
    scheduledAt: new Date('2026-11-16T01:00:00Z'),
    contact: {
      id: uuid(997),
      name: 'Nguyễn Văn A',
      locale: 'vi',
      email: 'a@example.test',
      telegramChatId: 1n,
      zaloUserId: 'z1',
      active: true,
      unitName: 'Sở Y tế',
    },
    items,
  };
}

function item(n: number, kind: LoadedItem['kind'], due: string, title = `Nhiệm vụ số ${n}`): LoadedItem {
  return {
    id: uuid(n),
    stage: `${kind === 'lead' ? 'lead-3' : kind === 'due' ? 'due' : kind === 'overdue' ? 'overdue-1' : 'escalation-1'}@${due.replace(/-/g, '')}`,
    kind,
    scheduledAt: new Date('2026-11-16T01:00:00Z'),
    obligation: {
      id: uuid(100 + n),
      status: 'open',
      current: true,
      dueAt: new Date(`${due}T16:59:59Z`),
      extendedTo: null,
      periodKey: '2026-Q4',
      unitName: kind === 'escalation' ? 'Sở Tài chính' : 'Sở Y tế',
      unitId: uuid(500),
      dutyOrigin: 'appendix',
      dutyCode: `4.${n}`,
      dutyTitle: title,
      planCode: '3131/KH-UBND',
      planTitle: 'Kế hoạch',
    },
  };
}

/** The day's message of several items: most urgent first, within each channel's limits. */
describe('the day’s message of a contact', () => {
  it('lists the items most urgent first, each with its code and its own ✅ / 📅', () => {
    const items = [
      item(3, 'lead', '2026-11-19'),
      item(1, 'overdue', '2026-11-10'),
      item(4, 'escalation', '2026-11-05'),
      item(2, 'due', '2026-11-16'),
    ];
    const { message } = bundleMessage(bundle('telegram', items), items, ctx);
    const text = message.text;
    const at = (s: string) => text.indexOf(s);
    expect(at('<b>Quá hạn</b>')).toBeLessThan(at('<b>Đến hạn</b>'));
    expect(at('<b>Đến hạn</b>')).toBeLessThan(at('<b>Sắp đến hạn</b>'));
    expect(at('<b>Sắp đến hạn</b>')).toBeLessThan(at('<b>Đơn vị chậm</b>'));
    expect(text).toContain('<b>4.1-2026Q4</b>');
    expect(text).toMatch(/• <b>Sở Tài chính<\/b> \(1 việc, quá hạn [^)]+\): 4\.4-2026Q4\n/);
    // The late unit's item is for information: buttons only for the unit's own items.
    const rows = reminderKeyboard(message)!.inline_keyboard;
    expect(rows.map((r) => r.map((b) => b.text))).toEqual([
      ['✅ 4.1-2026Q4', '📅 4.1-2026Q4'],
      ['✅ 4.2-2026Q4', '📅 4.2-2026Q4'],
      ['✅ 4.3-2026Q4', '📅 4.3-2026Q4'],
    ]);
    for (const b of rows.flat())
      expect(Buffer.byteLength('callback_data' in b ? b.callback_data : '')).toBeLessThanOrEqual(64);
  });

  it('keeps a single item’s own message and buttons', () => {
    const items = [item(1, 'overdue', '2026-11-10')];
    const { message } = bundleMessage(bundle('telegram', items), items, ctx);
    expect(message.text).toContain('đã quá hạn');
    expect(reminderKeyboard(message)!.inline_keyboard[0]!.map((b) => b.text)).toEqual([
      '✅ Đã hoàn thành',
      '📅 Xin gia hạn',
    ]);
    // In the recipient's language.
    const en = bundle('telegram', items);
    en.contact.locale = 'en';
    const english = bundleMessage(en, items, ctx).message;
    expect(english.text).not.toContain('quá hạn');
    expect(reminderKeyboard(english, 'en')!.inline_keyboard[0]!.map((b) => b.text)).toEqual([
      '✅ Done',
      '📅 Ask for more time',
    ]);
  });

  it('tells an English contact the English commands and the English button, on every channel', () => {
    const VIETNAMESE_COMMAND = /\/(viec|xong|giahan|tonghop|hoantac|kenh|trogiup|chitieu)\b/;
    const single = [item(1, 'overdue', '2026-11-10')];
    const several = [item(1, 'overdue', '2026-11-10'), item(2, 'due', '2026-11-16'), item(3, 'lead', '2026-11-19')];
    const seen: string[] = [];
    for (const channel of ['telegram', 'zalo', 'email', 'sandbox', 'webhook'] as const) {
      for (const items of [single, several]) {
        const en = bundle(channel, items);
        en.contact.locale = 'en';
        const { message } = bundleMessage(en, items, ctx);
        const text = [message.subject ?? '', message.text, message.html ?? ''].join('\n');
        seen.push(text);
        expect(text, `${channel}, ${items.length}`).not.toMatch(VIETNAMESE_COMMAND);
        expect(text, `${channel}, ${items.length}`).not.toContain('Đã hoàn thành');
      }
    }
    const all = seen.join('\n');
    expect(all).toContain('/done 4.1-2026Q4');
    expect(all).toContain('press ✅ Done or reply: /done 4.1-2026Q4 [note]');
    expect(all).toMatch(/\/extend 4\.\d-2026Q4/);
  });

  const long = 'Rất dài '.repeat(700);
  const many = Array.from({ length: 25 }, (_, i) => item(i + 1, 'overdue', '2026-11-10', i === 0 ? long : undefined));

  it('shows at most 10 items with buttons on Telegram, within 4,096 characters, the rest by /viec', () => {
    const { message } = bundleMessage(bundle('telegram', many), many, ctx);
    expect(message.text.length).toBeLessThanOrEqual(4_096);
    expect(reminderKeyboard(message)!.inline_keyboard).toHaveLength(10);
    expect(message.text).toContain('Còn 15 việc khác của anh/chị: gõ /viec để xem tất cả.');
    // A 5,600-character duty title is shortened, not allowed to crowd out the others.
    expect(message.text).toContain('…');
    expect(message.text).not.toContain(long);
  });

  it('shows at most 5 items on Zalo, within 2,000 characters, each with the words to type', () => {
    const { message } = bundleMessage(bundle('zalo', many), many, ctx);
    expect(message.text.length).toBeLessThanOrEqual(2_000);
    expect(message.text).toContain('Xong: /xong 4.2-2026Q4 · Gia hạn: /giahan 4.2-2026Q4 <ngày> <lý do>');
    expect(message.text).toMatch(/Còn 2[0-9] việc khác của anh\/chị: gõ \/viec/);
    expect(message.items!.length).toBeLessThanOrEqual(5);
  });

  it('gives each email item its own signed link', () => {
    const items = many.slice(1, 4);
    const { message } = bundleMessage(bundle('email', items), items, ctx);
    for (const i of items) expect(message.html).toContain(`href="https://dondoc.test/c/${i.obligation.id}"`);
    expect(message.subject).toBe('Việc cần anh/chị hôm nay 16/11/2026: 3 việc');
  });

  it('points to /viec in a chat only for the items /viec lists: not for those "để phối hợp"', () => {
    const cooperating = [1, 2, 3].map((n) => item(20 + n, 'cooperating', '2026-11-25'));
    const overdue = (k: number) => many.slice(1, 1 + k);
    // Zalo shows 5: four overdue and one "để phối hợp"; the other two are not the reader's to do.
    const zalo = (list: LoadedItem[]) => bundleMessage(bundle('zalo', list), list, ctx).message.text;
    const onlyCooperating = zalo([...overdue(4), ...cooperating]);
    expect(onlyCooperating).toContain('Còn 2 việc để phối hợp chưa liệt kê ở đây.');
    expect(onlyCooperating).not.toMatch(/Còn \d+ việc khác|gõ \/viec/);
    // Seven overdue and three "để phối hợp": two of the reader's own hidden, and three others.
    const both = zalo([...overdue(7), ...cooperating]);
    expect(both).toContain('Còn 2 việc khác của anh/chị: gõ /viec để xem tất cả.');
    expect(both).toContain('Còn 3 việc để phối hợp chưa liệt kê ở đây.');
  });

  it('tells an email’s reader what an email reader can do about the items not listed: no chat command', () => {
    const sixty = Array.from({ length: 60 }, (_, i) => item(i + 1, i < 55 ? 'overdue' : 'cooperating', '2026-11-10'));
    for (const lang of ['vi', 'en'] as const) {
      const b = bundle('email', sixty);
      b.contact.locale = lang;
      const { message } = bundleMessage(b, sixty, ctx);
      const html = message.html!.replace(/<[^>]+>/g, '');
      for (const text of [message.text, html]) {
        expect(text, `${lang}:\n${text}`).not.toMatch(/\/viec|\/tasks/);
        expect(text).toContain(
          lang === 'vi'
            ? 'Còn 5 việc khác của anh/chị chưa liệt kê trong thư này. Khi anh/chị xác nhận một việc bằng đường dẫn ở trên, trang mở ra sẽ liệt kê đủ các việc của thư'
            : '5 more of yours, not listed in this email: once you confirm an item with its link above, the page that opens lists all',
        );
        expect(text).toContain(
          lang === 'vi'
            ? 'Còn 5 việc để phối hợp chưa liệt kê trong thư này.'
            : '5 more for your cooperation, not listed in this email.',
        );
      }
    }
  });

  it('counts as needing the reader only what is theirs, apart from other units’ late items', () => {
    const items = [
      item(1, 'overdue', '2026-11-10'),
      item(2, 'lead', '2026-11-19'),
      item(3, 'escalation', '2026-11-10'),
    ];
    const texts = (channel: LoadedBundle['channel'], lang: 'vi' | 'en', list = items) => {
      const b = bundle(channel, list);
      b.contact.locale = lang;
      const { message } = bundleMessage(b, list, ctx);
      return { first: message.text.split('\n')[0]!.replace(/<[^>]+>/g, ''), subject: message.subject };
    };
    for (const channel of ['telegram', 'zalo', 'email', 'sandbox', 'webhook'] as const) {
      const vi = texts(channel, 'vi');
      const en = texts(channel, 'en');
      if (channel === 'webhook') {
        expect(vi.first).toBe('Việc cần anh/chị hôm nay 16/11/2026: 2 việc, kèm 1 việc chậm của đơn vị khác');
        continue;
      }
      expect(vi.first, channel).toBe(
        'Kính gửi Nguyễn Văn A (Sở Y tế), hôm nay 16/11/2026 có 2 việc cần anh/chị, kèm 1 việc chậm của đơn vị khác để anh/chị theo dõi:',
      );
      expect(en.first, channel).toBe(
        'Dear Nguyễn Văn A (Sở Y tế), today (16/11/2026) these need you (items: 2), and other units’ late items are listed for your information (items: 1):',
      );
      // Only other units' late items: none of them is said to need the reader.
      const late = [item(3, 'escalation', '2026-11-10'), item(4, 'escalation', '2026-11-10')];
      expect(texts(channel, 'vi', late).first, channel).toBe(
        'Kính gửi Nguyễn Văn A (Sở Y tế), hôm nay 16/11/2026 có 2 việc chậm của đơn vị khác để anh/chị theo dõi:',
      );
    }
    expect(texts('email', 'vi').subject).toBe(
      'Việc cần anh/chị hôm nay 16/11/2026: 2 việc, kèm 1 việc chậm của đơn vị khác',
    );
    expect(texts('email', 'en').subject).toBe(
      'What needs you today (16/11/2026): items: 2, and other units’ late items: 1',
    );
  });

  it('lists a yearly report’s missing indicators under its item, on every channel, in Vietnamese and English', () => {
    const report: LoadedItem = {
      ...item(7, 'lead', '2026-11-19', 'Báo cáo tình hình thực hiện Kế hoạch'),
      obligation: { ...item(7, 'lead', '2026-11-19').obligation, dutyOrigin: 'report', periodKey: '2026' },
    };
    const items = [item(1, 'overdue', '2026-11-10'), report];
    for (const lang of ['vi', 'en'] as const) {
      const w = INDICATOR_WORDS[lang];
      const indicators = new Map([
        [
          report.id,
          {
            indicatorsMissing: 2,
            indicators: [
              { ref: '1', title: 'Tỷ lệ hệ thống được phân loại', target: '80%', command: w.typed('1', true) },
              { ref: '2', title: 'Số cán bộ được tập huấn', target: '', command: w.typed('2', false) },
            ],
          },
        ],
      ]);
      for (const channel of ['telegram', 'zalo', 'email', 'sandbox'] as const) {
        const b = bundle(channel, items);
        b.contact.locale = lang;
        const { message } = bundleMessage(b, items, { ...ctx, indicators });
        const command = w.typed('1', true);
        for (const text of channel === 'email' ? [message.text, message.html!] : [message.text]) {
          const plain = text
            .replace(/<\/?code>/g, '')
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>');
          const label = `${lang} ${channel}:\n${text}`;
          expect(plain, label).toContain(lang === 'vi' ? 'Chỉ tiêu năm chưa báo cáo (2)' : 'not reported yet (2)');
          expect(plain, label).toContain(
            lang === 'vi'
              ? '1. Tỷ lệ hệ thống được phân loại (mục tiêu 80%)'
              : '1. Tỷ lệ hệ thống được phân loại (target 80%)',
          );
          expect(plain, label).toContain(command);
          expect(plain, label).toContain(`2. Số cán bộ được tập huấn: ${w.typed('2', false)}`);
          // Under the report's item (after its code), not under the overdue item listed first.
          expect(plain.indexOf(command), label).toBeGreaterThan(plain.indexOf('4.7-2026'));
          expect(plain.indexOf('4.7-2026'), label).toBeGreaterThan(plain.indexOf('4.1-2026Q4'));
        }
        // Without indicators the list says nothing of them.
        const none = bundleMessage(b, items, ctx).message;
        expect(none.text).not.toContain(command);
      }
    }
  });
});
