import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { MAX_CELLS, MAX_ROWS } from '#root/import/limits.js';
import { parsePlanOffThread } from '#root/import/off-thread.js';
import { parsePlanFile } from '#root/import/spreadsheet.js';
import { buildZip, sheetXml, workbookFiles } from '../helpers/zip.js';

const options = { defaultDue: '11-15' };
const read = (data: Buffer, name = 'ke-hoach.xlsx', limits = {}) =>
  parsePlanOffThread({ data, name }, options, { limits });

/** The message a reading is refused with, and how long it took. */
async function refusal(p: Promise<unknown>): Promise<{ message: string; ms: number }> {
  const started = performance.now();
  try {
    await p;
  } catch (e) {
    return { message: (e as Error).message, ms: performance.now() - started };
  }
  throw new Error('the file was read, not refused');
}

/** 64 MB of a worksheet's whitespace, deflated once: about 64 KB, a ratio of 1,000 to 1. */
const BOMB_SIZE = 64 * 1024 * 1024;
const bombData = Buffer.alloc(BOMB_SIZE, 0x20);
const bombCompressed = deflateRawSync(bombData);

describe('reading an uploaded plan within bounds', () => {
  it('refuses a zip bomb disguised as .xlsx from its directory alone, before any reader starts', async () => {
    expect(bombCompressed.length).toBeLessThan(100 * 1024);
    const bomb = buildZip(workbookFiles(bombData, { compressed: bombCompressed }));
    const r = await refusal(read(bomb));
    expect(r.message).toMatch(/^Tệp Excel giải nén ra quá lớn \(hơn 50 MB\)/);
    expect(r.message).toContain('Chưa có gì được lưu');
    // From the directory alone (no worker started, nothing inflated): a generous bound on a loaded machine.
    expect(r.ms).toBeLessThan(1000);
  });

  it('refuses a zip bomb whose directory lies about its size, by the bytes actually inflated', async () => {
    const bomb = buildZip(
      workbookFiles(bombData, {
        compressed: bombCompressed,
        declaredSize: 4096,
      }),
    );
    const r = await refusal(read(bomb));
    expect(r.message).toMatch(/^Tệp Excel giải nén ra quá lớn/);
  });

  it(`refuses a table of 50,000 rows (an XLSX and a CSV) with a message naming the bound of ${MAX_ROWS} rows`, async () => {
    const rows = function* () {
      yield ['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện'];
      for (let i = 1; i < 50_000; i++) yield [String(i), `Nhiệm vụ ${i}`, 'Sở Y tế', '', 'Hằng năm'];
    };
    const xlsx = buildZip(workbookFiles(sheetXml(rows())));
    expect((await refusal(read(xlsx))).message).toMatch(/^Bảng quá lớn: hơn 5\.000 hàng .*Chưa có gì được lưu/);
    const csv = Buffer.from([...rows()].map((r) => r.join(',')).join('\n'));
    expect((await refusal(read(csv, 'ke-hoach.csv'))).message).toMatch(/^Bảng quá lớn: hơn 5\.000 hàng/);
  });

  it(`refuses a sheet whose merged ranges cover more than ${MAX_CELLS} cells (each would be an object)`, async () => {
    const xml = Buffer.from(
      sheetXml([['TT', 'Nhiệm vụ', 'Chủ trì', 'Phối hợp', 'Thời gian']])
        .toString()
        .replace('</sheetData>', '</sheetData><mergeCells count="1"><mergeCell ref="A2:Z20000"/></mergeCells>'),
    );
    expect((await refusal(read(buildZip(workbookFiles(xml))))).message).toMatch(/^Trang tính quá lớn: hơn 100\.000 ô/);
  });

  it('refuses a password-protected workbook, as Excel saves it (an OLE file holding EncryptedPackage) or as an encrypted zip', async () => {
    const ole = Buffer.alloc(4096);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(ole, 0);
    Buffer.from('EncryptionInfo', 'utf16le').copy(ole, 1024);
    Buffer.from('EncryptedPackage', 'utf16le').copy(ole, 1152);
    expect((await refusal(read(ole))).message).toMatch(/^Tệp được đặt mật khẩu \(mã hóa\) nên không đọc được/);
    const zip = buildZip(workbookFiles(sheetXml([['TT']]), { flags: 1 }));
    expect((await refusal(read(zip))).message).toMatch(/^Tệp được đặt mật khẩu/);
  });

  it('refuses a damaged workbook with a message', async () => {
    const damaged = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(2000, 0x41)]);
    expect((await refusal(read(damaged))).message).toMatch(/^Tệp Excel \(\.xlsx\) bị hỏng hoặc không phải tệp Excel/);
  });

  describe('a valid workbook', () => {
    async function workbook(rows: number): Promise<Buffer> {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Phụ lục');
      ws.addRow(['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện']);
      for (let i = 1; i <= rows; i++)
        ws.addRow([String(i), `Kiểm tra hệ thống ${i}`, 'Sở Y tế', 'Sở Nội vụ', 'Trước ngày 15/10 hằng năm']);
      // A row formatted far down and far right: only cells with a value are read.
      ws.getCell('XFD60000').style = { font: { bold: true } };
      return Buffer.from(await wb.xlsx.writeBuffer());
    }

    it('is read in a worker thread to the same draft as the reader gives on this thread', async () => {
      const data = await workbook(3);
      const draft = await read(data);
      expect(draft.duties.map((d) => [d.code, d.leads, d.schedule])).toEqual([
        ['1', ['Sở Y tế'], { kind: 'yearly', due: '10-15' }],
        ['2', ['Sở Y tế'], { kind: 'yearly', due: '10-15' }],
        ['3', ['Sở Y tế'], { kind: 'yearly', due: '10-15' }],
      ]);
      expect(draft).toEqual(await parsePlanFile('ke-hoach.xlsx', data, options));
    });

    it('is stopped past its time limit, and past its memory ceiling, with a message', async () => {
      const data = await workbook(200);
      expect((await refusal(read(data, 'ke-hoach.xlsx', { timeoutMs: 1 }))).message).toMatch(
        /^Đọc tệp quá lâu \(hơn 0 giây\) nên đã dừng/,
      );
      expect((await refusal(read(data, 'ke-hoach.xlsx', { maxHeapMb: 4 }))).message).toMatch(
        /^Tệp cần quá nhiều bộ nhớ để đọc nên đã dừng/,
      );
    });
  });
});
