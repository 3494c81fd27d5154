import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmObligation, extendObligation, waiveObligation } from '#root/services/confirmations.js';
import { CSV_COLUMNS, csvField, sheetNames, STATUS_COLUMNS } from '#root/services/exports.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const PLAN = '3131/KH-UBND';
const SECOND_PLAN = '15/KH-STTTT';
const TRICKY_TITLE = 'Nhiệm vụ "đặc biệt", có dấu phẩy\nvà xuống dòng';
const FORMULA_TITLE = '=HYPERLINK("http://evil.example","bấm vào đây")';
const NOTE = 'Đã tổ chức kiểm tra, xem Công văn 12/STTTT';

async function fetchBinary(w: WebTest, path: string) {
  const res = await fetch(new URL(path, w.base), {
    headers: { cookie: [...w.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const cellText = (v: ExcelJS.CellValue): string =>
  v === null || v === undefined
    ? ''
    : v instanceof Date
      ? v.toISOString().slice(0, 10)
      : typeof v === 'object' && 'richText' in v
        ? v.richText.map((r) => r.text).join('')
        : String(v);

describe('the yearly consolidated status (XLSX and CSV)', () => {
  let w: WebTest;
  /** The one lead unit of a yearly duty, and its obligation of 2026. */
  const yearly: Record<string, { id: string; unit: string; unitId: string }> = {};
  let quarterly: { unit: string; ids: string[] };

  beforeAll(async () => {
    w = await startWebTest();
    const db = w.t.prisma;
    for (const code of ['4.1', '4.2', '4.3', '4.4']) {
      const o = await db.obligation.findFirstOrThrow({
        where: { orgId: w.orgId, duty: { code, plan: { code: PLAN } }, periodKey: '2026' },
        include: { unit: true },
      });
      yearly[code] = { id: o.id, unit: o.unit.name, unitId: o.unitId };
    }
    // 4.1 confirmed by the unit's contact on 10/11 with a note; 4.2 left overdue (due 15/11);
    // 4.3 waived; 4.4 extended to 20/12.
    const contact = await db.contact.findFirstOrThrow({ where: { unitId: yearly['4.1']!.unitId, role: 'contact' } });
    await confirmObligation(db, {
      obligationId: yearly['4.1']!.id,
      contactId: contact.id,
      actor: `contact:${contact.id}`,
      via: 'chat',
      note: NOTE,
      now: new Date('2026-11-10T03:00:00Z'),
    });
    await waiveObligation(db, {
      obligationId: yearly['4.3']!.id,
      actor: `web:${w.admin.email}`,
      reason: 'Đơn vị đã sáp nhập',
      now: new Date('2026-11-12T03:00:00Z'),
    });
    await extendObligation(db, {
      obligationId: yearly['4.4']!.id,
      to: new Date('2026-12-20T16:59:59Z'),
      actor: `web:${w.admin.email}`,
      reason: 'Chờ kinh phí',
    });
    // 1.2 (quarterly, one unit): Q1–Q3 confirmed, Q4 due 31/12 still open.
    const q = await db.obligation.findMany({
      where: { orgId: w.orgId, duty: { code: '1.2', plan: { code: PLAN } } },
      include: { unit: true },
      orderBy: { dueAt: 'asc' },
    });
    quarterly = { unit: q[0]!.unit.name, ids: q.map((o) => o.id) };
    for (const o of q.slice(0, 3))
      await confirmObligation(db, {
        obligationId: o.id,
        contactId: null,
        actor: `web:${w.admin.email}`,
        via: 'web',
        now: new Date(o.dueAt.getTime() - 86_400_000),
      });
    // Titles that a CSV or a spreadsheet could misread.
    await db.duty.updateMany({ where: { orgId: w.orgId, code: '5.1' }, data: { title: TRICKY_TITLE } });
    await db.duty.updateMany({ where: { orgId: w.orgId, code: '6.6' }, data: { title: FORMULA_TITLE } });
    // A second plan, with a duty that has a lead but no deadline this year.
    const plan = await db.plan.create({
      data: { orgId: w.orgId, code: SECOND_PLAN, title: 'Kế hoạch chuyển đổi số của Sở' },
    });
    const duty = await db.duty.create({
      data: { orgId: w.orgId, planId: plan.id, code: '1', title: 'Rà soát hệ thống thông tin', timeframe: '2027' },
    });
    await db.assignment.create({
      data: {
        orgId: w.orgId,
        dutyId: duty.id,
        role: 'lead',
        unitId: yearly['4.1']!.unitId,
        target: `u:${yearly['4.1']!.unitId}`,
        rawName: yearly['4.1']!.unit,
      },
    });
  }, 90_000);
  afterAll(async () => w?.stop());

  it('offers both files per year on its page', async () => {
    const page = await w.client.get('/admin/exports');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Xuất báo cáo tình hình thực hiện');
    expect(page.text).toContain('href="/admin/exports/status.xlsx?year=2026"');
    expect(page.text).toContain('href="/admin/exports/status.csv?year=2026"');
    const en = w.newClient();
    await en.login(w.admin.email, w.admin.password);
    await en.get('/lang/en?back=/admin/exports');
    expect((await en.get('/admin/exports')).text).toContain('Export the implementation status');
  });

  it('downloads an XLSX with one sheet per plan, the plan’s columns, a frozen header and the states in Vietnamese', async () => {
    const auditBefore = await w.t.prisma.auditEvent.count();
    const res = await fetchBinary(w, '/admin/exports/status.xlsx?year=2026');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="tinh-hinh-hcm-2026.xlsx"');
    // A read: no audit row.
    expect(await w.t.prisma.auditEvent.count()).toBe(auditBefore);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((s) => s.name)).toEqual(['15-KH-STTTT', '3131-KH-UBND']);
    const ws = wb.getWorksheet('3131-KH-UBND')!;
    const view = ws.views[0] as ExcelJS.WorksheetViewFrozen;
    expect(view.state).toBe('frozen');
    const headerRow = view.ySplit!;
    expect((ws.getRow(headerRow).values as ExcelJS.CellValue[]).slice(1)).toEqual([...STATUS_COLUMNS]);
    expect(ws.getRow(headerRow).getCell(1).font?.bold).toBe(true);
    expect(cellText(ws.getCell('A1').value)).toContain('tình hình đến ngày 16/11/2026');
    for (let c = 1; c <= 6; c++) expect(ws.getColumn(c).width).toBeGreaterThan(5);
    expect(ws.getColumn(2).width).toBeGreaterThanOrEqual(40);

    const rows = new Map<string, ExcelJS.Row>();
    ws.eachRow((row, n) => {
      if (n > headerRow) rows.set(`${cellText(row.getCell(1).value)}|${cellText(row.getCell(3).value)}`, row);
    });
    const demoDuties = await w.t.prisma.duty.count({ where: { orgId: w.orgId, plan: { code: PLAN }, active: true } });
    expect(new Set([...rows.keys()].map((k) => k.split('|')[0])).size).toBe(demoDuties);

    const done = rows.get(`4.1|${yearly['4.1']!.unit}`)!;
    expect(cellText(done.getCell(4).value)).toBe('Đã hoàn thành');
    const date = done.getCell(5);
    expect(date.value).toEqual(new Date('2026-11-10T00:00:00Z'));
    expect(date.numFmt).toBe('dd/mm/yyyy');
    expect(cellText(done.getCell(6).value)).toContain(NOTE);
    expect(cellText(done.getCell(6).value)).toContain('Đầu mối');
    expect(done.getCell(2).alignment?.wrapText).toBe(true);

    expect(cellText(rows.get(`4.2|${yearly['4.2']!.unit}`)!.getCell(4).value)).toBe('Quá hạn');
    expect(rows.get(`4.2|${yearly['4.2']!.unit}`)!.getCell(5).value ?? null).toBeNull();
    const waived = rows.get(`4.3|${yearly['4.3']!.unit}`)!;
    expect(cellText(waived.getCell(4).value)).toBe('Miễn');
    expect(cellText(waived.getCell(6).value)).toContain('Đơn vị đã sáp nhập');
    expect(cellText(waived.getCell(6).value)).toContain('Chị Quản Trị');
    expect(cellText(rows.get(`4.4|${yearly['4.4']!.unit}`)!.getCell(4).value)).toBe('Gia hạn đến 20/12/2026');
    const q = rows.get(`1.2|${quarterly.unit}`)!;
    expect(cellText(q.getCell(4).value)).toBe('Đang thực hiện');
    expect(cellText(q.getCell(6).value)).toMatch(/^3\/4 kỳ đã hoàn thành; Quý 4: hạn 31\/12\/2026/);
    // An untouched quarterly duty at 16/11: Q1–Q3 passed unconfirmed.
    const untouched = [...rows.entries()].find(([k]) => k.startsWith('2.1|'))![1];
    expect(cellText(untouched.getCell(4).value)).toBe('Quá hạn');
    expect(cellText(untouched.getCell(6).value)).toContain(
      '0/4 kỳ đã hoàn thành, 3 kỳ quá hạn (Quý 1, Quý 2, Quý 3); Quý 4: hạn 31/12/2026',
    );
    // A formula-looking title is a string, not a formula.
    const formula = [...rows.entries()].find(([k]) => k.startsWith('6.6|'))![1];
    expect(formula.getCell(2).type).toBe(ExcelJS.ValueType.String);
    expect(formula.getCell(2).value).toBe(FORMULA_TITLE);

    const second = wb.getWorksheet('15-KH-STTTT')!;
    const secondHeader = (second.views[0] as ExcelJS.WorksheetViewFrozen).ySplit!;
    const only = second.getRow(secondHeader + 1);
    expect(cellText(only.getCell(3).value)).toBe(yearly['4.1']!.unit);
    expect(cellText(only.getCell(6).value)).toContain('Không có kỳ hạn nào trong năm 2026');
  });

  it('downloads the same rows as CSV: UTF-8 with a BOM, CRLF, quoted where needed, formulas defused', async () => {
    const res = await fetchBinary(w, '/admin/exports/status.csv?year=2026');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="tinh-hinh-hcm-2026.csv"');
    expect([...res.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = res.body.toString('utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(
      text
        .replace(/"[^"]*"/g, '')
        .split('\n')
        .every((l) => l === '' || l.endsWith('\r')),
    ).toBe(true);
    const records = parse(text, { bom: true, relax_column_count: false }) as string[][];
    expect(records[0]).toEqual([...CSV_COLUMNS]);

    // The same rows as the workbook, plan by plan.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(
      (await fetchBinary(w, '/admin/exports/status.xlsx?year=2026')).body as unknown as ExcelJS.Buffer,
    );
    const fromXlsx: string[][] = [];
    for (const [ws, code] of [
      [wb.getWorksheet('15-KH-STTTT')!, SECOND_PLAN],
      [wb.getWorksheet('3131-KH-UBND')!, PLAN],
    ] as const) {
      const header = (ws.views[0] as ExcelJS.WorksheetViewFrozen).ySplit!;
      ws.eachRow((row, n) => {
        if (n <= header) return;
        const cells = [1, 2, 3, 4, 5, 6].map((c) => {
          const v = row.getCell(c).value;
          return v instanceof Date ? v.toISOString().slice(0, 10).split('-').reverse().join('/') : cellText(v);
        });
        fromXlsx.push([code, ...cells]);
      });
    }
    const undefuse = (s: string) => (s.startsWith("'") && /^[=+\-@]/.test(s.slice(1)) ? s.slice(1) : s);
    expect(records.slice(1).map((r) => r.map(undefuse))).toEqual(fromXlsx);

    const tricky = records.find((r) => r[1] === '5.1')!;
    expect(tricky[2]).toBe(TRICKY_TITLE);
    expect(text).toContain('"Nhiệm vụ ""đặc biệt"", có dấu phẩy\nvà xuống dòng"');
    const formula = records.find((r) => r[1] === '6.6')!;
    expect(formula[2]).toBe(`'${FORMULA_TITLE}`);
    const done = records.find((r) => r[1] === '4.1' && r[3] === yearly['4.1']!.unit)!;
    expect(done.slice(4, 6)).toEqual(['Đã hoàn thành', '10/11/2026']);
  });

  it('refuses a bad year with a clear message, changing nothing', async () => {
    const before = await w.t.prisma.auditEvent.count();
    for (const year of ['abc', '1999', '20261', '', '2026;DROP']) {
      const res = await w.client.get(`/admin/exports/status.xlsx?year=${encodeURIComponent(year)}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.text).toContain('Năm không hợp lệ');
    }
    expect((await w.client.get('/admin/exports/status.csv')).status).toBe(400);
    expect(await w.t.prisma.auditEvent.count()).toBe(before);
  });

  it('requires the administrator’s login', async () => {
    const res = await w.newClient().get('/admin/exports/status.csv?year=2026');
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/login\?next=/);
  });

  describe('cell and sheet rules', () => {
    it('quotes per RFC 4180 and prefixes what a spreadsheet would run as a formula', () => {
      expect(csvField('Sở TT&TT')).toBe('Sở TT&TT');
      expect(csvField('a,b')).toBe('"a,b"');
      expect(csvField('nói "có"')).toBe('"nói ""có"""');
      expect(csvField('hai\r\ndòng')).toBe('"hai\r\ndòng"');
      expect(csvField('=1+1')).toBe("'=1+1");
      expect(csvField('+84 90')).toBe("'+84 90");
      expect(csvField('-2')).toBe("'-2");
      expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
      expect(csvField('=A1,"x"')).toBe(`"'=A1,""x"""`);
      expect(csvField('15/11/2026')).toBe('15/11/2026');
    });

    it('makes valid, unique sheet names of at most 31 characters', () => {
      const names = sheetNames([
        '3131/KH-UBND',
        '3131\\KH-UBND',
        'a[b]:c*d?e',
        "'quoted'",
        'x'.repeat(40),
        'x'.repeat(40),
        'History',
        '',
      ]);
      expect(names).toEqual([
        '3131-KH-UBND',
        '3131-KH-UBND (2)',
        'a-b--c-d-e',
        'quoted',
        'x'.repeat(31),
        `${'x'.repeat(27)} (2)`,
        'History (2)',
        'Kế hoạch',
      ]);
      for (const n of names) {
        expect(n.length).toBeLessThanOrEqual(31);
        expect(n).not.toMatch(/[[\]:*?/\\]/);
      }
    });
  });
});
