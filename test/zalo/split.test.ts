import { describe, expect, it } from 'vitest';
import { splitZaloText, ZALO_TEXT_MAX } from '#root/channels/zalo/split.js';
import { seededRandom } from '../helpers/random.js';

/**
 * The splitter's contract, checked on generated texts (a seeded generator: failures reproduce):
 * `text = s0 + p0 + s1 + p1 + … + p(n-1) + sn`, every `si` breaking whitespace only (the separators
 * the splitter drops), an inner `si` empty only where a word longer than `max` had to be cut, at a
 * grapheme boundary; every part non-blank and at most `max` UTF-16 units.
 */

/** Breaking whitespace as the splitter defines it (not NBSP, U+2007, U+202F, U+FEFF). */
const SPACE = /^[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]*$/;
const SPACE_CHAR = /[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const WORDS = [
  'Sở',
  'Thông',
  'tin',
  'và',
  'Truyền',
  'thông',
  'đôn',
  'đốc',
  'báo',
  'cáo',
  'nhiệm',
  'vụ',
  'hạn',
  'chót',
  'quý',
  'năm',
  'UBND',
  'quận',
  'huyện',
  'thành',
  'phố',
  'Thủ',
  'Đức',
  'an',
  'toàn',
  'thông',
  'tin',
  'mạng',
  'kế',
  'hoạch',
  '3131/KH-UBND',
  '15/11/2025',
  'xác',
  'nhận',
  'hoàn',
  'thành',
  'gia',
  'hạn',
  'Nguyễn',
  'Thị',
  'Hồng',
  'Nhung',
  'trước',
  'ngày',
  // NFD: letters with combining diacritics (one grapheme, several code units)
  'Vie\u0302\u0323t',
  'nhie\u0302\u0323m',
  'ho\u0300a',
];
const EMOJI = ['✅', '📅', '👍🏽', '👨‍👩‍👧‍👦', '🇻🇳', '❤️', '🙏', '😀', '⏰'];
const PUNCT = ['.', '!', '?', '…', ',', ';', ':', '."', '.)', '»'];

/** A random text mixing Vietnamese words, emoji, punctuation, spaces, line and paragraph breaks, NBSP and long words. */
function randomText(rand: () => number, length: number, options: { longWords?: boolean } = {}): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let s = '';
  while (s.length < length) {
    const r = rand();
    if (r < 0.6) s += pick(WORDS);
    else if (r < 0.7) s += pick(EMOJI);
    else if (r < 0.78) s += pick(PUNCT);
    else if (options.longWords && r < 0.8)
      s += Array.from({ length: 5 + Math.floor(rand() * 60) }, () => pick(['a', 'ư', '😀', '👨‍👩‍👧', 'e\u0301'])).join('');
    else if (r < 0.82) s += '\u00a0'; // non-breaking: never a cut
    s += pick([' ', ' ', ' ', ' ', ' ', '\n', '\n\n', '  ', '\t', ' \n ']);
  }
  return s;
}

/** The word (run of characters other than breaking whitespace) around position `i` of `text`, as [start, end). */
function wordAround(text: string, i: number): [number, number] {
  let a = i;
  let b = i;
  while (a > 0 && !SPACE_CHAR.test(text[a - 1]!)) a--;
  while (b < text.length && !SPACE_CHAR.test(text[b]!)) b++;
  return [a, b];
}

/** The grapheme of `text` that position `i` falls strictly inside, if any (segmenting only the word: ICU is slow on long strings). */
function graphemeAcross(text: string, i: number): string | undefined {
  const [a, b] = wordAround(text, i);
  for (const { index, segment } of new Intl.Segmenter('vi', { granularity: 'grapheme' }).segment(text.slice(a, b))) {
    if (a + index < i && i < a + index + segment.length) return segment;
  }
  return undefined;
}

/** Checks the contract; returns the separators for further assertions. */
function checkContract(text: string, parts: string[], max: number): string[] {
  const separators: string[] = [];
  let cursor = 0;
  for (const [i, part] of parts.entries()) {
    expect(part.length, `part ${i} length`).toBeLessThanOrEqual(max);
    expect(SPACE.test(part), `part ${i} is blank`).toBe(false);
    expect(LONE_SURROGATE.test(part), `part ${i} has a broken surrogate pair`).toBe(false);
    const at = text.indexOf(part, cursor);
    expect(at, `part ${i} is not found in order`).toBeGreaterThanOrEqual(cursor);
    const gap = text.slice(cursor, at);
    expect(SPACE.test(gap), `separator before part ${i} is not whitespace: ${JSON.stringify(gap)}`).toBe(true);
    if (i > 0 && gap === '') {
      // A cut inside a word: only a word longer than max…
      const [a, b] = wordAround(text, at);
      expect(b - a, `cut inside a word at ${at}`).toBeGreaterThan(max);
      // …and between graphemes, unless the grapheme alone is longer than max.
      const inside = graphemeAcross(text, at);
      if (inside !== undefined) expect(inside.length, `cut at ${at} splits a grapheme`).toBeGreaterThan(max);
    }
    separators.push(gap);
    cursor = at + part.length;
  }
  const tail = text.slice(cursor);
  expect(SPACE.test(tail), `trailing rest is not whitespace: ${JSON.stringify(tail)}`).toBe(true);
  separators.push(tail);
  return separators;
}

