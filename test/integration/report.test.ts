import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#root/db/client.js';
import { yearBounds } from '#root/domain/zoned-day.js';
import { readIndicators } from '#root/import/indicators.js';
import { readText } from '#root/import/readers/text.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { seedDemo } from '#root/services/demo.js';
import { reportIndicatorValue, storeIndicators } from '#root/services/indicators.js';
import { readDocx } from '../helpers/docx.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

/** Friday 20 November 2026, 10:00 in Hồ Chí Minh City: the units' yearly report (15/11) is past. */
const NOW = new Date('2026-11-20T03:00:00Z');
const ZONE = 'Asia/Ho_Chi_Minh';
const ARTIFACTS = new URL('../artifacts/', import.meta.url);

let t: TestDatabase;
let db: Db;
let env: Record<string, string>;
let orgId: string;
const dir = path.join(tmpdir(), `dondoc-report-${process.pid}`);

/**
 * The demo (plan 3131/KH-UBND, this year's obligations) with: two units' yearly reports confirmed
 * with notes, one with a file; one extension request; the plan's seven indicators from its text and
 * indicator 1 reported by two units.
 */
beforeAll(async () => {
  t = await createTestDatabase();
  db = t.prisma;
  env = { DATABASE_URL: t.url, DEFAULT_ORG: 'hcm', USER: 'tester' };
  mkdirSync(dir, { recursive: true });
  await seedDemo(db, { orgCode: 'hcm', timeZone: ZONE, now: NOW, actor: 'test' });
  const org = await db.organisation.findUniqueOrThrow({ where: { code: 'hcm' } });
  orgId = org.id;
  const plan = await db.plan.findFirstOrThrow({ where: { orgId } });
  await db.$transaction((tx) =>
    storeIndicators(
      tx,
      orgId,
      plan.id,
      readIndicators(
        readText(readFileSync(new URL('../../prisma/sample/kh-3131-hcm.txt', import.meta.url), 'utf8')),
      ),
    ),
  );
  // The units' yearly report (due 15/11): the report duty with the most units.
  const duties = await db.duty.findMany({
    where: { orgId, origin: 'report' },
    include: { _count: { select: { obligations: true } } },
  });
  const yearly = duties.sort((x, y) => y._count.obligations - x._count.obligations)[0]!;
  const reports = await db.obligation.findMany({
    where: { orgId, dutyId: yearly.id },
    include: { unit: true },
    orderBy: { unit: { name: 'asc' } },
  });
  const [a, b, c] = reports;
  await confirmObligation(db, {
    obligationId: a!.id,
    contactId: null,
    actor: 'cli:test',
    via: 'cli',
    note: 'Đã gửi báo cáo số 12/BC',
    now: NOW,
  });
  await confirmObligation(db, {
    obligationId: b!.id,
    contactId: null,
    actor: 'cli:test',
    via: 'cli',
    note: 'Thiếu nhân lực chuyên trách',
    now: NOW,
  });
  await db.evidence.create({
    data: { orgId, obligationId: a!.id, via: 'telegram', fileId: 'f1', fileName: 'bao-cao-2026.pdf', size: 1234 },
  });
  await db.extensionRequest.create({
    data: {
      orgId,
      obligationId: c!.id,
      requestedDue: new Date('2026-12-10T10:00:00Z'),
      reason: 'Chờ số liệu của các phòng',
    },
  });
  for (const [o, value] of [
    [a!, '45/50'],
    [b!, '30/40'],
  ] as const)
    await reportIndicatorValue(db, {
      orgId,
      unitId: o.unitId,
      contactId: null,
      actor: 'cli:test',
      via: 'cli',
      code: '1',
      year: 2026,
      value,
      note: null,
      now: NOW,
    });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

async function report(args: string[]) {
  const out = path.join(dir, `${args.join('-').replace(/[^a-z0-9-]/gi, '')}.docx`);
  const r = await runCliInProcess(['report', ...args, '--out', out], env, { now: NOW });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { file: readFileSync(out), out, stdout: r.stdout };
}

/** The year's counts straight from the database, as a check independent of the report's SQL. */
async function counts(year: number) {
  const { start, end } = yearBounds(year, ZONE);
  const all = await db.obligation.findMany({ where: { orgId, current: true, dueAt: { gte: start, lt: end } } });
  const due = (o: (typeof all)[number]) => o.extendedTo ?? o.dueAt;
  return {
    total: all.length,
    done: all.filter((o) => o.status === 'done').length,
    open: all.filter((o) => o.status === 'open' && due(o) >= NOW).length,
    overdue: all.filter((o) => o.status === 'open' && due(o) < NOW).length,
  };
}

describe('the consolidated yearly report (dondoc report)', () => {
  let doc: ReturnType<typeof readDocx>;
  let file: Buffer;
  beforeAll(async () => {
    ({ file } = await report(['--year', '2026', '--org', 'hcm']));
    doc = readDocx(file);
  });

  it('is an A4 Word document in Times New Roman 14 pt, with a landscape appendix', async () => {
    const { unzip } = await import('../helpers/docx.js');
    const styles = unzip(file).get('word/styles.xml')!.toString('utf8');
    expect(styles).toContain('w:ascii="Times New Roman"');
    expect(styles).toContain('<w:sz w:val="28"/>');
    expect(doc.xml).toContain('<w:pgSz w:w="11906" w:h="16838"/>');
    expect(doc.xml).toContain('<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>');
    expect(doc.xml).not.toMatch(/<w:drawing|<pic:/);
  });

  it('has the two-column heading, the title, the numbered sections, "Nơi nhận" and the signature', () => {
    const [heading] = doc.tables;
    expect(heading![0]![0]).toBe(
      'ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH\nSỞ THÔNG TIN VÀ TRUYỀN THÔNG THÀNH PHỐ HỒ CHÍ MINH\n—————\nSố:        /BC-……',
    );
    expect(heading![0]![1]).toBe(
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n———————————\nThành phố Hồ Chí Minh, ngày 20 tháng 11 năm 2026',
    );
    const ps = doc.paragraphs;
    const at = (text: string) => {
      const i = ps.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at('BÁO CÁO'),
      at('Kết quả thực hiện Kế hoạch số 3131/KH-UBND năm 2026'),
      at('I. KẾT QUẢ THỰC HIỆN'),
      at('1. Kết quả chung'),
      at('2. Kết quả thực hiện từng nhiệm vụ'),
      at('3. Kết quả thực hiện các chỉ tiêu năm 2026'),
      at('II. KHÓ KHĂN, VƯỚNG MẮC'),
      at('III. KIẾN NGHỊ, ĐỀ XUẤT'),
      at('PHỤ LỤC'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const signature = doc.tables.find((tb) => tb[0]![0]!.startsWith('Nơi nhận:'));
    expect(signature![0]![1]).toContain('GIÁM ĐỐC');
  });

  it('gives the year’s counts as the database has them, and last year’s', async () => {
    const c = await counts(2026);
    const totals = doc.tables.find((tb) => tb[0]![0] === 'Nội dung')!;
    const row = (label: string) => totals.find((r) => r[0] === label)!;
    expect(totals[0]).toEqual(['Nội dung', 'Năm 2026', 'Năm 2025']);
    expect(row('Tổng số lượt nhiệm vụ phải thực hiện').slice(1)).toEqual([String(c.total), '0']);
    expect(row('Đã hoàn thành')[1]).toBe(String(c.done));
    expect(row('Đang thực hiện (chưa đến hạn)')[1]).toBe(String(c.open));
    expect(row('Quá hạn, chưa hoàn thành')[1]).toBe(String(c.overdue));
    expect(c.done).toBe(2);
    expect(doc.paragraphs).toContain('Năm 2025 chưa có số liệu trên hệ thống để so sánh.');
  });

  it('names, per duty, the units that completed it and those that did not, their notes and files', async () => {
    const confirmed = await db.obligation.findFirstOrThrow({ where: { orgId, status: 'done' } });
    const reports = await db.obligation.findMany({
      where: { orgId, dutyId: confirmed.dutyId },
      include: { unit: true, duty: true },
    });
    const done = reports.filter((o) => o.status === 'done').map((o) => o.unit.name);
    const code = reports[0]!.duty.code;
    const i = doc.paragraphs.findIndex((x) => x.startsWith('2.') && x.includes(`Nhiệm vụ ${code}: `));
    expect(i).toBeGreaterThan(0);
    const section = doc.paragraphs.slice(i, i + 8).join('\n');
    expect(section).toContain(`Tình hình: Đang thực hiện: 2/${reports.length} đơn vị đã hoàn thành`);
    expect(section).toContain(`Đơn vị đã hoàn thành (2): ${done.sort(new Intl.Collator('vi').compare).join('; ')}.`);
    expect(section).toContain(`Đơn vị chưa hoàn thành (${reports.length - 2}): `);
    expect(section).toContain('“Đã gửi báo cáo số 12/BC”');
    expect(section).toContain('“Thiếu nhân lực chuyên trách”');
    expect(section).toContain('Tài liệu kèm theo: bao-cao-2026.pdf');
  });

  it('has the indicator table: seven indicators, target, value Σ/Σ, met or not, units not reporting', () => {
    const table = doc.tables.find((tb) => tb[0]![0] === 'TT' && tb[0]![1] === 'Chỉ tiêu')!;
    expect(table).toHaveLength(8);
    expect(table[0]).toEqual(['TT', 'Chỉ tiêu', 'Mục tiêu năm 2026', 'Kết quả', 'Đánh giá', 'Đơn vị chưa báo cáo']);
    const first = table[1]!;
    expect(first[1]).toMatch(/^Tỷ lệ hệ thống thông tin cấp độ 3, 4, 5/);
    // No target for 2026 in the plan: the 2025 target stands, and says so.
    expect(first[2]).toBe('100%\n(mục tiêu năm 2025)');
    // (45 + 30) / (50 + 40) = 83.3 %.
    expect(first[3]).toMatch(/^83,3%\n\(2\/\d+ đơn vị báo cáo\)$/);
    expect(first[4]).toBe('Không đạt');
    // 2 of the units bound by the yearly report reported indicator 1; the others are named under the table.
    const due = Number(/^83,3%\n\(2\/(\d+)/.exec(first[3]!)![1]);
    expect(first[5]).toBe(`${due - 2}/${due} đơn vị (danh sách dưới bảng)`);
    const named = doc.paragraphs.find((x) => x.startsWith(`Đơn vị chưa báo cáo chỉ tiêu 1 (${due - 2}): `))!;
    expect(named.split('; ')).toHaveLength(due - 2);
    expect(table[2]![3]).toBe('Chưa có số liệu');
    expect(table[2]![4]).toBe('—');
  });

  it('groups difficulties by unit: the extension request’s reason', () => {
    const i = doc.paragraphs.indexOf('II. KHÓ KHĂN, VƯỚNG MẮC');
    const j = doc.paragraphs.indexOf('III. KIẾN NGHỊ, ĐỀ XUẤT');
    const part = doc.paragraphs.slice(i, j).join('\n');
    expect(part).toMatch(/- Xin gia hạn nhiệm vụ \S+ \(đang chờ duyệt\): Chờ số liệu của các phòng/);
  });

  it('ends with the appendix: every unit × duty as the XLSX export has it', async () => {
    const appendix = doc.tables.find(
      (tb) => tb[0]!.join('|') === 'TT|Nhiệm vụ|Đơn vị chủ trì|Trạng thái|Ngày hoàn thành|Ghi chú',
    )!;
    const { yearlyStatus } = await import('#root/services/exports.js');
    const status = await yearlyStatus(db, orgId, 2026, NOW);
    expect(appendix.length - 1).toBe(status.plans[0]!.rows.length);
    expect(appendix.filter((r) => r[3] === 'Đã hoàn thành')).toHaveLength(2);
  });

  it('writes an honest empty report for a year with no data', async () => {
    const { file: empty, stdout } = await report(['--year', '2031', '--org', 'hcm']);
    expect(stdout).toContain('Năm 2031 chưa có số liệu');
    const d = readDocx(empty);
    expect(d.paragraphs).toContain(
      'Năm 2031 chưa có nhiệm vụ nào có thời hạn được ghi nhận trên hệ thống, nên chưa có số liệu để báo cáo.',
    );
    expect(d.paragraphs).toContain('Các đơn vị không nêu khó khăn, vướng mắc trên hệ thống.');
  });

  it('drafts a unit’s own report (--unit) from its obligations', async () => {
    const done = await db.obligation.findFirstOrThrow({
      where: {
        orgId,
        duty: { origin: 'report' },
        status: 'done',
        confirmations: { some: { note: 'Đã gửi báo cáo số 12/BC' } },
      },
      include: { unit: true },
    });
    const { file: mine } = await report(['--year', '2026', '--unit', done.unit.name]);
    const d = readDocx(mine);
    expect(d.tables[0]![0]![0]).toBe(`${done.unit.name.toLocaleUpperCase('vi')}\n—————\nSố:        /BC-……`);
    expect(d.paragraphs).toContain('Kính gửi: Sở Thông tin và Truyền thông Thành phố Hồ Chí Minh.');
    expect(d.paragraphs).toContain('Ghi chú: “Đã gửi báo cáo số 12/BC”');
    const own = d.tables.find((tb) => tb[0]![3] === 'Kết quả của đơn vị')!;
    expect(own.find((r) => r[0] === '1')![3]).toBe('45/50 (90%)');
    const appendix = d.tables.at(-1)!;
    expect(new Set(appendix.slice(1).map((r) => r[2]))).toEqual(new Set([done.unit.name]));
  });

  it('refuses an unknown plan or unit with a clear message and writes nothing', async () => {
    const out = path.join(dir, 'never.docx');
    const r = await runCliInProcess(['report', '--year', '2026', '--plan', '999/KH-X', '--out', out], env, {
      now: NOW,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Không có kế hoạch «999/KH-X»');
    expect(existsSync(out)).toBe(false);
  });

  it('converts to PDF with LibreOffice and renders its first pages to PNG, where LibreOffice is installed', async (ctx) => {
    const soffice = ['/usr/bin/soffice', '/usr/local/bin/soffice'].find((f) => existsSync(f));
    if (!soffice || !existsSync('/usr/bin/pdftoppm')) return ctx.skip();
    const { out } = await report(['--year', '2026', '--org', 'hcm']);
    const artifacts = new URL('report/', ARTIFACTS).pathname;
    mkdirSync(artifacts, { recursive: true });
    const profile = path.join(dir, 'lo-profile');
    execFileSync(
      soffice,
      [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', 'pdf', '--outdir', dir, out],
      {
        stdio: 'ignore',
      },
    );
    const pdf = out.replace(/\.docx$/, '.pdf');
    expect(existsSync(pdf)).toBe(true);
    execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '3', pdf, path.join(artifacts, 'page')]);
    expect(
      readdirSync(artifacts).filter((f) => f.startsWith('page') && f.endsWith('.png')).length,
    ).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
