import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { placeholdersOf } from '#root/lib/placeholders.js';

/**
 * The checks every set of locale files passes (the web's pages, the services', the command
 * line's): one file per namespace in each language, the same keys and placeholders, nothing
 * empty, Vietnamese that says something else than English, and no English word left in it.
 */

type Lang = 'vi' | 'en';

/** The services' namespaces that hold the command line's words (test/cli/cli-words.test.ts checks them). */
export const CLI_NAMESPACES: readonly string[] = ['cli', 'config', 'lang'];
/** Locale tables: namespace → language → key → text. */
export type LocaleTables = Readonly<Record<string, Readonly<Record<Lang, Readonly<Record<string, string>>>>>>;

/** `<dir>/vi/*.json` and `<dir>/en/*.json` are the same files, one per namespace of `namespaces`. */
export function expectOneFilePerNamespace(dir: string, namespaces: readonly string[]): void {
  const files = (lang: Lang) =>
    readdirSync(path.join(dir, lang))
      .filter((f) => f.endsWith('.json'))
      .sort();
  expect(files('en')).toEqual(files('vi'));
  expect(files('vi')).toEqual(namespaces.map((n) => `${n}.json`).sort());
}

/** Both languages have the same keys, each with the same placeholders, none empty. */
export function expectSameKeysAndPlaceholders(words: LocaleTables, namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    const { vi, en } = words[ns]!;
    expect(Object.keys(en).sort(), ns).toEqual(Object.keys(vi).sort());
    for (const key of Object.keys(vi)) {
      const where = `${ns}:${key}`;
      expect(placeholdersOf(en[key]!).sort(), where).toEqual(placeholdersOf(vi[key]!).sort());
      expect(vi[key]!.trim(), where).not.toBe('');
      expect(en[key]!.trim(), where).not.toBe('');
    }
  }
}

/** The texts (`ns:key`) the same in both languages, but those `allowed`. */
export function sameInBoth(words: LocaleTables, namespaces: readonly string[], allowed: ReadonlySet<string>): string[] {
  return namespaces.flatMap((ns) =>
    Object.keys(words[ns]!.vi)
      .filter((key) => words[ns]!.vi[key] === words[ns]!.en[key])
      .map((key) => `${ns}:${key}`)
      .filter((k) => !allowed.has(k)),
  );
}

/**
 * English words left in a Vietnamese text: a word of four letters or more, not in a path, an
 * option, a tag or a placeholder, that the English text says too, unless it is one of `names`.
 */
export function englishLeaks(words: LocaleTables, namespaces: readonly string[], names: ReadonlySet<string>): string[] {
  const leaks: string[] = [];
  for (const ns of namespaces)
    for (const [key, text] of Object.entries(words[ns]!.vi)) {
      const english = words[ns]!.en[key]!.replace(/\{\{\w+\}\}/g, ' ').toLowerCase();
      for (const [word] of text.replace(/\{\{\w+\}\}/g, ' ').matchAll(/(?<![\w/.#<-])[A-Za-z]{4,}(?![\w/.>-])/g))
        if (!names.has(word) && new RegExp(`\\b${word.toLowerCase()}\\b`).test(english))
          leaks.push(`${ns}:${key} «${word}»`);
    }
  return leaks;
}

/** Every TypeScript file under `root` (relative names), but the folders `skip` names. */
export function sourcesUnder(root: string, skip: readonly string[] = []): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (statSync(full).isDirectory()) {
        if (!skip.includes(rel)) walk(full);
      } else if (name.endsWith('.ts')) out.push({ file: rel, text: readFileSync(full, 'utf8') });
    }
  };
  walk(root);
  return out;
}

/**
 * The keys the code names, for the services' and the command line's words: a file declares
 * `const unitWords = serviceWords('units')` (or `const t = serviceWordsIn('cli', lang)`), then calls
 * `unitWords('key', …)`, `t(x ? 'a' : 'b')` or `t(\`prefix.${…}\`)`. Fails on a key that does not
 * exist; returns the keys used (`ns:key`) of `namespaces` and how many calls named them.
 */
export function serviceKeysUsed(
  words: LocaleTables,
  namespaces: readonly string[],
  sources: readonly { file: string; text: string }[],
): { used: Set<string>; calls: number } {
  const used = new Set<string>();
  let calls = 0;
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/const (\w+) = serviceWords(?:In)?\('(\w+)'(?:, [\w.]+)?\)/g)) {
      const [, name, ns] = m as unknown as [string, string, string];
      expect(Object.keys(words), file).toContain(ns);
      if (!namespaces.includes(ns)) continue;
      const table = words[ns]!.vi;
      const use = (key: string) => {
        expect(table, `${file} names «${key}», which locales/*/${ns}.json does not have`).toHaveProperty([key]);
        used.add(`${ns}:${key}`);
        calls++;
      };
      for (const k of text.matchAll(new RegExp(`\\b${name}\\(\\s*'([\\w.]+)'`, 'g'))) use(k[1]!);
      // A key chosen between two: `unitWords(x ? 'isGroup' : 'isUnit', …)`.
      for (const k of text.matchAll(new RegExp(`\\b${name}\\(\\s*[^?()\`]+? \\? '([\\w.]+)' : '([\\w.]+)'`, 'g')))
        for (const key of [k[1]!, k[2]!]) use(key);
      // Keys built from a prefix: calendarWords(`state.${state}` as const).
      for (const k of text.matchAll(new RegExp(`\\b${name}\\(\\s*\`([\\w.-]+\\.)\\$\\{`, 'g'))) {
        const built = Object.keys(table).filter((key) => key.startsWith(k[1]!));
        expect(built, `${file}: ${ns}:${k[1]}*`).not.toEqual([]);
        for (const key of built) used.add(`${ns}:${key}`);
        calls++;
      }
    }
  }
  return { used, calls };
}

/** The keys (`ns:key`) of `namespaces` not in `used`. */
export const unusedKeys = (words: LocaleTables, namespaces: readonly string[], used: ReadonlySet<string>): string[] =>
  namespaces.flatMap((ns) =>
    Object.keys(words[ns]!.vi)
      .map((k) => `${ns}:${k}`)
      .filter((k) => !used.has(k)),
  );
