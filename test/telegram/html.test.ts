import { describe, expect, it } from 'vitest';
import { splitTelegramHtml, telegramHtmlProblem, telegramVisibleLength } from '#root/channels/telegram/html.js';

const words = (html: string) =>
  html
    .replace(/<[^<>]*>/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

describe('Telegram HTML', () => {
  describe('what Telegram would refuse', () => {
    it('accepts the tags of Telegram’s HTML parse mode, nested and balanced', () => {
      for (const ok of [
        'Kính gửi <b>A</b> <strong>B</strong> <i>c</i> <em>d</em> <u>e</u> <ins>f</ins> <s>g</s> <strike>h</strike> <del>i</del>',
        '<span class="tg-spoiler">ẩn</span> <tg-spoiler>ẩn</tg-spoiler> <a href="https://dondoc.example/c/x">link</a>',
        '<code>x</code> <pre><code class="language-ts">y</code></pre> <blockquote expandable>z</blockquote> <tg-emoji emoji-id="1">👍</tg-emoji>',
        'a &lt; b &amp;&amp; c &gt; d &quot;e&quot;',
      ]) {
        expect(telegramHtmlProblem(ok), ok).toBeNull();
      }
    });

    it('refuses a tag outside the set, a plain span, a bare "<", unbalanced or unclosed tags, saying where', () => {
      const cases: [string, RegExp, RegExp, number][] = [
        ['xin <div>chào</div>', /<div> Telegram không hỗ trợ/, /does not support the tag <div>/, 4],
        ['dòng 1<br>dòng 2', /<br> Telegram không hỗ trợ/, /does not support the tag <br>/, 6],
        ['<span>ẩn</span>', /<span> Telegram không hỗ trợ/, /does not support the tag <span>/, 0],
        ['a < b', /dấu "<" không mở thẻ nào/, /a "<" that opens no tag/, 2],
        ['<b><i>x</b></i>', /thẻ đóng <\/b> không khớp thẻ mở <i>/, /the end tag <\/b> does not match <i>/, 7],
        ['x</b>', /thẻ đóng <\/b> không có thẻ mở/, /the end tag <\/b> closes nothing/, 1],
        ['<b>chưa đóng', /thẻ <b> không được đóng/, /the tag <b> is never closed/, 0],
      ];
      for (const [text, vi, en, at] of cases) {
        const found = telegramHtmlProblem(text);
        expect(found?.at, text).toBe(at);
        // Each language whole: the Vietnamese without English, the English without Vietnamese.
        expect(found?.problem.vi, text).toMatch(vi);
        expect(found?.problem.vi, text).not.toContain(' / ');
        expect(found?.problem.en, text).toMatch(en);
        expect(found?.problem.en, text).not.toMatch(/thẻ|không/);
      }
    });

    it('counts the length as Telegram does: tags are free, an entity is one character', () => {
      expect(telegramVisibleLength('<b>ab</b> &amp; <a href="https://x">c</a>')).toBe('ab & c'.length);
    });
  });

  describe('splitting a text too long for one message', () => {
    it('returns a text that fits as it is, even when its markup makes it longer than the limit', () => {
      const text = `<b>${'a'.repeat(40)}</b>`;
      expect(splitTelegramHtml(text, 45)).toEqual([text]);
    });

    it('cuts between words, closes the tags open at a cut and opens them again (with their attributes) in the next part', () => {
      const text = `Kính gửi <b>Người 1</b>,\n\n<a href="https://dondoc.example/c/a b">${Array.from({ length: 40 }, (_, i) => `từ${i}`).join(' ')}</a> hết.`;
      const parts = splitTelegramHtml(text, 60);
      expect(parts.length).toBeGreaterThan(2);
      for (const p of parts) {
        expect(telegramHtmlProblem(p), p).toBeNull();
        expect(telegramVisibleLength(p)).toBeLessThanOrEqual(60);
      }
      // Every part after the first inside the link opens it again, whole.
      expect(parts.slice(2).every((p) => p.startsWith('<a href="https://dondoc.example/c/a b">'))).toBe(true);
      expect(words(parts.join(' '))).toEqual(words(text));
    });

    it('cuts a word longer than a message without cutting an entity or a tag', () => {
      const text = `${'x'.repeat(28)}&amp;${'y'.repeat(30)}<b>z</b>${'w'.repeat(40)}`;
      const parts = splitTelegramHtml(text, 30);
      for (const p of parts) {
        expect(telegramHtmlProblem(p), p).toBeNull();
        expect(telegramVisibleLength(p)).toBeLessThanOrEqual(30);
        expect(p).not.toMatch(/&[a-z]*$|^[a-z]*;|<[^>]*$/);
      }
      expect(parts.join('')).toBe(text);
    });
  });
});
