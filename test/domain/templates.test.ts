import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelInWords, refusalInWords } from '#root/messages/refusal-words.js';
import { loadTemplates, MESSAGES, PARTS, unknownPlaceholders, type MessageName } from '#root/messages/templates.js';

const view = {
  contactName: 'Nguyễn Văn A',
  unitName: 'Sở Y tế',
  dutyCode: '4.2',
  dutyTitle: 'Diễn tập <b>thực chiến</b> & "an toàn"',
  planCode: '3131/KH-UBND',
  planTitle: 'Kế hoạch',
  period: '2026',
  dueDate: 'ngày 15 tháng 11 năm 2026',
  dueDateShort: '15/11/2026',
  dueWeekday: 'Chủ nhật',
  remaining: 'còn 3 ngày làm việc',
  confirmCommand: '/xong 4.2',
  extendCommand: '/giahan 4.2',
  confirmUrl: 'https://dondoc.example/c/abc?x=1&y=2',
  responsibleUnit: 'Sở Y tế',
};

describe('message templates', () => {
  const templates = loadTemplates();

  it('exist for every message, on every channel, in Vietnamese and English', () => {
    for (const message of Object.keys(MESSAGES) as MessageName[]) {
      for (const channel of ['sandbox', 'email', 'telegram', 'zalo'] as const) {
        for (const part of PARTS[channel]) {
          for (const lang of ['vi', 'en'] as const)
            expect(templates.has(message, channel, part, lang), `${lang}/${message}.${channel}.${part}`).toBe(true);
        }
      }
    }
  });

  it('write the due date the Vietnamese way with the unit, duty and plan', () => {
    const text = templates.render('reminder-lead', 'sandbox', 'txt', 'vi', view);
    expect(text).toContain('Sở Y tế');
    expect(text).toContain('Nhiệm vụ 4.2');
    expect(text).toContain('Kế hoạch 3131/KH-UBND');
    expect(text).toContain('đến hạn Chủ nhật, ngày 15 tháng 11 năm 2026 (còn 3 ngày làm việc)');
    expect(text).toContain('/xong 4.2');
  });

  describe('the due-day message', () => {
    const parts = [
      ['sandbox', 'txt'],
      ['email', 'subject.txt'],
      ['email', 'text.txt'],
      ['email', 'html'],
      ['telegram', 'html'],
      ['zalo', 'txt'],
    ] as const;

    it('says, on the Friday before a Sunday due date, the real due date and that today is the last working day before it', () => {
      const before = { ...view, dueWeekday: 'Chủ nhật', dueToday: '' };
      for (const [channel, part] of parts) {
        const vi = templates.render('reminder-due', channel, part, 'vi', before);
        expect(vi, `vi ${channel} ${part}`).toMatch(/Chủ nhật, 15\/11\/2026; hôm nay là ngày làm việc cuối cùng/);
        expect(vi, `vi ${channel} ${part}`).not.toMatch(/Hôm nay.*(là hạn|đến hạn)/);
        const en = templates.render('reminder-due', channel, part, 'en', { ...before, dueWeekday: 'Sunday' });
        expect(en, `en ${channel} ${part}`).toMatch(/Sunday, 15\/11\/2026; today is the last working day/);
        expect(en, `en ${channel} ${part}`).not.toMatch(/Today, .* is the deadline|Due today/);
      }
    });

    it('says that today is the due date when it is', () => {
      const today = { ...view, dueWeekday: 'Thứ Hai', dueToday: 'yes' };
      for (const [channel, part] of parts) {
        const vi = templates.render('reminder-due', channel, part, 'vi', today);
        expect(vi, `vi ${channel} ${part}`).toMatch(/Hôm nay( đến hạn|, ngày 15 tháng 11 năm 2026, là hạn hoàn thành)/);
        expect(vi, `vi ${channel} ${part}`).not.toContain('ngày làm việc cuối cùng');
        expect(templates.render('reminder-due', channel, part, 'en', today), `en ${channel} ${part}`).toMatch(
          /Due today|Today, ngày 15 tháng 11 năm 2026, is the deadline/,
        );
      }
    });
  });

  it('escapes user text in email HTML, and leaves plain text as written', () => {
    const html = templates.render('reminder-due', 'email', 'html', 'vi', view);
    expect(html).toContain('Diễn tập &lt;b&gt;thực chiến&lt;/b&gt; &amp; &quot;an toàn&quot;');
    expect(html).not.toContain('<b>thực chiến</b>');
    expect(html).toContain('href="https://dondoc.example/c/abc?x=1&amp;y=2"');
    const text = templates.render('reminder-due', 'email', 'text.txt', 'vi', view);
    expect(text).toContain('Diễn tập <b>thực chiến</b> & "an toàn"');
  });

  it('render counts (numbers) in every channel’s digest, escaped for HTML', () => {
    const view = {
      contactName: 'QTV',
      date: '16/11/2026',
      orgName: 'Sở <TTTT>',
      overdueCount: 2,
      confirmedCount: 1,
      openCount: 5,
      overdue: [{ unitName: 'Sở Y tế', dutyCode: '4.2', dutyTitle: 'A & B', dueDate: '', dueDateShort: '15/11/2026' }],
      confirmed: [
        { unitName: 'Sở Nội vụ', dutyCode: '4.7', dutyTitle: 'X', confirmedBy: 'Lan', confirmedAt: '16/11/2026' },
      ],
    };
    for (const [channel, part] of [
      ['email', 'html'],
      ['telegram', 'html'],
      ['email', 'text.txt'],
      ['sandbox', 'txt'],
      ['zalo', 'txt'],
    ] as const) {
      const out = templates.render('digest', channel, part, 'vi', view);
      expect(out, `${channel} ${part}`).toContain('2');
      if (part === 'html') expect(out).toContain('Sở &lt;TTTT&gt;');
    }
  });

  describe('the digest’s list of reminders a channel refused', () => {
    const base = {
      contactName: 'QTV',
      date: '16/11/2026',
      orgName: 'Sở TTTT',
      overdueCount: 0,
      confirmedCount: 0,
      openCount: 5,
      overdue: [],
      confirmed: [],
      unreachable: [],
    };
    const failed = [
      {
        dutyCode: '4.2',
        dutyTitle: 'Diễn tập <b>thực chiến</b>',
        unitName: 'Sở Y tế',
        personName: 'Trần Thị Lan',
        channel: 'Telegram',
        reason: 'tin dài quá mức cho phép',
        fallback: 'thư điện tử',
      },
      {
        dutyCode: '4.7',
        dutyTitle: 'Báo cáo quý',
        unitName: 'Sở Tư pháp',
        personName: 'Lê Văn Nam',
        channel: 'Zalo',
        reason: 'Zalo từ chối tin này vì yêu cầu không hợp lệ',
        fallback: '',
      },
    ];
    const parts = [
      ['sandbox', 'txt'],
      ['email', 'text.txt'],
      ['email', 'html'],
      ['telegram', 'html'],
      ['zalo', 'txt'],
    ] as const;
    const HEADING = {
      vi: 'Tin nhắc không gửi được (đã chuyển sang kênh khác):',
      en: 'Reminders that could not be sent (moved to another channel):',
    };
    const UNREACHABLE = { vi: 'Không liên lạc được', en: 'Could not be reached' };

    it('names each under its own heading in every channel and language: duty, unit, person, channel and reason, and where it went instead', () => {
      for (const lang of ['vi', 'en'] as const) {
        for (const [channel, part] of parts) {
          const out = templates.render('digest', channel, part, lang, { ...base, failedCount: failed.length, failed });
          const where = `${lang} ${channel} ${part}`;
          expect(out, where).toContain(HEADING[lang]);
          expect(out.split(HEADING[lang]).length, `${where}: one heading`).toBe(2);
          expect(out, where).not.toContain(UNREACHABLE[lang]);
          const title = part === 'html' ? 'Diễn tập &lt;b&gt;thực chiến&lt;/b&gt;' : 'Diễn tập <b>thực chiến</b>';
          const code = channel === 'telegram' ? '<b>4.2</b>' : '4.2';
          if (lang === 'vi') {
            expect(out, where).toContain(
              `${code} «${title}» (Sở Y tế), gửi Trần Thị Lan qua Telegram: tin dài quá mức cho phép. Đã gửi lại qua thư điện tử.`,
            );
            expect(out, where).toMatch(
              /«Báo cáo quý» \(Sở Tư pháp\), gửi Lê Văn Nam qua Zalo: Zalo từ chối tin này vì yêu cầu không hợp lệ\. Không còn kênh nào khác để gửi\./,
            );
          } else {
            expect(out, where).toContain(
              `${code} «${title}» (Sở Y tế), to Trần Thị Lan by Telegram: tin dài quá mức cho phép. Sent by thư điện tử instead.`,
            );
            expect(out, where).toMatch(
              /«Báo cáo quý» \(Sở Tư pháp\), to Lê Văn Nam by Zalo: .*\. No other channel left to send it by\./,
            );
          }
        }
      }
    });

    it('shows no heading when nothing was refused', () => {
      for (const lang of ['vi', 'en'] as const) {
        for (const [channel, part] of parts) {
          expect(
            templates.render('digest', channel, part, lang, { ...base, failedCount: 0, failed: [] }),
            `${lang} ${channel} ${part}`,
          ).not.toContain(HEADING[lang]);
        }
      }
    });

    it('words the channels’ refusals for people, never as the raw answer', () => {
      const seen: [string, RegExp][] = [
        [
          'Telegram 400: Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0',
          /^kênh không đọc được định dạng của tin/,
        ],
        ['Telegram 400: Bad Request: message is too long', /^tin dài quá mức cho phép$/],
        [
          'Telegram 403: Forbidden: something we have never seen',
          /^Telegram từ chối tin này mà không nêu lý do cụ thể$/,
        ],
        ['Zalo 400: Bad request: text must be from 1 to 2000 characters', /^độ dài tin không hợp lệ/],
        ['Zalo 400: Bad request', /^Zalo từ chối tin này vì yêu cầu không hợp lệ$/],
        ['', /^kênh từ chối tin này mà không nêu lý do cụ thể$/],
      ];
      for (const [raw, words] of seen) {
        expect(refusalInWords(raw, 'vi'), raw).toMatch(words);
        expect(refusalInWords(raw, 'en'), raw).not.toMatch(/Telegram 4|Zalo 4|Bad Request|Forbidden/i);
      }
      expect(['telegram', 'zalo', 'email', 'sandbox', 'fax'].map((c) => channelInWords(c, 'vi'))).toEqual([
        'Telegram',
        'Zalo',
        'thư điện tử',
        'hộp thư thử',
        'kênh khác',
      ]);
    });

    it('offer the list and its fields to template editors, and a section on the fallback inside it', () => {
      expect(
        unknownPlaceholders(
          'digest',
          '{{#failedCount}}x{{/failedCount}}{{#failed}}{{dutyCode}} {{channel}} {{reason}} {{#fallback}}{{fallback}}{{/fallback}}{{^fallback}}-{{/fallback}}{{/failed}}',
        ),
      ).toEqual([]);
      expect(unknownPlaceholders('digest', '{{#failed}}{{error}}{{/failed}}{{#fallback}}x{{/fallback}}')).toEqual([
        'error',
        'fallback',
      ]);
    });
  });

  it('repeat digest lists, grouped by duty, and say so when a list is empty', () => {
    const late = (unitName: string, overdueBy: string, isNew: string) => ({
      unitName,
      period: 'năm 2026',
      overdueBy,
      daysLate: 1,
      dueDateShort: '15/11/2026',
      isNew,
    });
    const text = templates.render('digest', 'sandbox', 'txt', 'vi', {
      contactName: 'QTV',
      date: '16/11/2026',
      orgName: 'Sở TTTT',
      overdueCount: 1,
      confirmedCount: 0,
      openCount: 2,
      lateCount: 2,
      lateDutyCount: 1,
      late: [
        {
          dutyCode: '4.2',
          dutyTitle: 'Diễn tập',
          unitCount: 2,
          units: [late('Sở Y tế', 'quá hạn 3 ngày làm việc', ''), late('Sở Tư pháp', 'quá hạn 1 ngày làm việc', 'yes')],
        },
      ],
      overdue: [],
      confirmed: [],
    });
    expect(text).toContain(
      'Đang trễ hạn: 2 việc của 1 nhiệm vụ, trễ lâu nhất trước.\n\n4.2 «Diễn tập» — 2 đơn vị trễ:\n' +
        '• Sở Y tế, năm 2026: quá hạn 3 ngày làm việc (hạn 15/11/2026)\n' +
        '• Sở Tư pháp, năm 2026: quá hạn 1 ngày làm việc (hạn 15/11/2026) — mới\n',
    );
    expect(text).toMatch(/Đã hoàn thành:\n- —/);
  });

  it('tell Zalo readers what to type, as Zalo has no buttons', () => {
    const view = {
      contactName: 'Lan',
      unitName: 'Sở Y tế',
      dutyCode: '4.2',
      dutyTitle: 'Báo cáo',
      planCode: '3131/KH-UBND',
      period: '2026',
      dueDate: '15/11/2026',
      remaining: 'còn 2 ngày làm việc',
      confirmCommand: '/xong 4.2',
      extendCommand: '/giahan 4.2',
    };
    for (const message of ['reminder-lead', 'reminder-due', 'reminder-overdue'] as const) {
      const vi = templates.render(message, 'zalo', 'txt', 'vi', view);
      expect(vi).toContain('gõ: /xong 4.2 [ghi chú]');
      expect(vi).toContain('/giahan 4.2 30/12/2026');
      expect(vi).not.toMatch(/bấm|nút|✅/i);
      expect(templates.render(message, 'zalo', 'txt', 'en', view)).toContain('type: /xong 4.2 [note]');
    }
  });

  it('refuses a template with an unknown placeholder, naming it', () => {
    expect(
      unknownPlaceholders('reminder-due', 'Xin chào {{contactName}}, {{password}} {{#overdue}}x{{/overdue}}'),
    ).toEqual(['password', 'overdue']);
    expect(unknownPlaceholders('digest', '{{#overdue}}{{unitName}} {{secret}}{{/overdue}}')).toEqual(['secret']);
    expect(unknownPlaceholders('reminder-due', '{{{dutyTitle}}} {{&dutyCode}}')).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), 'tpl-'));
    mkdirSync(path.join(dir, 'vi'));
    writeFileSync(path.join(dir, 'vi', 'reminder-due.sandbox.txt'), 'Hạn {{dueDate}} {{unknownThing}}');
    expect(() => loadTemplates(dir)).toThrow(/unknownThing/);
  });
});
