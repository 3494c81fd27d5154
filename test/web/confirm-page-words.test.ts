import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHAT_WORDS } from '#root/messages/chat-words.js';
import { confirmForm, indicatorForm } from '#root/web/confirm-page.js';
import { confirmPageCases } from '../fixtures/web/confirm-page-cases.js';

/**
 * The confirmation link's pages and indicator form, as the code before their words moved to the
 * locale files rendered them (commit 85c155b): every page in both languages, with values to escape
 * (test/fixtures/web/confirm-page-cases.ts).
 */
const BEFORE = JSON.parse(
  readFileSync(new URL('../fixtures/web/confirm-pages.json', import.meta.url), 'utf8'),
) as Record<string, string>;

const SUMMARY = {
  unit: 'Sở Y tế',
  dutyCode: 'BC-1',
  dutyTitle: 'Báo cáo',
  planCode: 'KH-1',
  due: '30/11/2026',
  contact: 'An',
};

describe('the words of the confirmation link’s pages', () => {
  it('render the same pages as before, from the locale files', () => {
    const now = confirmPageCases();
    expect(Object.keys(now).sort()).toEqual(Object.keys(BEFORE).sort());
    for (const [name, html] of Object.entries(now)) expect(html, name).toBe(BEFORE[name]);
  });

  it('are the locale files’ texts, in the page’s language', () => {
    for (const lang of ['vi', 'en'] as const) {
      const words = CHAT_WORDS[lang];
      const form = confirmForm(SUMMARY, '/c/x', lang);
      expect(form).toContain(`<h1>${words['confirm.title']}</h1>`);
      expect(form).toContain(`<button type="submit">${words['confirm.doneButton']}</button>`);
      expect(form).toContain(words['confirm.confirmingAs'].replace('{{contact}}', 'An'));
      const indicators = indicatorForm(
        2026,
        [{ id: 'i', ref: '1', title: 'T', rate: false, target: null, reported: null }],
        '/c/x/chi-tieu',
        [],
        lang,
      );
      expect(indicators).toContain(`<h2>${words['confirm.indicatorsOf'].replace('{{year}}', '2026')}</h2>`);
    }
  });
});
