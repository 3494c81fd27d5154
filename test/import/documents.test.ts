import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { SourceDocument, SourceRow } from '#root/import/document-model.js';
import { readDocument, documentKind } from '#root/import/documents.js';
import { readDocx } from '#root/import/docx.js';
import { interpretDocument } from '#root/import/interpret.js';
import { parsePlanOffThread } from '#root/import/off-thread.js';
import { readPdf } from '#root/import/pdf.js';
import { parsePlanFile } from '#root/import/spreadsheet.js';
import { readDoc } from '#root/import/word97.js';
import { samplePlanPath } from '#root/services/demo.js';
import { buildZip } from '../helpers/zip.js';

const options = { defaultDue: '11-15' } as const;
const FIXTURES = new URL('../fixtures/import/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

interface Expected {
  number: string;
  issuer: string;
  issuedOn: string;
  duties: { code: string; title: string; leads: string[]; cooperating: string[]; timeframe: string }[];
}
const expected = JSON.parse(fixture('expected.json').toString('utf8')) as Record<string, Expected>;

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The rows of a document's tables, each row's cell texts on one line. */
const tableRows = (doc: SourceDocument) =>
  doc.blocks.flatMap((b) =>
    b.kind === 'table' ? b.rows.filter((r) => !r.repeatedHeader).map((r) => r.cells.map((c) => oneLine(c.text))) : [],
  );

/** The table whose first row has a cell with this text. */
function tableWith(doc: SourceDocument, text: string): SourceRow[] {
  const t = doc.blocks.find((b) => b.kind === 'table' && b.rows[0]?.cells.some((c) => oneLine(c.text) === text));
  if (!t || t.kind !== 'table') throw new Error(`no table headed ${text}`);
  return t.rows;
}

async function read(name: string): Promise<SourceDocument> {
  const buf = fixture(name);
  const kind = documentKind(name.slice(name.lastIndexOf('.')), buf);
  if (!kind) throw new Error(`${name} is not a document`);
  return readDocument(kind, buf);
}

/** The message a reading is refused with. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the file was read, not refused');
}

describe('the HCMC plan 3131/KH-UBND as published in Word and PDF', () => {
  it('reads the same tables and paragraphs from the .docx, the .doc and the .pdf', async () => {
    const docx = await read('kh-3131-hcm.docx');
    const doc = await read('kh-3131-hcm.doc');
    const pdf = await read('kh-3131-hcm.pdf');
    expect(tableRows(docx)).toHaveLength(126);
    expect(tableRows(doc)).toEqual(tableRows(docx));
    expect(tableRows(pdf)).toEqual(tableRows(docx));
    const paragraphs = (d: SourceDocument) =>
      d.blocks.flatMap((b) => (b.kind === 'paragraph' ? [oneLine(b.text)] : []));
    expect(paragraphs(pdf)).toEqual(paragraphs(docx));
    expect(paragraphs(doc)).toEqual(paragraphs(docx));
    // A paragraph going on over the page break (pages 2 and 3 of the PDF) is one paragraph.
    expect(paragraphs(pdf)).toContain(
      paragraphs(docx).find((p) => p.startsWith('1. Sở Thông tin và Truyền thông chủ trì')),
    );
  });

  it.each(['kh-3131-hcm.docx', 'kh-3131-hcm.doc', 'kh-3131-hcm.pdf'])(
    '%s: 27/27 appendix duties and both report duties, every field equal to the text import',
    async (name) => {
      const text = await parsePlanFile('kh-3131-hcm.txt', readFileSync(samplePlanPath('kh-3131-hcm.txt')), options);
      const draft = await parsePlanFile(name, fixture(name), options);
      expect(draft.format).toBe(name.slice(name.lastIndexOf('.') + 1));
      expect(draft.plan).toEqual(text.plan);
      expect(draft.flags).toEqual(text.flags);
      expect(draft.duties.filter((d) => d.origin === 'appendix')).toHaveLength(27);
      expect(draft.duties.filter((d) => d.origin === 'report')).toHaveLength(2);
      // Every field but where it was read ('dòng 49' in the text, 'bảng 4, hàng 6' in Word, 'trang 3' in
      // the PDF); the source cells with their line breaks as spaces (a PDF cell's lines are wrapped).
      const fields = (d: (typeof draft.duties)[number]) => {
        const { where: _where, source, ...rest } = d;
        return { ...rest, source: source.map(oneLine) };
      };
      expect(draft.duties.map(fields)).toEqual(text.duties.map(fields));
    },
  );
});

describe('a corpus of plans in layouts of other provinces (test/fixtures/import, made with LibreOffice)', () => {
  const cases = Object.keys(expected).flatMap((plan) => ['.docx', '.doc', '.pdf'].map((ext) => [plan, ext] as const));

  it.each(cases)(
    '%s%s: every duty with its units and timeframe, the plan number, issuer and date',
    async (plan, ext) => {
      const want = expected[plan]!;
      const draft = interpretDocument(await read(plan + ext), options);
      expect(draft.plan.code).toBe(want.number);
      expect(draft.plan.issuer).toBe(want.issuer);
      expect(draft.plan.issuedOn).toBe(want.issuedOn);
      const duties = draft.duties
        .filter((d) => d.origin === 'appendix')
        .map((d) => ({
          code: d.code.replace(/\.$/, ''),
          title: oneLine(d.title),
          leads: d.leads,
          cooperating: d.cooperating,
          timeframe: oneLine(d.timeframe),
        }));
      expect(duties).toEqual(want.duties);
    },
  );

  it('reads a two-level header with its merged cells, from .docx, .doc and .pdf alike', async () => {
    for (const ext of ['.docx', '.doc', '.pdf']) {
      const rows = tableWith(await read('kh-two-level-header' + ext), 'STT');
      expect(rows[0]!.cells.map((c) => [oneLine(c.text), c.colSpan ?? 1, c.rowSpan ?? 1])).toEqual([
        ['STT', 1, 2],
        ['Nội dung nhiệm vụ', 1, 2],
        ['Trách nhiệm', 2, 1],
        ['Thời hạn hoàn thành', 1, 2],
        ['Sản phẩm', 1, 2],
      ]);
      expect(rows[1]!.cells.map((c) => c.text)).toEqual(['Chủ trì', 'Phối hợp']);
      // A section row merged across the table.
      expect(rows[2]!.cells.map((c) => [c.text, c.colSpan ?? 1])).toEqual([
        ['I', 1],
        ['HOÀN THIỆN THỂ CHẾ, CHÍNH SÁCH', 5],
      ]);
      // Units on lines of their own inside one cell stay in that cell.
      expect(rows[3]!.cells[3]!.text.split('\n')).toEqual(['- Sở Tư pháp', '- Văn phòng Ủy ban nhân dân tỉnh']);
    }
  });

  it('in the PDF: the header repeated on each page is marked, the row cut by a page break is joined, dates cut by the narrow column are whole', async () => {
    const rows = tableWith(await read('kh-two-level-header.pdf'), 'STT');
    const repeated = rows.filter((r) => r.repeatedHeader);
    expect(repeated.length).toBeGreaterThanOrEqual(2);
    expect(repeated.every((r) => r.where !== 'trang 2')).toBe(true);
    const five = rows.find((r) => r.cells[0]!.text === '5')!;
    expect(oneLine(five.cells[1]!.text)).toMatch(/^Làm sạch dữ liệu hộ tịch.*phục vụ người dân, doanh nghiệp$/u);
    expect(rows.some((r) => !r.repeatedHeader && !r.cells[0]!.text && r.cells.some((c) => c.text))).toBe(false);
    const deadlines = rows.map((r) => r.cells[r.cells.length - 2]?.text);
    expect(deadlines).toEqual(
      expect.arrayContaining(['31/03/2024', '30/06/2024', '15/10/2024', '2024-2025', 'Quý IV/2024']),
    );
  });

  it('a lead unit merged down over the duties it leads is given once, with its rowSpan', async () => {
    for (const ext of ['.docx', '.doc', '.pdf']) {
      const rows = tableWith(await read('kh-column-order' + ext), 'Số TT');
      const lead = rows[1]!.cells[1]!;
      expect([lead.text, lead.rowSpan]).toEqual(['Sở Y tế', 3]);
      expect(rows[2]!.cells.map((c) => c.text)[0]).toBe('2.');
      expect(rows[2]!.cells).toHaveLength(5);
    }
  });

  it('a table without rules in a PDF is rebuilt from the text positions, and says its columns were guessed', async () => {
    const doc = await read('kh-no-rules.pdf');
    const rows = tableWith(doc, 'TT');
    expect(rows.map((r) => r.cells.map((c) => oneLine(c.text)))).toEqual([
      ['TT', 'Nội dung', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện'],
      [
        '1',
        'Cập nhật danh mục dữ liệu mở của huyện',
        'Phòng Văn hóa và Thông tin',
        'Văn phòng HĐND và UBND huyện',
        'Tháng 6/2024',
      ],
      ['2', 'Rà soát hạ tầng mạng tại các xã', 'Phòng Kinh tế', 'Ủy ban nhân dân các xã', 'Hàng tuần'],
      ['3', 'Tổng hợp báo cáo kết quả chuyển đổi số', 'Văn phòng HĐND và UBND huyện', 'Các phòng, ban', '2024, 2025'],
    ]);
    const table = doc.blocks.find((b) => b.kind === 'table' && b.rows === rows);
    expect(table?.kind === 'table' && table.notes?.[0]).toMatch(/^Cột đoán từ vị trí chữ trong PDF/u);
  });

  it('gives Vietnamese text in NFC, with its diacritics', async () => {
    for (const name of ['kh-3131-hcm.pdf', 'kh-3131-hcm.doc', 'kh-3131-hcm.docx']) {
      const all = JSON.stringify(await read(name));
      expect(all).toBe(all.normalize('NFC'));
      expect(all).toContain('Ủy ban nhân dân Thành phố Hồ Chí Minh');
    }
  });
});

describe('Word details', () => {
  const docxOf = (body: string, extra: { name: string; data: Buffer }[] = []) =>
    buildZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      {
        name: 'word/document.xml',
        data: Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="w" xmlns:mc="mc"><w:body>${body}</w:body></w:document>`,
        ),
      },
      ...extra,
    ]);
  const p = (text: string, pPr = '') => `<w:p>${pPr}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
  const tc = (inner: string, tcPr = '') => `<w:tc><w:tcPr>${tcPr}</w:tcPr>${inner}</w:tc>`;

  it('keeps line breaks and paragraphs inside a cell, folds a nested table into its cell, writes list numbers out', () => {
    const numbering = Buffer.from(
      '<w:numbering xmlns:w="w"><w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl></w:abstractNum><w:num w:numId="7"><w:abstractNumId w:val="1"/></w:num></w:numbering>',
    );
    const numbered = (level: number) =>
      `<w:pPr><w:numPr><w:ilvl w:val="${level}"/><w:numId w:val="7"/></w:numPr></w:pPr>`;
    const doc = readDocx(
      docxOf(
        p('Mở đầu &amp; căn cứ') +
          `<w:tbl><w:tr>${tc(p('', numbered(0)))}${tc(`<w:p><w:r><w:t>Sở Thông tin và</w:t><w:br/><w:t>Truyền thông</w:t></w:r></w:p>${p('Công an tỉnh')}`)}${tc(`<w:tbl><w:tr>${tc(p('Lồng 1'))}${tc(p('Lồng 2'))}</w:tr></w:tbl>`)}</w:tr>` +
          `<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>${tc(p('Gộp'), '<w:gridSpan w:val="2"/>')}</w:tr></w:tbl>` +
          p('Hai', numbered(1)) +
          `<mc:AlternateContent><mc:Choice>${p('chọn')}</mc:Choice><mc:Fallback>${p('bản sao')}</mc:Fallback></mc:AlternateContent>`,
        [{ name: 'word/numbering.xml', data: numbering }],
      ),
    );
    expect(doc.blocks).toEqual([
      { kind: 'paragraph', text: 'Mở đầu & căn cứ', where: 'đoạn 1' },
      {
        kind: 'table',
        where: 'bảng 1',
        rows: [
          {
            where: 'bảng 1, hàng 1',
            cells: [
              { text: '1.' },
              { text: 'Sở Thông tin và\nTruyền thông\nCông an tỉnh' },
              { text: 'Lồng 1\nLồng 2' },
            ],
          },
          { where: 'bảng 1, hàng 2', cells: [{ text: '' }, { text: 'Gộp', colSpan: 2 }] },
        ],
      },
      { kind: 'paragraph', text: 'a) Hai', where: 'đoạn 2' },
      { kind: 'paragraph', text: 'chọn', where: 'đoạn 3' },
    ]);
  });
});

describe('files that cannot be imported: a clear message, nothing read', () => {
  const offThread = (data: Buffer, name: string) => parsePlanOffThread({ data, name }, options);

  it('a scanned PDF (pages that are images, no text layer)', async () => {
    expect(await refusal(offThread(fixture('scanned.pdf'), 'ke-hoach.pdf'))).toMatch(
      /^Tệp PDF là ảnh quét, không có lớp chữ nên không đọc được nội dung; .*Chưa có gì được lưu/u,
    );
  });

  it('a password-protected PDF, and a password-protected Word file', async () => {
    expect(await refusal(offThread(fixture('password.pdf'), 'ke-hoach.pdf'))).toMatch(/^Tệp PDF được đặt mật khẩu/u);
    // Word saves a protected .docx as an OLE file holding EncryptedPackage.
    const ole = Buffer.alloc(4096);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(ole, 0);
    Buffer.from('EncryptedPackage', 'utf16le').copy(ole, 1152);
    expect(await refusal(offThread(ole, 'ke-hoach.docx'))).toMatch(/^Tệp được đặt mật khẩu \(mã hóa\).*mở bằng Word/u);
  });

  it.each([
    ['corrupt.pdf', /^Tệp PDF bị hỏng hoặc không đọc được/u],
    ['corrupt.docx', /^Tệp Word \(\.docx\) bị hỏng/u],
    ['corrupt.doc', /^Tệp Word \(\.doc\) bị hỏng/u],
  ])('a damaged file: %s', async (name, message) => {
    expect(await refusal(offThread(fixture(name), name))).toMatch(message);
  });

  it('a file named .pdf or .docx that is not one', async () => {
    expect(await refusal(parsePlanFile('ke-hoach.pdf', Buffer.from('xin chào'), options))).toMatch(/^Tệp PDF bị hỏng/u);
    expect(await refusal(parsePlanFile('ke-hoach.doc', Buffer.from('{\\rtf1 xin chào}'), options))).toMatch(
      /^Tệp này là văn bản RTF/u,
    );
  });

  it('a zip bomb disguised as .docx, refused by its declared size and by the bytes actually inflated', async () => {
    const whitespace = Buffer.alloc(64 * 1024 * 1024, 0x20);
    const compressed = deflateRawSync(whitespace);
    const bomb = buildZip([{ name: 'word/document.xml', data: whitespace, compressed }]);
    expect(await refusal(offThread(bomb, 'ke-hoach.docx'))).toMatch(/^Tệp Word giải nén ra quá lớn \(hơn 50 MB\)/u);
    const liar = buildZip([{ name: 'word/document.xml', data: whitespace, compressed, declaredSize: 4096 }]);
    expect(await refusal(offThread(liar, 'ke-hoach.docx'))).toMatch(/^Tệp Word giải nén ra quá lớn/u);
    expect(() => readDocx(liar)).toThrow(/^Tệp Word giải nén ra quá lớn/u);
  });

  it('a table of 50,000 rows in a .docx', async () => {
    const row = (i: number) =>
      `<w:tr><w:tc><w:p><w:r><w:t>${i}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Nhiệm vụ ${i}</w:t></w:r></w:p></w:tc></w:tr>`;
    const rows = Array.from({ length: 50_000 }, (_, i) => row(i + 1)).join('');
    const xml = `<w:document xmlns:w="w"><w:body><w:tbl>${row(0)}${rows}</w:tbl></w:body></w:document>`;
    const docx = buildZip([{ name: 'word/document.xml', data: Buffer.from(xml) }]);
    expect(await refusal(offThread(docx, 'ke-hoach.docx'))).toMatch(/^Bảng quá lớn: hơn 5\.000 hàng/u);
  });

  it('the .doc and .pdf readers refuse what is not theirs', async () => {
    expect(() => readDoc(Buffer.alloc(1024))).toThrow(/^Tệp Word \(\.doc\) bị hỏng/u);
    expect(await refusal(readPdf(Buffer.from('%PDF-1.7\n%%EOF')))).toMatch(/^Tệp PDF bị hỏng/u);
  });
});
