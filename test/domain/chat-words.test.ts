import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { messageIn, NotFoundError, UserError } from '#root/errors/index.js';
import { INDICATOR_WORDS } from '#root/messages/indicators.js';
import {
  CHAT_WORDS,
  fitText,
  inOneLanguage,
  langOfCode,
  placeholdersOf,
  saidError,
  say,
} from '#root/messages/chat-words.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const vi = CHAT_WORDS.vi;
const en = CHAT_WORDS.en;

/** Every TypeScript file of src/ that uses the chat texts (a channel's spec too). */
function sourcesUsingWords(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'generated') walk(full);
      } else if (name.endsWith('.ts')) {
        const text = readFileSync(full, 'utf8');
        // A channel's spec names its label and hints by key (src/channels/<name>/spec.ts).
        if (text.includes('chat-words.js') || /defineChannel[<(]/.test(text) || /'file\.(tooBig|badType)'/.test(text))
          out.push({ file: path.relative(SRC, full), text });
      }
    }
  };
  walk(SRC);
  return out;
}

describe('the chat texts in Vietnamese and English', () => {
  it('have the same keys in both files, each with the same placeholders, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
    for (const key of Object.keys(vi) as (keyof typeof vi)[]) {
      expect(placeholdersOf(en[key]).sort(), key).toEqual(placeholdersOf(vi[key]).sort());
      expect(vi[key].trim(), key).not.toBe('');
      expect(en[key].trim(), key).not.toBe('');
    }
  });

  it('are all used by the code, and every key the code names exists', () => {
    const sources = sourcesUsingWords();
    expect(sources.map((s) => s.file)).toEqual(
      expect.arrayContaining(['commands/service.ts', 'bot/index.ts', 'bot/zalo.ts', 'services/chat.ts']),
    );
    const namespaces = new Set(Object.keys(vi).map((k) => k.split('.')[0]!));
    const used = new Set<string>();
    const usedNamespaces = new Set<string>();
    for (const { file, text } of sources) {
      // Keys named whole: 'tasks.line', 'notLinked'.
      for (const m of text.matchAll(/'([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?)'/g)) {
        const literal = m[1]!;
        if (literal in vi) used.add(literal);
        else if (literal.includes('.') && namespaces.has(literal.split('.')[0]!))
          expect.fail(`${file} names the chat text «${literal}», which the locale files do not have`);
      }
      // Keys built from a namespace: `cmd.${what}`.
      for (const m of text.matchAll(/`([a-z][A-Za-z]*)\.\$\{/g)) usedNamespaces.add(m[1]!);
    }
    const unused = Object.keys(vi).filter((k) => !used.has(k) && !usedNamespaces.has(k.split('.')[0]!));
    expect(unused).toEqual([]);
  });

  it('fill placeholders, and never say "undefined" for a forgotten one', () => {
    expect(say('vi', 'start.locked', { minutes: 15 })).toBe('Đã nhập sai mã quá nhiều lần. Thử lại sau 15 phút.');
    expect(say('en', 'start.locked', { minutes: 15 })).toBe('Too many wrong codes. Try again in 15 min.');
    expect(say('en', 'start.locked')).not.toContain('undefined');
  });

  it('answer a chat not linked yet in English only when the app says so', () => {
    expect(langOfCode('en')).toBe('en');
    expect(langOfCode('en-GB')).toBe('en');
    expect(langOfCode('vi')).toBe('vi');
    expect(langOfCode('fr')).toBe('vi');
    expect(langOfCode(undefined)).toBe('vi');
  });

  it('make a service’s error from a locale text, shown whole on the web and in one language in a chat', () => {
    const error = saidError('error.requestNone', { ref: 'ab12cd34' });
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'Không có đề nghị gia hạn nào đang chờ với mã «ab12cd34». / No extension request is pending with the reference «ab12cd34».',
    );
    expect(messageIn(error, 'vi')).toBe('Không có đề nghị gia hạn nào đang chờ với mã «ab12cd34».');
    expect(messageIn(error, 'en')).toBe('No extension request is pending with the reference «ab12cd34».');
    expect(saidError('error.requestNotFound', {}, NotFoundError)).toBeInstanceOf(NotFoundError);
    // An error written the old way is split on its " / ".
    expect(messageIn(new UserError('Sai. / Wrong.'), 'en')).toBe('Wrong.');
  });

  it('word the indicator replies from the locale files, in the contact’s language', () => {
    const lines = [
      { ref: '1', title: 'Tỷ lệ hệ thống', target: '80%', value: '45/50' },
      { ref: '2', title: 'Số cán bộ', target: null, value: null },
    ];
    expect(INDICATOR_WORDS.vi.list('Sở Y tế', 2026, lines)).toBe(
      'Chỉ tiêu năm 2026 của Sở Y tế:\n• 1. Tỷ lệ hệ thống (mục tiêu 80%): đã báo 45/50\n• 2. Số cán bộ: chưa báo cáo\n' +
        'Báo cáo: /chitieu <số> <tử số>/<mẫu số> [ghi chú].',
    );
    expect(INDICATOR_WORDS.en.list('Sở Y tế', 2026, lines)).toBe(
      'Indicators of Sở Y tế for 2026:\n• 1. Tỷ lệ hệ thống (target 80%): reported 45/50\n• 2. Số cán bộ: not reported\n' +
        'Report: /indicator <number> <numerator>/<denominator> [note].',
    );
    expect(INDICATOR_WORDS.vi.problem['need-fraction']('45')).toContain('(không ghi «45»)');
    expect(INDICATOR_WORDS.en.ambiguous('1', ['A:1', 'B:1'])).toContain('write A:1 or B:1.');
    expect(INDICATOR_WORDS.vi.undone('1', 2026, null)).toBe(
      '↩️ Đã rút lại số liệu chỉ tiêu 1 năm 2026. Chỉ tiêu này trở lại «chưa báo cáo».',
    );
    expect(INDICATOR_WORDS.en.typed('3', true)).toBe('/indicator 3 <numerator>/<denominator>');
  });

  it('show a service’s "Vietnamese / English" error in one language', () => {
    const message = 'Mã mời đã hết hạn. Xin quản trị viên một mã mới. / This invite has expired.';
    expect(inOneLanguage(message, 'vi')).toBe('Mã mời đã hết hạn. Xin quản trị viên một mã mới.');
    expect(inOneLanguage(message, 'en')).toBe('This invite has expired.');
    expect(inOneLanguage('Chỉ tiếng Việt.', 'en')).toBe('Chỉ tiếng Việt.');
  });

  it('never cut a "Vietnamese / English" error inside a quoted «…» duty title holding " / "', () => {
    const title = 'Báo cáo tình hình thực hiện Kế hoạch 6 tháng / năm';
    const message = `Nhiệm vụ «${title}» đã được xác nhận rồi. / The duty «${title}» is already confirmed.`;
    expect(inOneLanguage(message, 'vi')).toBe(`Nhiệm vụ «${title}» đã được xác nhận rồi.`);
    expect(inOneLanguage(message, 'en')).toBe(`The duty «${title}» is already confirmed.`);
    // The title at the end of the English half, and a title in one language only.
    const last = `Không tìm thấy «${title}». / No duty «${title}»`;
    expect(inOneLanguage(last, 'en')).toBe(`No duty «${title}»`);
    expect(inOneLanguage(`Không tìm thấy «${title}».`, 'en')).toBe(`Không tìm thấy «${title}».`);
  });
});

describe('the answer to a button, cut to the 200 characters Telegram shows', () => {
  // A duty of the HCMC plan as the appendix words it: longer than a button's answer on its own.
  const title =
    'Định kỳ hàng năm, các cơ quan, đơn vị, doanh nghiệp có liên quan xây dựng báo cáo tình hình thực hiện các nhiệm vụ, gửi về Sở Thông tin và Truyền thông trước ngày 15 tháng 11 để tổng hợp';

  it.each(['vi', 'en'] as const)('shortens the duty’s title, not what the answer says of it, in %s', (lang) => {
    const params = { code: 'BC-15/11-2026', title, unit: 'Sở Y tế' };
    for (const key of ['done.ok', 'done.already'] as const) {
      const full = say(lang, key, params);
      const fitted = fitText(full, 190);
      expect([...fitted].length).toBeLessThanOrEqual(190);
      // The sentence after the title is whole ("… đã được hủy.", "… trước đó.").
      expect(fitted.endsWith(full.slice(full.indexOf('»')))).toBe(true);
      expect(fitted).toMatch(/«Định kỳ hàng năm, [^»]+…»/u);
    }
  });

  it('leaves a short answer as it is, and cuts one without a title at its end', () => {
    expect(fitText('✅ Đã ghi nhận.', 190)).toBe('✅ Đã ghi nhận.');
    expect(fitText('x'.repeat(300), 190)).toBe(`${'x'.repeat(189)}…`);
  });
});
