import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inBothLanguages, NotFoundError } from '#root/errors/index.js';
import { setPolicy } from '#root/services/policies.js';
import { placeholdersOf, SERVICE_WORDS, serviceWords, type ServiceNamespace } from '#root/messages/service-words.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const LOCALES = path.join(SRC, 'messages/locales');
const NAMESPACES = Object.keys(SERVICE_WORDS) as ServiceNamespace[];

/** Texts the same in both languages on purpose: values put together ("what — where", a list's end). */
const SAME_IN_BOTH = new Set(['plans:reasons', 'templates:whatWhere']);

/**
 * English words a Vietnamese text may carry as English does: names of products, formats and
 * standards, a command and its options (`dondoc org create`, `--plan`), the chat word "xong", "chat"
 * (Telegram's "chat id", as Vietnamese interfaces say it), and "gian" of the column «Thời gian»,
 * which the English names as the document writes it.
 */
const NAMES = new Set([
  'Asia',
  'Chi',
  'Excel',
  'HTML',
  'IANA',
  'LibreOffice',
  'Minh',
  'Mustache',
  'Telegram',
  'Word',
  'Zalo',
  'chat',
  'create',
  'dondoc',
  'email',
  'gian',
  'name',
  'xong',
]);

/** Every TypeScript file of src/ but the web pages (which have their own words) and the generated code. */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const rel = path.relative(SRC, full);
      if (statSync(full).isDirectory()) {
        if (rel !== 'web' && rel !== 'generated') walk(full);
      } else if (name.endsWith('.ts')) out.push({ file: rel, text: readFileSync(full, 'utf8') });
    }
  };
  walk(SRC);
  return out;
}