describe('splitting a text for Zalo', () => {
  it('returns a text that fits as is, and nothing for a blank one', () => {
    expect(splitZaloText('Nhắc hạn: báo cáo quý IV')).toEqual(['Nhắc hạn: báo cáo quý IV']);
    expect(splitZaloText('  thụt lề giữ nguyên  ', 30)).toEqual(['  thụt lề giữ nguyên  ']);
    expect(splitZaloText('')).toEqual([]);
    expect(splitZaloText(' \n\t ')).toEqual([]);
    expect(splitZaloText('x'.repeat(ZALO_TEXT_MAX))).toHaveLength(1);
  });

  it('keeps the contract on generated Vietnamese texts with emoji, for many sizes', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = seededRandom(seed);
      const max = 2 + Math.floor(rand() * 120);
      const text = randomText(rand, Math.floor(rand() * 900), { longWords: seed % 3 === 0 });
      const parts = splitZaloText(text, max);
      checkContract(text, parts, max);
    }
  });

  it('keeps the contract at Zalo’s 2,000 with a long report', () => {
    const rand = seededRandom(2025);
    const text = randomText(rand, 25_000);
    const parts = splitZaloText(text);
    checkContract(text, parts, ZALO_TEXT_MAX);
    // Short words leave a boundary in every window's second half: no part under half the limit but the last.
    for (const part of parts.slice(0, -1)) expect(part.length).toBeGreaterThanOrEqual(ZALO_TEXT_MAX / 2);
  });

  it('cuts at paragraphs first, then lines, then sentences, then spaces', () => {
    const para = (n: number, len: number) => `Đoạn ${n}: ${'nội dung '.repeat(len)}`.trim();
    const paragraphs = [para(1, 8), para(2, 8), para(3, 8)].join('\n\n');
    expect(splitZaloText(paragraphs, 160)).toEqual([`${para(1, 8)}\n\n${para(2, 8)}`, para(3, 8)]);

    const lines = ['Dòng một có vài chữ.', 'Dòng hai cũng vậy.', 'Dòng ba là dòng cuối cùng.'].join('\n');
    expect(splitZaloText(lines, 45)).toEqual([
      'Dòng một có vài chữ.\nDòng hai cũng vậy.',
      'Dòng ba là dòng cuối cùng.',
    ]);

    const sentences = 'Câu thứ nhất đã xong. Câu thứ hai, có dấu phẩy, cũng xong! Câu ba';
    expect(splitZaloText(sentences, 60)).toEqual([
      'Câu thứ nhất đã xong. Câu thứ hai, có dấu phẩy, cũng xong!',
      'Câu ba',
    ]);

    const words = 'một hai ba bốn năm sáu bảy tám chín mười';
    expect(splitZaloText(words, 12)).toEqual(['một hai ba', 'bốn năm sáu', 'bảy tám chín', 'mười']);
  });

  it('does not take a paragraph break that would leave a tiny part when a later line break fits', () => {
    const text = `Mở đầu\n\n${'chữ '.repeat(20)}\n${'tiếp '.repeat(10)}`;
    const parts = splitZaloText(text, 110);
    expect(parts[0]!.length).toBeGreaterThan(55);
    checkContract(text, parts, 110);
  });

  it('never cuts at a non-breaking space', () => {
    const text = 'Hạn\u00a015/11\u00a0năm\u00a02025 báo cáo';
    const parts = splitZaloText(text, 20);
    expect(parts).toEqual(['Hạn\u00a015/11\u00a0năm\u00a02025', 'báo cáo']);
  });

  it('cuts a word longer than the limit between graphemes, keeping emoji and diacritics whole', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one grapheme
    const word = `${'🇻🇳'.repeat(7)}${family}${'Vie\u0302\u0323t'.repeat(5)}`;
    const parts = splitZaloText(`${word} xong`, 12);
    checkContract(`${word} xong`, parts, 12);
    expect(parts.some((p) => p.includes(family))).toBe(true);
    for (const part of parts) expect(part.startsWith('\u0302') || part.startsWith('\u0323')).toBe(false);
    // A lone emoji longer than max is cut between code points, never inside a surrogate pair.
    const tiny = splitZaloText(family, 4);
    expect(tiny.join('')).toBe(family);
    for (const p of tiny) expect(LONE_SURROGATE.test(p)).toBe(false);
  });

  it('refuses a limit under 2', () => {
    expect(() => splitZaloText('abc', 1)).toThrow(RangeError);
  });
});
