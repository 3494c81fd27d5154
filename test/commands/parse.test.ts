import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, parseCommand, type CommandName } from '#root/commands/parse.js';

/** Every command of SPEC §5 (and /kenh, /duyet, /tuchoi): its Vietnamese name, then its English alias. */
const NAMES: [vietnamese: string, english: string, name: CommandName][] = [
  ['batdau', 'start', 'start'],
  ['viec', 'tasks', 'tasks'],
  ['xong', 'done', 'done'],
  ['giahan', 'extend', 'extend'],
  ['hoantac', 'undo', 'undo'],
  ['tonghop', 'status', 'status'],
  ['nhac', 'nudge', 'nudge'],
  ['trogiup', 'help', 'help'],
  ['kenh', 'channels', 'channels'],
  ['duyet', 'approve', 'approve'],
  ['tuchoi', 'refuse', 'refuse'],
  ['chitieu', 'indicator', 'indicator'],
];

describe('parsing a chat command', () => {
  describe('the command names', () => {
    it.each(NAMES)('knows /%s and its English alias /%s', (vi, en, name) => {
      expect(parseCommand(`/${vi}`)).toEqual({ name, args: [], rest: '' });
      expect(parseCommand(`/${en}`)).toEqual({ name, args: [], rest: '' });
    });

    it('has no name in its table that the tests above do not know', () => {
      const known = new Set(NAMES.flatMap(([vi, en]) => [vi, en]));
      expect(Object.keys(COMMAND_NAMES).filter((k) => !known.has(k))).toEqual([]);
    });

    it.each([
      ['/XONG 4.2', 'done'],
      ['/Xong 4.2', 'done'],
      ['/TroGiup', 'help'],
      ['/DONE 4.2', 'done'],
    ] as const)('reads %j whatever its case', (text, name) => {
      expect(parseCommand(text)?.name).toBe(name);
    });

    // Phone keyboards add diacritics; the command word is folded (the arguments are not).
    it.each([
      ['/việc', 'tasks'],
      ['/VIỆC', 'tasks'],
      ['/vie\u0302\u0323c', 'tasks'], // the same word typed decomposed (NFD)
      ['/xóng 4.2', 'done'],
      ['/giahạn 4.2 30/12/2026 chờ số liệu', 'extend'],
      ['/giaHẠN 4.2', 'extend'],
      ['/hoàntác 4.2', 'undo'],
      ['/tổnghợp', 'status'],
      ['/nhắc Sở Y tế', 'nudge'],
      ['/trợgiúp', 'help'],
      ['/kênh zalo', 'channels'],
      ['/duyệt a1b2c3', 'approve'],
      ['/Đuyệt a1b2c3', 'approve'],
      ['/từchối a1b2c3', 'refuse'],
      ['/bắtđầu', 'start'],
    ] as const)('folds the diacritics of %j', (text, name) => {
      expect(parseCommand(text)?.name).toBe(name);
    });
  });

  describe('the arguments', () => {
    it('drops the bot name of /cmd@bot and keeps the note whole', () => {
      expect(parseCommand('/xong@dondoc_bot 4.2 ghi chú')).toEqual({
        name: 'done',
        args: ['4.2', 'ghi', 'chú'],
        rest: '4.2 ghi chú',
      });
      expect(parseCommand('/XONG@DonDoc_Bot')).toEqual({ name: 'done', args: [], rest: '' });
    });

    it('reads /start with its invite code', () => {
      expect(parseCommand('/start abc')).toEqual({ name: 'start', args: ['abc'], rest: 'abc' });
      expect(parseCommand('/start@dondoc_bot Ab_9-xYz0123456789')).toEqual({
        name: 'start',
        args: ['Ab_9-xYz0123456789'],
        rest: 'Ab_9-xYz0123456789',
      });
    });

    it('ignores white space before the command and around the arguments', () => {
      expect(parseCommand('   /xong 4.2')).toEqual({ name: 'done', args: ['4.2'], rest: '4.2' });
      expect(parseCommand('\n\t/xong   4.2    đã gửi  ')).toEqual({
        name: 'done',
        args: ['4.2', 'đã', 'gửi'],
        rest: '4.2    đã gửi',
      });
      expect(parseCommand('/xong\u00a04.2')).toEqual({ name: 'done', args: ['4.2'], rest: '4.2' });
      expect(parseCommand('/xong\n4.2')).toEqual({ name: 'done', args: ['4.2'], rest: '4.2' });
    });

    it('keeps the lines of a note written on several lines', () => {
      const c = parseCommand('/xong 4.2 Đã gửi công văn số 12/STTTT.\nĐính kèm báo cáo.\n\nTrân trọng.');
      expect(c?.name).toBe('done');
      expect(c?.args[0]).toBe('4.2');
      expect(c?.rest).toBe('4.2 Đã gửi công văn số 12/STTTT.\nĐính kèm báo cáo.\n\nTrân trọng.');
    });

    it('does not fold the arguments: a note keeps its diacritics and its case', () => {
      expect(parseCommand('/xong 4.2 ĐÃ GỬI Sở Tài chính')?.rest).toBe('4.2 ĐÃ GỬI Sở Tài chính');
      expect(parseCommand('/nhac Sở Y tế')?.rest).toBe('Sở Y tế');
    });

    it('keeps emoji and right-to-left text in the arguments as they are', () => {
      expect(parseCommand('/xong 4.2 ✅👍🏽 xong rồi')).toEqual({
        name: 'done',
        args: ['4.2', '✅👍🏽', 'xong', 'rồi'],
        rest: '4.2 ✅👍🏽 xong rồi',
      });
      const rtl = 'تم الإنجاز \u202Eabc\u202C';
      expect(parseCommand(`/xong 4.2 ${rtl}`)?.rest).toBe(`4.2 ${rtl}`);
    });

    it('reads a message of Telegram’s full 4,096 characters', () => {
      const text = `/xong 4.2 ${'ghi chú dài '.repeat(400)}`.slice(0, 4_096);
      expect(text).toHaveLength(4_096);
      const c = parseCommand(text);
      expect(c?.name).toBe('done');
      expect(c?.args[0]).toBe('4.2');
      expect(c?.rest).toBe(text.slice('/xong '.length).trim());
    });
  });

  describe('text that is not a command', () => {
    it.each([
      ['plain text', 'đã xong nhiệm vụ 4.2'],
      ['a command word without its slash', 'xong 4.2'],
      ['a slash then a space', '/ xong'],
      ['an empty message', ''],
      ['only white space', '   \n '],
      ['only a slash', '/'],
      ['a slash and a bot name', '/@dondoc_bot'],
      ['a full-width slash', '／xong 4.2'],
      ['a slash in the middle', 'ngày 30/12 xong'],
      ['a command word longer than 64 characters', `/${'x'.repeat(65)} 4.2`],
    ])('returns null for %s', (_what, text) => {
      expect(parseCommand(text)).toBeNull();
    });
  });

  describe('unknown commands', () => {
    it.each([
      ['/foo', 'foo'],
      ['/xong4.2', 'glued to its argument'],
      ['//xong', 'a double slash'],
      ['/gia hạn 4.2', 'a command word split by a space'],
      ['/✅ 4.2', 'an emoji'],
      [`/${'x'.repeat(64)}`, 'the longest command word'],
    ])('names %j “unknown” (%s)', (text) => {
      const c = parseCommand(text);
      expect(c?.name).toBe('unknown');
    });

    it('keeps the arguments of an unknown command', () => {
      expect(parseCommand('/foo bar baz')).toEqual({ name: 'unknown', args: ['bar', 'baz'], rest: 'bar baz' });
    });
  });
});
