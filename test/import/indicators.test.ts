import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceDocument, SourceRow } from '#root/import/document-model.js';
import { readDocument } from '#root/import/documents.js';
import { parseTarget, readIndicators } from '#root/import/indicators.js';
import { readText } from '#root/import/readers/text.js';

const row = (
  where: string,
  ...cells: (string | { text: string; colSpan?: number; rowSpan?: number })[]
): SourceRow => ({
  where,
  cells: cells.map((c) => (typeof c === 'string' ? { text: c } : c)),
});
const doc = (...tables: SourceRow[][]): SourceDocument => ({
  format: 'docx',
  blocks: [
    { kind: 'paragraph', text: 'II. CHỈ TIÊU CHIẾN LƯỢC THEO NĂM', where: 'đoạn 1' },
    ...tables.map((rows, i) => ({ kind: 'table' as const, rows, where: `bảng ${i + 1}` })),
  ],
});

describe('reading a plan’s indicator table', () => {
  it('reads code, title, a rate’s unit and the targets of each year column', () => {
    const found = readIndicators(
      doc([
        row('hàng 1', 'TT', 'Nội dung chỉ tiêu', 'Kế hoạch 2023', 'Kế hoạch 2024', 'Mục tiêu 2025'),
        row('hàng 2', '1.', 'Tỷ lệ hệ thống thông tin được phân loại', '80%', '90%', '100%'),
        row('hàng 3', '2.', 'Tỷ lệ máy chủ cài đặt phòng, chống mã độc', '100 %', '100 %', '100 %'),
      ]),
    );
    expect(found).toEqual([
      {
        code: '1',
        title: 'Tỷ lệ hệ thống thông tin được phân loại',
        unit: '%',
        targets: { '2023': 80, '2024': 90, '2025': 100 },
        source: 'hàng 2',
      },
      {
        code: '2',
        title: 'Tỷ lệ máy chủ cài đặt phòng, chống mã độc',
        unit: '%',
        targets: { '2023': 100, '2024': 100, '2025': 100 },
        source: 'hàng 3',
      },
    ]);
  });

  it('takes the unit of measure from a "Đơn vị tính" column, and bare years as year columns', () => {
    const [a, b] = readIndicators(
      doc([
        row('hàng 1', 'STT', 'Chỉ tiêu', 'Đơn vị tính', 'Năm 2024', '2025'),
        row('hàng 2', '1', 'Số cán bộ được tập huấn', 'người', '1.000', '1.200'),
        row('hàng 3', '2', 'Kinh phí bình quân', 'tỷ đồng', '0,5', ''),
      ]),
    );
    expect(a).toMatchObject({ code: '1', unit: 'người', targets: { '2024': 1000, '2025': 1200 } });
    expect(b).toMatchObject({ code: '2', unit: 'tỷ đồng', targets: { '2024': 0.5 } });
  });

  it('reads a two-row header ("Mục tiêu" merged over its years) and skips section rows', () => {
    const found = readIndicators(
      doc([
        row('hàng 1', { text: 'TT', rowSpan: 2 }, { text: 'Nội dung', rowSpan: 2 }, { text: 'Mục tiêu', colSpan: 2 }),
        row('hàng 2', '2024', '2025'),
        row('hàng 3', { text: 'I. AN TOÀN THÔNG TIN GIAI ĐOẠN 2023-2025', colSpan: 4 }),
        row('hàng 4', '1', 'Tỷ lệ hồ sơ cấp độ được phê duyệt', '90%', '100%'),
      ]),
    );
    expect(found).toEqual([
      {
        code: '1',
        title: 'Tỷ lệ hồ sơ cấp độ được phê duyệt',
        unit: '%',
        targets: { '2024': 90, '2025': 100 },
        source: 'hàng 4',
      },
    ]);
  });

  it('leaves the duty appendix and tables without a year column alone', () => {
    expect(
      readIndicators(
        doc(
          [
            row('hàng 1', 'TT', 'Nội dung', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện'),
            row('hàng 2', '1.1', 'Tuyên truyền', 'Sở TTTT', 'Các sở', '2024'),
          ],
          [row('hàng 1', 'STT', 'Nội dung', 'Ghi chú'), row('hàng 2', '1', 'Tỷ lệ', '80%')],
        ),
      ),
    ).toEqual([]);
  });

  it('numbers indicators by position when the table has no number column', () => {
    const found = readIndicators(
      doc([
        row('hàng 1', 'Nội dung chỉ tiêu', 'Năm 2026'),
        row('hàng 2', 'Tỷ lệ A', '50%'),
        row('hàng 3', 'Tỷ lệ B', '60%'),
      ]),
    );
    expect(found.map((d) => [d.code, d.targets['2026']])).toEqual([
      ['1', 50],
      ['2', 60],
    ]);
  });

  it('reads targets as numbers, and nothing from words', () => {
    expect(parseTarget('80%')).toEqual({ value: 80, percent: true });
    expect(parseTarget('≥ 90 %')).toEqual({ value: 90, percent: true });
    expect(parseTarget('0,5')).toEqual({ value: 0.5, percent: false });
    expect(parseTarget('1.000')).toEqual({ value: 1000, percent: false });
    expect(parseTarget('Hoàn thành')).toBeNull();
    expect(parseTarget('-')).toBeNull();
  });
});

describe('the HCMC plan’s indicators (II. CHỈ TIÊU CHIẾN LƯỢC THEO NĂM)', () => {
  const read = (name: string) =>
    readIndicators(readText(readFileSync(new URL(`../../prisma/sample/${name}`, import.meta.url), 'utf8')));
  const EXPECTED = [
    ['1', { '2023': 80, '2024': 90, '2025': 100 }],
    ['2', { '2023': 80, '2024': 90, '2025': 100 }],
    ['3', { '2023': 100, '2024': 100, '2025': 100 }],
    ['4', { '2023': 100, '2024': 100, '2025': 100 }],
    ['5', { '2023': 100, '2024': 100, '2025': 100 }],
    ['6', { '2023': 100, '2024': 100, '2025': 100 }],
    ['7', { '2023': 100, '2024': 100, '2025': 100 }],
  ];

  it('reads seven rates with their yearly targets from the plan’s text (a pipe table)', () => {
    const found = read('kh-3131-hcm.txt');
    expect(found.map((i) => [i.code, i.targets])).toEqual(EXPECTED);
    expect(found.every((i) => i.unit === '%' && i.title.startsWith('Tỷ lệ'))).toBe(true);
    expect(found[0]!.title).toBe(
      'Tỷ lệ hệ thống thông tin cấp độ 3, 4, 5 của Thành phố Hồ Chí Minh được phân loại và thực hiện bảo vệ theo cấp độ',
    );
    expect(found[6]!.title).toBe(
      'Tỷ lệ các hệ thống thông tin của cơ quan nhà nước có phương án ứng cứu xử lý sự cố tấn công mạng',
    );
  });

  it('reads the same seven from the text of its PDF, where the table is paragraphs', () => {
    const fromPdf = read('kh-3131-hcm-pdf.txt');
    expect(fromPdf.map((i) => [i.code, i.targets])).toEqual(EXPECTED);
    expect(fromPdf.map((i) => [i.title, i.unit])).toEqual(read('kh-3131-hcm.txt').map((i) => [i.title, i.unit]));
  });

  for (const [kind, name] of [
    ['docx', 'kh-3131-hcm.docx'],
    ['pdf', 'kh-3131-hcm.pdf'],
  ] as const) {
    it(`reads the same seven from its ${kind === 'docx' ? 'Word file' : 'PDF'}`, async () => {
      const doc = await readDocument(kind, readFileSync(new URL(`../fixtures/import/${name}`, import.meta.url)));
      const found = readIndicators(doc);
      expect(found.map((i) => [i.code, i.targets])).toEqual(EXPECTED);
      expect(found.map((i) => [i.title, i.unit])).toEqual(read('kh-3131-hcm.txt').map((i) => [i.title, i.unit]));
    });
  }

  it('reads nothing from a document without an indicator table', () => {
    expect(
      readIndicators(readText('KẾ HOẠCH\nTT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian\n1 | A | Sở Y tế | | 2026')),
    ).toEqual([]);
  });
});
