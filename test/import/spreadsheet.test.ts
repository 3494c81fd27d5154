import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeText } from '#root/import/decode.js';
import { ImportError } from '#root/import/errors.js';
import { parseCsv, parsePlanFile, parseXlsx } from '#root/import/spreadsheet.js';
import { NO_DUTY_TABLE } from '#root/import/draft.js';

const options = { defaultDue: '11-15' };
const VI = 'Sở Thông tin và Truyền thông — Thường xuyên, trước ngày 15 tháng 11';
const TABLE = [
  'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
  '4.2 | Tổ chức diễn tập | Sở Thông tin và Truyền thông | Các sở, ban, ngành | Hàng năm |',
].join('\r\n');

/** Windows-1258 writes Vietnamese tone marks as combining characters after the (possibly hatted) letter. */
const TONES = /[\u0300\u0301\u0303\u0309\u0323]/gu;
const cp1258 = (text: string) =>
  iconv.encode(
    text
      .normalize('NFD')
      .replace(
        /(\P{M})(\p{M}*)/gu,
        (_, base: string, marks: string) =>
          (base + marks.replace(TONES, '')).normalize('NFC') + (marks.match(TONES) ?? []).join(''),
      ),
    'windows1258',
  );

describe('decodeText', () => {
  it('reads UTF-8 with and without a BOM, NFC-normalized, with \\n line ends', () => {
    expect(decodeText(Buffer.from(`\uFEFF${VI}\r\nx`, 'utf8'))).toBe(`${VI}\nx`);
    expect(decodeText(Buffer.from(VI.normalize('NFD'), 'utf8'))).toBe(VI);
  });

  it('reads UTF-16 LE and BE, with a BOM or (LE) without one', () => {
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VI, 'utf16le')]))).toBe(VI);
    expect(decodeText(Buffer.from(`${VI}\r\n`, 'utf16le'))).toBe(`${VI}\n`);
    const be = Buffer.from(VI, 'utf16le').swap16();
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe(VI);
  });

  it('falls back to Windows-1258 for bytes that are not UTF-8', () => {
    const bytes = cp1258(VI);
    expect(iconv.decode(bytes, 'windows1258')).not.toContain('?');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    expect(decodeText(bytes)).toBe(VI);
  });

  it('refuses binary data and zip or PDF bytes passed as text', () => {
    expect(() =>
      decodeText(Buffer.from([0x41, 0x00, 0x00, 0x00, 0x13, 0x42, 0x00, 0x07, 0xff, 0x00, 0x00, 0x00, 0x01])),
    ).toThrow(/Tệp không phải văn bản .* \/ The file is not text/);
    expect(() => decodeText(Buffer.from('PK\u0003\u0004rest', 'latin1'))).toThrow(ImportError);
    expect(() => decodeText(Buffer.from('%PDF-1.7\n…'))).toThrow(/The file is not text/);
  });
});

describe('parseCsv', () => {
  it('detects the delimiter and keeps quoted multi-line cells', () => {
    expect(parseCsv('a;b;c\n1;"x; y\nz";3')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x; y\nz', '3'],
    ]);
    expect(parseCsv('a,b,c\r\n1,"Các sở, ban, ngành",3')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'Các sở, ban, ngành', '3'],
    ]);
    expect(parseCsv('a\tb\n1\t2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(
      parseCsv('STT;Nhiệm vụ;Chủ trì\n1;Rà soát, cập nhật, đánh giá;Sở Y tế, Sở Tư pháp\n2;Tập huấn;Sở Nội vụ')[1],
    ).toEqual(['1', 'Rà soát, cập nhật, đánh giá', 'Sở Y tế, Sở Tư pháp']);
  });

  it('tolerates stray quotes and short rows', () => {
    expect(parseCsv('a,b,c\n1,Quyết định "số 5",3\n4,5')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'Quyết định "số 5"', '3'],
      ['4', '5'],
    ]);
  });
});

