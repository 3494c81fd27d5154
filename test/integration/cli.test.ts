import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePlanPath } from '#root/services/demo.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { cliTimeout, runCli, runCliInProcess } from '../helpers/run-cli.js';

// Commands run in this process (runCliInProcess: what the command's process runs), but for one per
// test that proves the real process: its start-up took up to 18 s on a loaded machine, and tests
// that started two to eight of them timed out.
describe('the dondoc command line', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'hcm' };
    const r = await runCli(['org', 'create', 'hcm', '--name', 'Sở TTTT TP.HCM'], env);
    expect(r.code).toBe(0);
  }, cliTimeout(1));
  afterAll(() => t.close());

  it(
    'reviews a plan as JSON with --dry-run and writes nothing',
    async () => {
      const r = await runCli(['import', samplePlanPath(), '--dry-run', '--json'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        plan: { code: string; issuedOn: string };
        duties: { code: string; leads: string[]; schedule: { kind: string } }[];
      };
      expect(out.plan).toMatchObject({ code: '3131/KH-UBND', issuedOn: '2023-07-07' });
      expect(out.duties.find((d) => d.code === '4.2')).toMatchObject({
        leads: ['Sở Thông tin và Truyền thông'],
        schedule: { kind: 'yearly' },
      });
      expect(await t.prisma.plan.count()).toBe(0);
    },
    cliTimeout(1),
  );

  it('imports, then lists the obligations of a year as JSON', async () => {
    const imported = await runCliInProcess(['import', samplePlanPath()], env);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Đã lưu: 29 mới/);
    const r = await runCliInProcess(['obligations', '--year', '2026', '--json'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { obligations: { duty: string; unit: string; dueAt: string }[] };
    const report = out.obligations.filter((o) => o.dueAt === '2026-11-30T16:59:59.000Z');
    expect(report.map((o) => o.unit)).toContain('Sở Thông tin và Truyền thông');
  });

  it('fixes a flagged timeframe, and refuses one it still cannot understand', async () => {
    const bad = await runCliInProcess(['duties', 'fix', '4.2', '--timeframe', 'khi nào rảnh'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Vẫn chưa hiểu thời hạn/);
    const ok = await runCliInProcess(['duties', 'fix', '4.2', '--timeframe', 'Trước ngày 31/7/2026'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/một lần, hạn 31\/07\/2026/);
  });

  it('answers bad input with a clear message and exit status 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dondoc-'));
    const empty = path.join(dir, 'empty.csv');
    await writeFile(empty, '');
    const templates = path.join(dir, 'templates');
    await mkdir(path.join(templates, 'vi'), { recursive: true });
    await writeFile(
      path.join(templates, 'vi', 'reminder-due.sandbox.txt'),
      'Xin chào {{contactName}}, mật khẩu {{password}}',
    );
    const cases = [
      { args: ['import', '/nonexistent/plan.csv'], message: /Không đọc được tệp/ },
      // One language per run: Vietnamese by default, English when asked.
      { args: ['import', empty], message: /^Lỗi: Tệp trống/ },
      { args: ['import', empty, '--lang', 'en'], message: /^Error: The file is empty/ },
      {
        args: ['templates', 'check', templates, '--lang', 'en'],
        message: /reminder-due\.sandbox\.txt: .*placeholders that do not exist: \{\{password\}\}/,
      },
      { args: ['obligations', '--org', 'nowhere'], message: /Không có tổ chức «nowhere»/ },
      { args: ['obligations', '--year', '20x6'], message: /Năm «20x6» không hợp lệ/ },
      { args: ['holidays', 'add', '2026-02-31', 'Nghỉ'], message: /Ngày «2026-02-31» không hợp lệ/ },
      { args: ['contacts', 'add', '--unit', 'Không tồn tại', '--name', 'A'], message: /Không tìm thấy đơn vị/ },
    ];
    for (const c of cases) {
      const r = await runCliInProcess(c.args, env);
      expect(r.code, c.args.join(' ')).toBe(1);
      expect(r.stderr, c.args.join(' ')).toMatch(c.message);
    }
    const missing = await runCliInProcess(['units', 'list'], {
      ...env,
      DATABASE_URL: t.url.replace(/\/([^/?]+)(\?|$)/, '/$1_missing$2'),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cơ sở dữ liệu chưa được tạo hoặc chưa cập nhật; chạy `npm run db:migrate`/);
  });

  it(
    'refuses a bad configuration naming the variable',
    async () => {
      const r = await runCli(['org', 'list'], { ...env, DB_POOL_MAX: 'lots' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/DB_POOL_MAX: phải là một số/);
    },
    cliTimeout(1),
  );

  it('manages units, groups, contacts, invites and holidays, auditing each change', async () => {
    const steps = [
      ['units', 'add', 'Sở Y tế', '--alias', 'SYT'],
      ['groups', 'add-members', 'Các sở, ban, ngành', 'SYT'],
      [
        'contacts',
        'add',
        '--unit',
        'Sở Y tế',
        '--name',
        'Nguyễn Văn A',
        '--email',
        'a@example.gov.vn',
        '--channels',
        'email,sandbox',
      ],
      ['invite', 'Nguyễn Văn A'],
      ['holidays', 'add', '2026-02-14', 'Nghỉ Tết (Thông báo của Chính phủ)'],
      ['holidays', 'add', '2026-01-31', 'Làm bù', '--workday'],
    ];
    for (const s of steps) {
      const r = await runCliInProcess(s, env);
      expect(r.stderr, s.join(' ')).toBe('');
      expect(r.code, s.join(' ')).toBe(0);
    }
    const list = await runCliInProcess(['holidays', 'list', '--year', '2026'], env);
    expect(list.stdout).toMatch(/14\/02\/2026\s+nghỉ\s+Nghỉ Tết/);
    expect(list.stdout).toMatch(/31\/01\/2026\s+làm bù/);
    const invite = await t.prisma.invite.findFirstOrThrow();
    expect(invite.code).not.toMatch(/^[A-Za-z0-9_-]{22}$/); // only the hash is stored
    const actions = (await t.prisma.auditEvent.findMany()).map((a) => a.action);
    for (const a of ['unit.create', 'group.add-members', 'contact.create', 'invite.create', 'holiday.set'])
      expect(actions).toContain(a);
  });
});