describe('the services’ words', () => {
  it('are one file per namespace in each language', () => {
    const files = (lang: string) =>
      readdirSync(path.join(LOCALES, lang))
        .filter((f) => f.endsWith('.json'))
        .sort();
    expect(files('en')).toEqual(files('vi'));
    expect(files('vi')).toEqual(NAMESPACES.map((n) => `${n}.json`).sort());
  });

  it('have the same keys in both languages, each with the same placeholders, none empty', () => {
    for (const ns of NAMESPACES) {
      const { vi, en } = SERVICE_WORDS[ns];
      expect(Object.keys(en).sort(), ns).toEqual(Object.keys(vi).sort());
      for (const key of Object.keys(vi)) {
        const where = `${ns}:${key}`;
        expect(placeholdersOf(en[key]!).sort(), where).toEqual(placeholdersOf(vi[key]!).sort());
        expect(vi[key]!.trim(), where).not.toBe('');
        expect(en[key]!.trim(), where).not.toBe('');
      }
    }
  });

  it('say something else in Vietnamese than in English', () => {
    const same = NAMESPACES.flatMap((ns) =>
      Object.keys(SERVICE_WORDS[ns].vi)
        .filter((key) => SERVICE_WORDS[ns].vi[key] === SERVICE_WORDS[ns].en[key])
        .map((key) => `${ns}:${key}`),
    );
    expect(same.filter((k) => !SAME_IN_BOTH.has(k))).toEqual([]);
  });

  it('leave no English word in a Vietnamese text but names', () => {
    const leaks: string[] = [];
    for (const ns of NAMESPACES)
      for (const [key, text] of Object.entries(SERVICE_WORDS[ns].vi)) {
        const english = SERVICE_WORDS[ns].en[key]!.replace(/\{\{\w+\}\}/g, ' ').toLowerCase();
        // A word of four letters or more, not in a path, an option or a placeholder, that the English says too.
        for (const [word] of text.replace(/\{\{\w+\}\}/g, ' ').matchAll(/(?<![\w/.#<-])[A-Za-z]{4,}(?![\w/.>-])/g))
          if (!NAMES.has(word) && new RegExp(`\\b${word.toLowerCase()}\\b`).test(english))
            leaks.push(`${ns}:${key} «${word}»`);
      }
    expect(leaks).toEqual([]);
  });

  it('are all used by the code, and every key the code names exists', () => {
    const used = new Map<ServiceNamespace, Set<string>>(NAMESPACES.map((n) => [n, new Set()]));
    let calls = 0;
    for (const { file, text } of sources()) {
      if (file === 'messages/service-words.ts') continue;
      // `const unitWords = serviceWords('units')`, then `unitWords('noSuchUnit', …)`.
      for (const m of text.matchAll(/const (\w+) = serviceWords\('(\w+)'\)/g)) {
        const [, name, ns] = m as unknown as [string, string, ServiceNamespace];
        expect(NAMESPACES, file).toContain(ns);
        for (const k of text.matchAll(new RegExp(`\\b${name}\\(\\s*'([\\w.]+)'`, 'g'))) {
          expect(
            SERVICE_WORDS[ns].vi,
            `${file} names «${k[1]}», which locales/*/${ns}.json does not have`,
          ).toHaveProperty([k[1]!]);
          used.get(ns)!.add(k[1]!);
          calls++;
        }
        // Keys built from a prefix: calendarWords(`state.${state}` as const).
        for (const k of text.matchAll(new RegExp(`\\b${name}\\(\\s*\`([\\w-]+\\.)\\$\\{`, 'g'))) {
          const built = Object.keys(SERVICE_WORDS[ns].vi).filter((key) => key.startsWith(k[1]!));
          expect(built, `${file}: ${ns}:${k[1]}*`).not.toEqual([]);
          for (const key of built) used.get(ns)!.add(key);
          calls++;
        }
        // A key chosen between two: `unitWords(x ? 'isGroup' : 'isUnit', …)`.
        for (const k of text.matchAll(new RegExp(`\\b${name}\\(\\s*[\\w.!]+ \\? '([\\w.]+)' : '([\\w.]+)'`, 'g')))
          for (const key of [k[1]!, k[2]!]) {
            expect(SERVICE_WORDS[ns].vi, `${file}: ${ns}:${key}`).toHaveProperty([key]);
            used.get(ns)!.add(key);
            calls++;
          }
      }
    }
    expect(calls).toBeGreaterThan(150);
    const unused = NAMESPACES.flatMap((ns) =>
      Object.keys(SERVICE_WORDS[ns].vi)
        .filter((k) => !used.get(ns)!.has(k))
        .map((k) => `${ns}:${k}`),
    );
    expect(unused).toEqual([]);
  });

  it('give both languages filled, a value said in each language taken in its own', () => {
    const units = serviceWords('units');
    expect(units('noSuchName', { name: 'Sở Y tế' })).toEqual({
      vi: 'Không tìm thấy đơn vị hoặc nhóm «Sở Y tế».',
      en: 'No unit or group is called «Sở Y tế».',
    });
    const templates = serviceWords('templates');
    expect(templates('whatWhere', { what: { vi: 'A', en: 'B' }, at: (lang) => `@${lang}` })).toEqual({
      vi: 'A — @vi',
      en: 'B — @en',
    });
    // A forgotten value reads "…"; a value's own braces are not filled again.
    expect(units('noSuchName').en).toBe('No unit or group is called «…».');
    expect(units('noSuchName', { name: '{{name}}' }).vi).toBe('Không tìm thấy đơn vị hoặc nhóm «{{name}}».');
  });

  it('keep a template’s own braces beside a value: the Mustache errors read as before', () => {
    const templates = serviceWords('templates');
    expect(templates('sectionNotClosed', { section: 'late' }).en).toBe(
      'the section {{#late}} is not closed by {{/late}}',
    );
    expect(templates('tagNotClosed').vi).toBe('thẻ {{…}} không được đóng (thiếu "}}")');
    expect(templates('unescapedPlaceholders', { open: '{{', close: '}}', names: '{{{x}}}' }).vi).toBe(
      'Mẫu không được chèn giá trị không thoát ký tự, hãy viết {{tên}}: {{{x}}}',
    );
  });

  it('make an error the command line prints in both languages and a page shows in one', () => {
    const error = new NotFoundError(serviceWords('units')('noSuchUnit'));
    expect(error.message).toBe('Không tìm thấy đơn vị này. / There is no such unit.');
    expect(error.words?.en).toBe('There is no such unit.');
    expect(inBothLanguages(serviceWords('import')('noTitle'))).toBe('Thiếu tên nhiệm vụ / The duty has no title');
  });

  it('word a policy’s problems from the file, each field by its label (refused before the database is asked)', async () => {
    const db = undefined as never;
    await expect(setPolicy(db, 'org', 'org', { leadDays: [1.5], escalateAfter: 99, foo: 1 }, 'admin')).rejects.toThrow(
      'Chính sách nhắc không hợp lệ: nhắc trước (ngày làm việc) (0): phải là số nguyên; báo lên sau (ngày quá hạn): tối đa 30; không có mục foo. / ' +
        'The reminder policy is not valid: remind before (working days) (0): must be a whole number; escalate after (days overdue): at most 30; there is no setting foo.',
    );
  });
});
