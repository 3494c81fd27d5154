import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inBothLanguages, NotFoundError } from '#root/errors/index.js';
import { setPolicy } from '#root/services/policies.js';
import { SERVICE_WORDS, serviceWords, type ServiceNamespace } from '#root/messages/service-words.js';
import {
  englishLeaks,
  expectOneFilePerNamespace,
  expectSameKeysAndPlaceholders,
  sameInBoth,
  serviceKeysUsed,
  sourcesUnder,
  unusedKeys,
  CLI_NAMESPACES,
} from '../helpers/locale-checks.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const LOCALES = path.join(SRC, 'messages/locales');
const ALL = Object.keys(SERVICE_WORDS) as ServiceNamespace[];
/** The services' namespaces; the command line's have their own test (test/cli/cli-words.test.ts). */
const NAMESPACES = ALL.filter((ns) => !CLI_NAMESPACES.includes(ns));

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

describe('the services’ words', () => {
  it('are one file per namespace in each language', () => {
    expectOneFilePerNamespace(LOCALES, ALL);
  });

  it('have the same keys in both languages, each with the same placeholders, none empty', () => {
    expectSameKeysAndPlaceholders(SERVICE_WORDS, NAMESPACES);
  });

  it('say something else in Vietnamese than in English', () => {
    expect(sameInBoth(SERVICE_WORDS, NAMESPACES, SAME_IN_BOTH)).toEqual([]);
  });

  it('leave no English word in a Vietnamese text but names', () => {
    expect(englishLeaks(SERVICE_WORDS, NAMESPACES, NAMES)).toEqual([]);
  });

  it('are all used by the code, and every key the code names exists', () => {
    // Every TypeScript file of src/ but the web pages (which have their own words) and the generated code.
    const sources = sourcesUnder(SRC, ['web', 'generated']).filter((s) => s.file !== 'messages/service-words.ts');
    const { used, calls } = serviceKeysUsed(SERVICE_WORDS, NAMESPACES, sources);
    expect(calls).toBeGreaterThan(150);
    expect(unusedKeys(SERVICE_WORDS, NAMESPACES, used)).toEqual([]);
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
