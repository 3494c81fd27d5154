import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHAT_WORDS } from '#root/messages/chat-words.js';
import { linkErrorPage, type LinkProblem } from '#root/web/confirm-page.js';

/**
 * The pages of a link that cannot be used, as the code before their words moved to the locale
 * files rendered them (commit e71a112): every reason in both languages, without and with a unit
 * (written with characters to escape) and the link to the other language.
 */
const BEFORE = JSON.parse(
  readFileSync(new URL('../fixtures/web/link-error-pages.json', import.meta.url), 'utf8'),
) as Record<string, string>;

const REASONS: LinkProblem[] = ['malformed', 'forged', 'expired', 'gone', 'not-allowed'];
const LANGS = ['vi', 'en'] as const;

describe('the words of a link that cannot be used', () => {
  it('render the same pages as before, from the locale files', () => {
    expect(Object.keys(BEFORE)).toHaveLength(REASONS.length * LANGS.length * 2);
    for (const reason of REASONS)
      for (const lang of LANGS) {
        expect(linkErrorPage(reason, { lang }), `${reason} ${lang}`).toBe(BEFORE[`${reason} ${lang}`]);
        const withUnit = linkErrorPage(reason, {
          lang,
          unit: 'Sở <Y tế> & "Dân"',
          otherLanguage: '/c/abc?lang=x&y=1',
        });
        expect(withUnit, `${reason} ${lang} unit+switch`).toBe(BEFORE[`${reason} ${lang} unit+switch`]);
      }
  });

  it('are the locale files’ texts, each page’s heading and sentence in its own language', () => {
    for (const lang of LANGS) {
      const page = linkErrorPage('not-allowed', { lang, unit: 'Sở Y tế' });
      const heading = /<h1>(.*?)<\/h1>/.exec(page)![1];
      const sentence = /<h1>.*?<\/h1><p>(.*?)<\/p>/.exec(page)![1];
      expect(heading).toBe(CHAT_WORDS[lang]['link.notAllowedTitle']);
      expect(sentence).toBe(CHAT_WORDS[lang]['link.notAllowedUnitText'].replace('{{unit}}', 'Sở Y tế'));
    }
    expect(linkErrorPage('forged', { lang: 'en' })).toContain(`<h1>${CHAT_WORDS.en['link.invalidTitle']}</h1>`);
  });
});