describe('parsePlanFile', () => {
  it('reads a CSV with loose headers, a semicolon delimiter and quoted multi-line cells', async () => {
    const csv = [
      'STT;Noi dung nhiem vu;Đơn vị chủ trì;Don vi phoi hop;Thoi gian thuc hien',
      '1;Tuyên truyền;;;',
      '1.1;"Tập huấn về an toàn thông tin, an ninh mạng";Sở Thông tin và Truyền thông;"- Các sở, ban, ngành',
      '- Ủy ban nhân dân quận, huyện, thành phố Thủ Đức";2023-2025',
      '1.2;Diễn tập;Công an Thành phố;;Hàng năm',
    ].join('\r\n');
    const d = await parsePlanFile('phu-luc.csv', Buffer.from(csv, 'utf8'), options);
    expect(d.format).toBe('csv');
    expect(
      d.duties.map((x) => [x.code, x.section, x.sectionTitle, x.leads, x.cooperating, x.timeframe, x.where]),
    ).toEqual([
      [
        '1.1',
        '1',
        'Tuyên truyền',
        ['Sở Thông tin và Truyền thông'],
        ['Các sở, ban, ngành', 'Ủy ban nhân dân quận, huyện, thành phố Thủ Đức'],
        '2023-2025',
        'hàng 3',
      ],
      ['1.2', '1', 'Tuyên truyền', ['Công an Thành phố'], [], 'Hàng năm', 'hàng 4'],
    ]);
    expect(d.flags).toEqual([]);
  });

  it('reads an XLSX: a merged section row, a lead merged down two duties, a number merged down two rows', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Ghi chú').addRow(['Không có bảng ở đây']);
    const ws = wb.addWorksheet('Phụ lục');
    ws.addRow(['PHỤ LỤC PHÂN CÔNG NHIỆM VỤ']);
    ws.addRow(['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện']);
    ws.addRow(['4', 'Bảo vệ hạ tầng số']);
    ws.mergeCells('B3:E3');
    ws.addRow([
      4.1,
      {
        richText: [{ text: 'Kiểm tra ' }, { font: { bold: true }, text: 'liên ngành' }],
      },
      'Sở Thông tin và Truyền thông',
      'Công an Thành phố',
      'Hàng năm',
    ]);
    ws.addRow([
      4.2,
      'Diễn tập',
      null,
      '- Các sở, ban, ngành\n- Bộ Tư lệnh Thành phố',
      { formula: '"Thường xuyên"', result: 'Thường xuyên' },
    ]);
    ws.mergeCells('C4:C5');
    ws.addRow([
      '4.3',
      'Rà quét mã độc',
      'Sở Thông tin và Truyền thông',
      'Các sở, ban, ngành',
      new Date(Date.UTC(2024, 2, 31)),
    ]);
    ws.addRow([null, null, 'Công an Thành phố', null, null]);
    ws.mergeCells('A6:A7');
    ws.mergeCells('B6:B7');
    const buf = Buffer.from(await wb.xlsx.writeBuffer());

    const sheets = await parseXlsx(buf);
    expect(sheets.map((s) => s.sheet)).toEqual(['Ghi chú', 'Phụ lục']);
    expect(sheets[1]!.rows[2]).toEqual(['4', 'Bảo vệ hạ tầng số']);
    expect(sheets[1]!.rows[4]!.slice(0, 3)).toEqual(['4.2', 'Diễn tập', 'Sở Thông tin và Truyền thông']);

    const d = await parsePlanFile('ke-hoach.xlsx', buf, options);
    expect(d.format).toBe('xlsx');
    expect(d.duties.map((x) => [x.code, x.section, x.title, x.leads, x.cooperating, x.timeframe, x.where])).toEqual([
      [
        '4.1',
        '4',
        'Kiểm tra liên ngành',
        ['Sở Thông tin và Truyền thông'],
        ['Công an Thành phố'],
        'Hàng năm',
        'Phụ lục!A4',
      ],
      [
        '4.2',
        '4',
        'Diễn tập',
        ['Sở Thông tin và Truyền thông'],
        ['Các sở, ban, ngành', 'Bộ Tư lệnh Thành phố'],
        'Thường xuyên',
        'Phụ lục!A5',
      ],
      [
        '4.3',
        '4',
        'Rà quét mã độc',
        ['Sở Thông tin và Truyền thông', 'Công an Thành phố'],
        ['Các sở, ban, ngành'],
        '31/03/2024',
        'Phụ lục!A6',
      ],
    ]);
    expect(d.duties[2]!.schedule).toEqual({ kind: 'once', due: '2024-03-31' });
  });

  it('reads Windows-1258 and UTF-16LE text files', async () => {
    for (const buf of [cp1258(TABLE), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TABLE, 'utf16le')])]) {
      const d = await parsePlanFile('bang.txt', buf, options);
      expect(d.format).toBe('table-text');
      expect(d.duties).toMatchObject([
        {
          code: '4.2',
          leads: ['Sở Thông tin và Truyền thông'],
          cooperating: ['Các sở, ban, ngành'],
          timeframe: 'Hàng năm',
        },
      ]);
    }
  });

  it('reads the sample plan with its 27 duties and 2 reports', async () => {
    const d = await parsePlanFile(
      'kh-3131-hcm.txt',
      readFileSync(new URL('../../prisma/sample/kh-3131-hcm.txt', import.meta.url)),
      options,
    );
    expect(d.plan.code).toBe('3131/KH-UBND');
    expect(d.duties.filter((x) => x.origin === 'appendix')).toHaveLength(27);
    expect(d.duties.filter((x) => x.origin === 'report')).toHaveLength(2);
  });

  it('refuses empty, binary, damaged PDF and Word files; a file without a duty table gives a plan flag', async () => {
    const refuse = (name: string, buf: Buffer) => parsePlanFile(name, buf, options);
    await expect(refuse('empty.csv', Buffer.alloc(0))).rejects.toThrow(
      /^Tệp trống \(empty\.csv\)\. \/ The file is empty \(empty\.csv\)\.$/,
    );
    await expect(refuse('blank.txt', Buffer.from(' \r\n\t\n'))).rejects.toThrow(/Tệp trống/);
    await expect(refuse('blank.csv', Buffer.from('\uFEFF;;\n'))).rejects.toThrow(/Tệp trống/);
    await expect(
      refuse('data.txt', Buffer.from([0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x10, 0x20, 0x00, 0x00])),
    ).rejects.toThrow(/The file is not text/);
    // Issue 13: PDF and Word files are read (test/import/documents.test.ts); a damaged one is refused.
    await expect(refuse('plan.pdf', Buffer.from('%PDF-1.7'))).rejects.toThrow(/^Tệp PDF bị hỏng/);
    await expect(refuse('plan.txt', Buffer.from('%PDF-1.7'))).rejects.toThrow(/PDF/);
    await expect(refuse('plan.docx', Buffer.from('PK\u0003\u0004', 'latin1'))).rejects.toThrow(/Word/);
    await expect(refuse('broken.xlsx', Buffer.from('PK\u0003\u0004garbage', 'latin1'))).rejects.toThrow(ImportError);
    const notes = await refuse('notes.csv', Buffer.from('a,b\n1,2'));
    expect(notes).toMatchObject({ duties: [], flags: [NO_DUTY_TABLE] });
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('S').addRow(['STT', 'Đơn vị', 'Nội dung góp ý']);
    const comments = await refuse('y-kien.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    expect(comments).toMatchObject({ duties: [], flags: [NO_DUTY_TABLE], format: 'xlsx' });
  });
});
