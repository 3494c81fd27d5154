import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { html } from '#root/web/html.js';
import { inBoth, isWebKey, placeholdersOf, WEB_WORDS, webWords, type Namespace } from '#root/web/words.js';
import {
  englishLeaks,
  expectOneFilePerNamespace,
  expectSameKeysAndPlaceholders,
  sameInBoth,
  sourcesUnder,
} from '../helpers/locale-checks.js';

const WEB = fileURLToPath(new URL('../../src/web/', import.meta.url));
const LOCALES = path.join(WEB, 'locales');
const NAMESPACES = Object.keys(WEB_WORDS) as Namespace[];

/**
 * Texts the same in both languages on purpose: a symbol around a number, an acronym, and the menu
 * button's "Menu" (the word Vietnamese interfaces use).
 */
const SAME_IN_BOTH = new Set(['inbox:moreFlags', 'layout:menu', 'templates:partName.html']);

/**
 * English words a Vietnamese text may carry as English does: names of products and formats,
 * acronyms, a command (`dondoc preview`), the chat word "xong" quoted in English, and "chat" and
 * "Menu", which Vietnamese interfaces use.
 */
const NAMES = new Set([
  'CSRF',
  'Calendar',
  'DOCX',
  'Email',
  'Excel',
  'Google',
  'HTML',
  'Internet',
  'Menu',
  'Mustache',
  'Outlook',
  'SPEC',
  'TTTT',
  'Telegram',
  'Word',
  'XLSX',
  'Zalo',
  'chat',
  'dondoc',
  'email',
  'iCalendar',
  'preview',
  'xong',
]);

/** Every TypeScript file of src/web. */
const webSources = () => sourcesUnder(WEB);

