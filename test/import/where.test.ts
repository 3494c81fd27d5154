import { describe, expect, it } from 'vitest';
import { oneLanguage } from '#root/errors/index.js';
import { readDocx } from '#root/import/docx.js';
import { ImportError } from '#root/import/errors.js';
import { interpretDocument } from '#root/import/interpret.js';
import { parsePlanRows, parsePlanText } from '#root/import/plan-document.js';
import { lineOf, place, whereIn } from '#root/import/where.js';
import { buildZip } from '../helpers/zip.js';

/**
 * Issue 14, "Languages": where an import read something ("bảng 1, hàng 5", "dòng 3") is said in the
 * reader's language. An English flag or error says "table 1, row 5", never the Vietnamese words.
 */

const options = { defaultDue: '11-15' } as const;
const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i;
/** A flag's English half, the document's own words «…» taken out. */
const englishOf = (flag: string) => oneLanguage(flag, 'en').replace(/«[^»]*»/g, '«…»');

describe('a place in a document, in each language', () => {
  it('names each place the readers write in Vietnamese and in English', () => {
    const cases: [string, string, string][] = [
      [place.line(3), 'dòng 3', 'line 3'],
      [place.row(12), 'hàng 12', 'row 12'],
      [place.table(2), 'bảng 2', 'table 2'],
      [place.tableRow(1, 5), 'bảng 1, hàng 5', 'table 1, row 5'],
      [place.page(4), 'trang 4', 'page 4'],
      [place.pageTable(4, 2), 'trang 4, bảng 2', 'page 4, table 2'],
      [place.paragraph(7), 'đoạn 7', 'paragraph 7'],
    ];
    for (const [where, vi, en] of cases) {
      expect(where).toBe(vi);
      expect(whereIn(where, 'vi')).toBe(vi);
      expect(whereIn(where, 'en')).toBe(en);
    }
  });

  it('gives a cell of a sheet or a file’s name as it is', () => {
    for (const where of ['Sheet1!A5', 'Trang tính 1!B7', 'kế hoạch.csv', 'bảng tổng hợp', 'hàng 5.csv'])
      expect(whereIn(where, 'en')).toBe(where);
  });

  it('reads the line a place names, and only a line', () => {
    expect(lineOf(place.line(7))).toBe(7);
    expect(lineOf(place.row(7))).toBeNull();
    expect(lineOf(place.tableRow(1, 7))).toBeNull();
    expect(lineOf('Sheet1!A7')).toBeNull();
  });
});

describe('the import’s flags and errors say where in the reader’s language', () => {
  it('a pasted text: "line"', () => {
    const d = parsePlanText(
      [
        'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
        '1.1 | Tập huấn | Sở Thông tin và Truyền thông | Công an Thành phố | Hàng năm |',
        '1.2 | Diễn tập Sở Thông tin và Truyền thông | Hàng năm |',
      ].join('\n'),
      options,
    );
    expect(d.flags).toHaveLength(1);
    expect(oneLanguage(d.flags[0]!, 'vi')).toMatch(/^Không tách được các cột ở dòng 3: «1\.2 /);
    expect(englishOf(d.flags[0]!)).toBe('The row at line 3 could not be split into the table’s columns: «…»');
  });

  it('a CSV file: "row"', () => {
    const d = parsePlanRows(
      [
        ['TT', 'Nhiệm vụ', 'Chủ trì', 'Phối hợp', 'Thời gian'],
        ['1', 'Tập huấn', 'Sở Y tế', '', 'Hàng năm'],
        ['II', 'KIỂM TRA', '', '', ''],
        ['', 'Ghi chú lạc', 'Sở Nội vụ', 'Sở Y tế', '2026'],
      ],
      { ...options, format: 'csv' },
    );
    const flag = d.flags.find((f) => f.includes('TT'));
    expect(flag, d.flags.join('\n')).toBeDefined();
    expect(oneLanguage(flag!, 'vi')).toMatch(/ở hàng 4: «/);
    expect(englishOf(flag!)).toBe('A row without a number (TT), of no clear duty, at row 4: «…»');
  });

  describe('a Word file: "table", "row"', () => {
    const docxOf = (body: string) =>
      buildZip([
        { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
        {
          name: 'word/document.xml',
          data: Buffer.from(
            `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="w"><w:body>${body}</w:body></w:document>`,
          ),
        },
      ]);
    const tr = (...cells: string[]) =>
      `<w:tr>${cells.map((c) => `<w:tc><w:p><w:r><w:t xml:space="preserve">${c}</w:t></w:r></w:p></w:tc>`).join('')}</w:tr>`;
    const header = tr('TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện');

    it('a row that does not fit the columns', () => {
      const doc = readDocx(
        docxOf(
          `<w:tbl>${tr('Bảng phụ')}</w:tbl><w:tbl>${header}${tr('1', 'Tập huấn', 'Sở Y tế', '', 'Hàng năm')}${tr('2', 'Rà soát', 'Sở Nội vụ', 'Sở Tư pháp', '2026', 'thừa')}</w:tbl>`,
        ),
      );
      const d = interpretDocument(doc, options);
      const flag = d.flags.find((f) => f.startsWith('Không tách'));
      expect(flag, d.flags.join('\n')).toBeDefined();
      expect(oneLanguage(flag!, 'vi')).toMatch(/^Không tách được các cột ở bảng 2, hàng 3: «/);
      expect(englishOf(flag!)).toBe('The row at table 2, row 3 could not be split into the table’s columns: «…»');
    });

    it('a duty table with no duty in it', () => {
      const d = interpretDocument(readDocx(docxOf(`<w:tbl>${header}${tr('', '', '', '', '')}</w:tbl>`)), options);
      const flag = d.flags.find((f) => f.startsWith('Bảng nhiệm vụ'));
      expect(flag, d.flags.join('\n')).toBeDefined();
      expect(oneLanguage(flag!, 'vi')).toBe('Bảng nhiệm vụ (bảng 1) không có hàng nào đọc được thành nhiệm vụ');
      expect(oneLanguage(flag!, 'en')).toBe('The duty table (table 1) has no row that reads as a duty');
    });
  });

  it('an error about a part of the file', () => {
    const e = new ImportError({ vi: 'Bảng quá lớn.', en: 'The table is too large.' }, place.table(3));
    expect(e.words).toEqual({ vi: 'Bảng quá lớn (bảng 3).', en: 'The table is too large (table 3).' });
    const sheet = new ImportError({ vi: 'Bảng quá lớn.', en: 'The table is too large.' }, 'Sheet1');
    expect(sheet.words?.en).toBe('The table is too large (Sheet1).');
  });

  it('no English flag of these imports holds a Vietnamese word outside the document’s own «…»', () => {
    const d = parsePlanText(
      [
        'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
        '1 | Tập huấn | | Sở Y tế | khi nào rảnh |',
        '1.2 | Diễn tập | Hàng năm |',
        'II | KIỂM TRA | | | |',
        '| Ghi chú lạc | Sở Nội vụ | Sở Y tế | 2026 |',
      ].join('\n'),
      options,
    );
    const all = [...d.flags, ...d.duties.flatMap((x) => x.flags)];
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const f of all) expect(englishOf(f), f).not.toMatch(VIETNAMESE);
  });
});
