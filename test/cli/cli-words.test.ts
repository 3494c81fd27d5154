import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chooseLang, UnknownLangError } from '#root/messages/lang-choice.js';
import { SERVICE_WORDS, serviceWordsIn } from '#root/messages/service-words.js';
import { runCliInProcess } from '../helpers/run-cli.js';
import {
  CLI_NAMESPACES,
  englishLeaks,
  expectSameKeysAndPlaceholders,
  sameInBoth,
  serviceKeysUsed,
  sourcesUnder,
  unusedKeys,
} from '../helpers/locale-checks.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Texts the same in both languages on purpose: the option's own syntax, a name. */
const SAME_IN_BOTH = new Set(['cli:arg.lang', 'cli:arg.yearlyDue']);

/**
 * English words a Vietnamese text of the command line may carry: names of products, formats and
 * standards, Redis's modes and command, values an administrator types (`true`, `head`, `contact`,
 * `all`), the chat word "xong", and "sandbox", the stored name of the channel typed as is.
 */
const NAMES = new Set([
  // The command line's commands and their typed values, as a person types them.
  'accept',
  'address',
  'alias',
  'create',
  'import',
  'operator',
  'password',
  'remove',
  'answer',
  'channels',
  'check',
  'contacts',
  'groups',
  'help',
  'invite',
  'merge',
  'migrate',
  'outbox',
  'scheduler',
  'show',
  'start',
  'timeframe',
  'title',
  'units',
  'worker',
  // Names of variables, formats and protocols.
  'JSON',
  'LANG',
  'SMTP',
  'XLSX',
  'host',
  'port',
  'production',
  'Asia',
  'Chi',
  'Cluster',
  'Email',
  'Excel',
  'HTML',
  'IANA',
  'Minh',
  'SPEC',
  'Sentinel',
  'Telegram',
  'Word',
  'Zalo',
  'admin',
  'contact',
  'dondoc',
  'email',
  'false',
  'head',
  'monitor',
  'sentinel',
  'supervisor',
  'true',
  'xong',
]);

/** The no-database environment of a run that only prints help or refuses its input. */
const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused' };

describe('the command line’s words', () => {
  it('have the same keys in both languages, each with the same placeholders, none empty', () => {
    expectSameKeysAndPlaceholders(SERVICE_WORDS, CLI_NAMESPACES);
  });

  it('say something else in Vietnamese than in English', () => {
    expect(sameInBoth(SERVICE_WORDS, CLI_NAMESPACES, SAME_IN_BOTH)).toEqual([]);
  });

  it('leave no English word in a Vietnamese text but names', () => {
    expect(englishLeaks(SERVICE_WORDS, CLI_NAMESPACES, NAMES)).toEqual([]);
  });

  it('are all used by the command line and the configuration, and every key they name exists', () => {
    const sources = [
      ...sourcesUnder(`${SRC}cli`).map((s) => ({ ...s, file: `cli/${s.file}` })),
      ...sourcesUnder(SRC, ['cli', 'web', 'generated']).filter((s) =>
        ['config.ts', 'main.ts', 'messages/lang-choice.ts'].includes(s.file),
      ),
    ];
    const { used, calls } = serviceKeysUsed(SERVICE_WORDS, CLI_NAMESPACES, sources);
    expect(calls).toBeGreaterThan(200);
    expect(unusedKeys(SERVICE_WORDS, CLI_NAMESPACES, used)).toEqual([]);
  });

  it('are filled in one language', () => {
    expect(serviceWordsIn('cli', 'vi')('invalidYear', { year: '1900' })).toBe('Năm «1900» không hợp lệ.');
    expect(serviceWordsIn('cli', 'en')('invalidYear', { year: '1900' })).toBe('«1900» is not a valid year.');
  });
});