describe('the administrators’ pages’ words', () => {
  it('are one file per namespace in each language, as i18next lays them out', () => {
    expectOneFilePerNamespace(LOCALES, NAMESPACES);
  });

  it('have the same keys in both languages, each with the same placeholders, none empty', () => {
    expectSameKeysAndPlaceholders(WEB_WORDS, NAMESPACES);
  });

  it('say something else in Vietnamese than in English, but for a short list of symbols and names', () => {
    expect(sameInBoth(WEB_WORDS, NAMESPACES, SAME_IN_BOTH)).toEqual([]);
  });

  it('leave no English word in a Vietnamese text but names (a channel is called by its label)', () => {
    expect(englishLeaks(WEB_WORDS, NAMESPACES, NAMES)).toEqual([]);
  });

  it('name in the audit log’s filter every action the history tells in words, never by its code', () => {
    const verbs = Object.keys(WEB_WORDS.history.vi).filter((k) => k.startsWith('verb.'));
    expect(verbs.length).toBeGreaterThan(30);
    const unnamed = verbs
      .map((k) => k.slice('verb.'.length))
      .filter((action) => !isWebKey('audit', `actionLabel.${action}`));
    expect(unnamed).toEqual([]);
  });

  it('say a count with both forms (`_one`, `_other`), each with its {{count}}', () => {
    for (const ns of NAMESPACES)
      for (const key of Object.keys(WEB_WORDS[ns].vi).filter((k) => /_(one|other)$/.test(k))) {
        const base = key.replace(/_(one|other)$/, '');
        expect(isWebKey(ns, `${base}_one`) && isWebKey(ns, `${base}_other`), `${ns}:${base}`).toBe(true);
        expect(placeholdersOf(WEB_WORDS[ns].vi[key]!), `${ns}:${key}`).toContain('count');
      }
  });

  it('are all used by the pages, and every key a page names exists', () => {
    const used = new Map<Namespace, Set<string>>(NAMESPACES.map((n) => [n, new Set()]));
    const prefixes = new Map<Namespace, Set<string>>(NAMESPACES.map((n) => [n, new Set()]));
    const suffixes = new Map<Namespace, Set<string>>(NAMESPACES.map((n) => [n, new Set()]));
    let calls = 0;
    for (const { file, text } of webSources()) {
      if (file === 'words.ts') continue;
      const mine = [...new Set([...text.matchAll(/webWords\('(\w+)'/g)].map((m) => m[1] as Namespace))];
      // Errors thrown in both languages, and words said at once, name their namespace and key together.
      for (const m of text.matchAll(/inBoth\('(\w+)', '([\w.-]+)'|webWords\('(\w+)', [\w.()?]+\)\('([\w.-]+)'/g)) {
        const [ns, key] = m[1] ? [m[1], m[2]!] : [m[3]!, m[4]!];
        expect(WEB_WORDS[ns as Namespace]?.vi, `${file}: ${ns}:${key}`).toHaveProperty([key]);
        used.get(ns as Namespace)!.add(key);
      }
      if (!mine.length) continue;
      // A page speaks its own namespace; a file with two would make the check below ambiguous.
      expect(mine, file).toHaveLength(1);
      const ns = mine[0]!;
      const words = WEB_WORDS[ns].vi;
      // t('key'), t('key', {…}), t.count('key', n), and a menu item's key: 'nav.status'.
      for (const m of text.matchAll(/\bt(\.count)?\('([\w.-]+)'|\bkey: '(\w+\.[\w.-]+)'/g)) {
        const key = m[2] ?? m[3]!;
        const known = m[1] ? `${key}_one` in words && `${key}_other` in words : key in words;
        expect(known, `${file} names «${key}», which locales/*/${ns}.json does not have`).toBe(true);
        if (m[1]) used.get(ns)!.add(`${key}_one`).add(`${key}_other`);
        else used.get(ns)!.add(key);
        calls++;
      }
      // Keys built from a prefix, t(`state.${s}`), or a suffix, t(`${ask.key}.question`).
      for (const m of text.matchAll(/`([\w-]+\.)\$\{/g)) {
        expect(
          Object.keys(words).some((k) => k.startsWith(m[1]!)),
          `${file}: ${m[1]}*`,
        ).toBe(true);
        prefixes.get(ns)!.add(m[1]!);
      }
      for (const m of text.matchAll(/`\$\{[\w.]+\}(\.\w+)`/g)) {
        expect(
          Object.keys(words).some((k) => k.endsWith(m[1]!)),
          `${file}: *${m[1]}`,
        ).toBe(true);
        suffixes.get(ns)!.add(m[1]!);
      }
    }
    expect(calls).toBeGreaterThan(0);
    const unused = NAMESPACES.flatMap((ns) =>
      Object.keys(WEB_WORDS[ns].vi)
        .filter(
          (k) =>
            !used.get(ns)!.has(k) &&
            ![...prefixes.get(ns)!].some((p) => k.startsWith(p)) &&
            ![...suffixes.get(ns)!].some((p) => k.endsWith(p)),
        )
        .map((k) => `${ns}:${k}`),
    );
    expect(unused).toEqual([]);
  });

  it('are filled in the administrator’s language, a forgotten value reading "…"', () => {
    const vi = webWords('outbox', 'vi');
    const en = webWords('outbox', 'en');
    expect(vi('answerName', { name: 'An' })).toBe('Trả lời như An');
    expect(en('answerName', { name: 'An' })).toBe('Answer as An');
    expect(en('answerName')).toBe('Answer as …');
    expect(vi.lang).toBe('vi');
    expect(en.lang).toBe('en');
    expect(inBoth('outbox', 'answerName', { name: 'An' })).toEqual({ vi: 'Trả lời như An', en: 'Answer as An' });
  });

  it('say a count in the form its number takes', () => {
    const en = webWords('inbox', 'en');
    expect(en.count('waiting', 1)).toBe('1 thing waiting.');
    expect(en.count('waiting', 3)).toBe('3 things waiting.');
    expect(en.count('waiting', 0)).toBe('0 things waiting.');
    expect(webWords('inbox', 'vi').count('waiting', 1)).toBe('1 việc đang chờ.');
  });

  it('leave a value as it is to the page, which escapes it: the text is ours, the value is not', () => {
    const t = webWords('outbox', 'en');
    const said = t('answerName', { name: '<script>{{name}}</script>' });
    // One replace: a value's own braces are not filled again.
    expect(said).toBe('Answer as <script>{{name}}</script>');
    expect(html`<h2>${said}</h2>`.value).toBe('<h2>Answer as &lt;script&gt;{{name}}&lt;/script&gt;</h2>');
  });
});
