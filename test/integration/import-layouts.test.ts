import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DUTY_TABLE } from '#root/import/draft.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCliInProcess } from '../helpers/run-cli.js';

// `dondoc import <file> --org <code> --dry-run --json` on plans in other layouts (issue 13): the
// JSON of before, each duty's source cells and where it was read, exit 0 even with no duty table.

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/import/${name}`, import.meta.url));

interface ImportJson {
  plan: { code: string | null; title: string | null; issuer: string | null; issuedOn: string | null };
  duties: {
    code: string;
    title: string;
    leads: string[];
    cooperating: string[];
    timeframe: string;
    schedule: { kind: string };
    flags: string[];
    where: string;
    source: string[];
  }[];
  flags: string[];
  newUnits: { name: string; kind: string }[];
}

describe('dondoc import of plans in other layouts', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url };
    dir = await mkdtemp(path.join(tmpdir(), 'dondoc-layouts-'));
    const r = await runCliInProcess(['org', 'create', 'bd', '--name', 'Sở TTTT Bình Dương'], env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => t.close());

  const importJson = async (args: string[]) => {
    const r = await runCliInProcess(['import', ...args, '--org', 'bd', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as ImportJson;
  };

  it('reviews a news article: its header, its report duties, the plan flag, exit 0, nothing written', async () => {
    const out = await importJson([fixture('news-article.txt'), '--dry-run']);
    expect(out.plan).toMatchObject({
      code: '5958/KH-UBND',
      issuer: 'UBND tỉnh Bình Dương',
      issuedOn: '2023-11-16',
    });
    expect(out.flags).toEqual([NO_DUTY_TABLE]);
    expect(out.duties.map((d) => [d.code, d.leads, d.schedule.kind, d.where])).toEqual([
      ['BC-15/11', ['Các sở, ban, ngành', 'UBND các huyện, thị xã, thành phố'], 'yearly', 'dòng 5'],
      ['BC-30/11', ['Sở Thông tin và Truyền thông'], 'yearly', 'dòng 6'],
    ]);
    expect(out.duties[1]!.source).toEqual([
      'Sở Thông tin và Truyền thông tổng hợp, báo cáo UBND tỉnh trước ngày 30/11 hằng năm.',
    ]);
    expect(await t.prisma.plan.count()).toBe(0);
  });

  it('prints each duty with its source cells, and one new unit for names that differ only in spelling', async () => {
    const out = await importJson([fixture('pipe-two-level.txt'), '--dry-run']);
    const d = out.duties.find((x) => x.code === '2.a')!;
    expect(d).toMatchObject({
      title: 'Tổ chức diễn tập thực chiến',
      leads: ['Công an thành phố'],
      cooperating: ['Sở TTTT'],
      timeframe: '2024, 2025',
      schedule: { kind: 'yearly', due: '12-31', from: 2024, to: 2025 },
      flags: [expect.stringMatching(/Đơn vị chưa có trong danh mục/), expect.stringMatching(/Đơn vị chưa có/)],
      where: 'dòng 12',
      source: ['a)', 'Tổ chức diễn tập thực chiến', '2024, 2025', 'Công an thành phố', 'Sở TTTT', '500 triệu'],
    });
    // Sở TT&TT, Sở Thông tin và Truyền thông, Sở TTTT, sở thông tin và truyền thông: one unit.
    const ttt = out.newUnits.filter((u) => /^sở (tt|thông tin)/iu.test(u.name));
    expect(ttt).toEqual([{ name: 'Sở TT&TT', kind: 'unit' }]);
  });

  it('commits a plan whose only duties are the reports its text states', async () => {
    const r = await runCliInProcess(['import', fixture('news-article.txt'), '--org', 'bd'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await t.prisma.duty.count()).toBe(2);
  });

  it('shows a document with nothing to import (exit 0 when dry), and refuses to commit it', async () => {
    const file = path.join(dir, 'thong-bao.txt');
    await writeFile(file, 'Ngày 02/01/2024, UBND tỉnh ban hành Kế hoạch số 7/KH-UBND về cải cách hành chính.\n');
    const out = await importJson([file, '--dry-run']);
    expect(out).toMatchObject({
      plan: { code: '7/KH-UBND', issuedOn: '2024-01-02' },
      duties: [],
      flags: [NO_DUTY_TABLE],
    });
    const plans = await t.prisma.plan.count();
    const r = await runCliInProcess(['import', file, '--org', 'bd'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Không có nhiệm vụ nào để nhập/);
    expect(await t.prisma.plan.count()).toBe(plans);
  });

  it('reviews a table with no plan number when dry, saying a number is needed to import it', async () => {
    const file = path.join(dir, 'bang.csv');
    await writeFile(file, 'TT,Nhiệm vụ,Chủ trì,Phối hợp,Thời gian\n1,Tập huấn,Sở Nội vụ,,Hàng tuần\n');
    const out = await importJson([file, '--dry-run']);
    expect(out.plan.code).toBeNull();
    expect(out.flags.join('\n')).toMatch(/Không tìm thấy số hiệu kế hoạch/);
    expect(out.duties.map((d) => [d.code, d.source])).toEqual([['1', ['1', 'Tập huấn', 'Sở Nội vụ', '', 'Hàng tuần']]]);
    const r = await runCliInProcess(['import', file, '--org', 'bd'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--plan/);
  });
});