describe('the command line’s language', () => {
  it('is --lang, else DONDOC_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else Vietnamese', () => {
    expect(chooseLang({})).toBe('vi');
    expect(chooseLang({ LANG: 'en_US.UTF-8' })).toBe('en');
    expect(chooseLang({ LANG: 'vi_VN.UTF-8' })).toBe('vi');
    expect(chooseLang({ LANG: 'C.UTF-8' })).toBe('vi');
    expect(chooseLang({ LC_MESSAGES: 'en_GB', LANG: 'vi_VN' })).toBe('en');
    expect(chooseLang({ LC_ALL: 'vi_VN', LC_MESSAGES: 'en_GB', LANG: 'en_US' })).toBe('vi');
    expect(chooseLang({ DONDOC_LANG: 'en', LANG: 'vi_VN' })).toBe('en');
    expect(chooseLang({ DONDOC_LANG: 'vi', LANG: 'en_US' })).toBe('vi');
    expect(chooseLang({ DONDOC_LANG: '', LANG: 'en_US' })).toBe('en');
    expect(chooseLang({ DONDOC_LANG: 'vi' }, 'en')).toBe('en');
    expect(() => chooseLang({ DONDOC_LANG: 'fr' })).toThrow(UnknownLangError);
    expect(() => chooseLang({}, 'english')).toThrow(UnknownLangError);
  });

  it('prints the help in Vietnamese by default, in English when asked, either way', async () => {
    const vi = await runCliInProcess(['units', '--help'], env);
    expect(vi.code).toBe(0);
    expect(vi.stdout).toContain('Cách dùng: dondoc units');
    expect(vi.stdout).toContain('gộp một đơn vị vào đơn vị khác');
    expect(vi.stdout).not.toMatch(/merge a unit|Usage:|\/ /);
    for (const [args, more] of [
      [['--lang', 'en', 'units', '--help'], {}],
      [['units', '--help', '--lang=en'], {}],
      [['units', '--help'], { DONDOC_LANG: 'en' }],
      [['units', '--help'], { LANG: 'en_US.UTF-8' }],
    ] as const) {
      const en = await runCliInProcess([...args], { ...env, ...more });
      expect(en.code, args.join(' ')).toBe(0);
      expect(en.stdout).toContain('Usage: dondoc units');
      expect(en.stdout).toContain('merge a unit into another');
      expect(en.stdout).not.toMatch(/gộp|Cách dùng/);
    }
    // --lang wins over the environment.
    expect(
      (await runCliInProcess(['--lang', 'vi', 'units', '--help'], { ...env, DONDOC_LANG: 'en' })).stdout,
    ).toContain('Cách dùng:');
  });

  it('says bad input in the person’s language only', async () => {
    const vi = await runCliInProcess(['obligations', '--year', '1900'], env);
    expect(vi).toMatchObject({ code: 1, stderr: 'Lỗi: Năm «1900» không hợp lệ.\n' });
    const en = await runCliInProcess(['obligations', '--year', '1900'], { ...env, LANG: 'en_US.UTF-8' });
    expect(en).toMatchObject({ code: 1, stderr: 'Error: «1900» is not a valid year.\n' });
    // Commander's own errors too.
    const unknown = await runCliInProcess(['obligations', '--yeer', '2026', '--lang', 'en'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error: there is no option --yeer.\n(Did you mean --year?)');
    expect((await runCliInProcess(['obligations', '--yeer', '2026'], env)).stderr).toContain(
      'Lỗi: không có tùy chọn --yeer.\n(Có phải là --year?)',
    );
    // A configuration error at start-up as well.
    const config = await runCliInProcess(['units', 'list'], { ...env, PORT: 'x', DONDOC_LANG: 'en' });
    expect(config).toMatchObject({ code: 1, stderr: 'Invalid configuration:\n  - PORT: must be a number\n' });
  });

  it('refuses an unknown language in both languages, having done nothing', async () => {
    for (const [args, more] of [
      [['--lang', 'fr', 'units', 'list'], {}],
      [['units', 'list', '--lang'], {}],
      [['units', 'list'], { DONDOC_LANG: 'english' }],
    ] as const) {
      const r = await runCliInProcess([...args], { ...env, ...more });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^Lỗi: không có ngôn ngữ «[^»]*»; dùng --lang vi hoặc --lang en.*\nError: there is no language/,
      );
    }
  });
});
