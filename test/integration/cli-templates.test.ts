import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

/**
 * `dondoc templates check` checks the template files as the editor checks an edit: every problem,
 * each with its file and position, in Vietnamese first, exit status 1 — never a stack trace.
 */
describe('dondoc templates check', () => {
  it('names each broken file and where it breaks, and exits 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dondoc-templates-'));
    await mkdir(path.join(dir, 'vi'), { recursive: true });
    await writeFile(
      path.join(dir, 'vi', 'reminder-due.sandbox.txt'),
      'Kính gửi {{contactName}},\n{{#dutyCode}} chưa đóng',
    );
    await writeFile(path.join(dir, 'vi', 'reminder-due.zalo.txt'), 'Kính gửi {{contactName}},\nhạn {{dueDate}');
    await writeFile(
      path.join(dir, 'vi', 'reminder-due.telegram.html'),
      'Kính gửi {{contactName}},\n<b>{{dutyCode}}</i>',
    );
    await writeFile(path.join(dir, 'vi', 'reminder-lead.telegram.html'), 'Nhiệm vụ {{{dutyTitle}}}');
    await writeFile(path.join(dir, 'vi', 'reminder-lead.zalo.txt'), 'Đúng: {{dutyCode}}');
    const r = await runCli(['templates', 'check', dir], { LOG_LEVEL: 'silent' });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`Lỗi: 4 mẫu không hợp lệ (${dir}):`);
    expect(lines).toContain(
      '  vi/reminder-due.sandbox.txt: Mẫu sai cú pháp Mustache: mục {{#dutyCode}} không được đóng bằng {{/dutyCode}} — dòng 2, cột 1',
    );
    expect(lines).toContain(
      '  vi/reminder-due.zalo.txt: Mẫu sai cú pháp Mustache: thẻ {{…}} không được đóng (thiếu "}}") — dòng 2, cột 5',
    );
    expect(lines).toContain(
      '  vi/reminder-due.telegram.html: Telegram không đọc được HTML: thẻ đóng </i> không khớp thẻ mở <b> — dòng 2, cột 16',
    );
    expect(lines.find((l) => l.startsWith('  vi/reminder-lead.telegram.html: '))).toMatch(
      /không thoát ký tự.*\{\{\{dutyTitle\}\}\}/,
    );
    expect(r.stderr).not.toContain('reminder-lead.zalo.txt');
  });

  it('passes the templates that ship with dondoc', async () => {
    const r = await runCli(['templates', 'check'], { LOG_LEVEL: 'silent' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Mọi mẫu đều hợp lệ: /);
  });
});
