import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceDocument } from '#root/import/document-model.js';
import { NO_DUTY_TABLE, type PlanDraft } from '#root/import/draft.js';
import { interpretDocument } from '#root/import/interpret.js';
import { parsePlanRows, parsePlanText } from '#root/import/plan-document.js';
import { readText } from '#root/import/readers/text.js';

// Plans as other provinces publish them, in layouts the HCMC sample does not use (issue 13).
// The documents under test/fixtures/import/ are made up for these tests, in real plans' wording.

const options = { defaultDue: '11-15' };
const fixture = (name: string) => readFileSync(new URL(`../fixtures/import/${name}`, import.meta.url), 'utf8');
const rows = (d: PlanDraft) =>
  d.duties
    .filter((x) => x.origin === 'appendix')
    .map((x) => [x.code, x.section, x.title, x.leads, x.cooperating, x.timeframe]);
const duty = (d: PlanDraft, code: string) => {
  const found = d.duties.find((x) => x.code === code);
  if (!found) throw new Error(`no duty ${code}`);
  return found;
};

describe('a plan pasted from its web page: a cell per line between lone "|" lines', () => {
  const d = parsePlanText(fixture('web-cell-per-line.txt'), options);

  it('reads the two-level header with wrapped cells, the wrapped unit names and the extra column', () => {
    expect(rows(d)).toEqual([
      [
        '1',
        'I',
        'Nâng cấp mạng truyền số liệu chuyên dùng',
        ['Sở Thông tin và Truyền thông'],
        ['Các sở, ban, ngành'],
        'Đến 31/03/2024',
      ],
      [
        '2',
        'I',
        'Triển khai nền tảng giám sát an toàn thông tin',
        ['Công an tỉnh'],
        ['Sở Thông tin và Truyền thông', 'Bộ Chỉ huy Quân sự tỉnh'],
        'Quý II/2024',
      ],
      [
        '3',
        'II',
        'Bồi dưỡng kỹ năng số cho cán bộ, công chức',
        ['Sở Nội vụ'],
        ['Ủy ban nhân dân các huyện, thị xã, thành phố'],
        'Hằng năm',
      ],
    ]);
    expect(duty(d, '1').schedule).toEqual({ kind: 'once', due: '2024-03-31' });
    expect(duty(d, '1').sectionTitle).toBe('HẠ TẦNG SỐ');
    expect(d.flags).toEqual([]);
    for (const x of d.duties) expect(x.flags, x.code).toEqual([]);
  });

  it("keeps each duty's source cells, in column order, the extra column included", () => {
    expect(duty(d, '1').source).toEqual([
      '1',
      'Nâng cấp mạng truyền số liệu chuyên dùng',
      'Sở Thông tin và\nTruyền thông',
      'Các sở, ban,\nngành',
      'Đến 31/03/2024',
      'Mạng được nâng cấp',
    ]);
    expect(duty(d, '1').where).toMatch(/^dòng \d+$/);
  });

  it('reads the header: number, issuer from the agency lines, title, and the wrapped date line', () => {
    expect(d.plan).toEqual({
      code: '5958/KH-UBND',
      title: 'Kế hoạch thực hiện chuyển đổi số trong cơ quan nhà nước tỉnh Bình Dương năm 2024',
      issuer: 'Ủy ban nhân dân tỉnh Bình Dương',
      issuedOn: '2023-11-16',
      horizonYear: 2024,
    });
  });

  it('gives a report duty the units named in the sentence before it', () => {
    const reports = d.duties.filter((x) => x.origin === 'report');
    expect(reports.map((x) => [x.code, x.leads, x.schedule])).toEqual([
      [
        'BC-10/12',
        ['Các sở, ban, ngành', 'Ủy ban nhân dân các huyện, thị xã, thành phố'],
        { kind: 'yearly', due: '12-10' },
      ],
      ['BC-20/12', ['Sở Thông tin và Truyền thông'], { kind: 'yearly', due: '12-20' }],
    ]);
    expect(reports[0]!.source).toEqual([
      'Định kỳ hằng năm, báo cáo kết quả thực hiện về Sở Thông tin và Truyền thông trước ngày 10/12 để tổng hợp.',
    ]);
    expect(reports[0]!.flags).toEqual([]);
  });
});

describe('a pipe table with a two-level header over two lines and columns in another order', () => {
  const d = parsePlanText(fixture('pipe-two-level.txt'), options);

  it('maps the columns by their words, numbers a) under 1. and ignores Kinh phí and Ghi chú', () => {
    expect(rows(d)).toEqual([
      ['1.a', '1', 'Ban hành quy chế bảo đảm an toàn thông tin', ['Sở TT&TT'], ['Sở Tư pháp'], 'Năm 2024'],
      [
        '1.b',
        '1',
        'Rà soát, cập nhật quy chế hằng năm',
        ['Sở Thông tin và Truyền thông'],
        ['Các sở, ban, ngành'],
        'Năm 2024 và các năm tiếp theo',
      ],
      ['2.a', '2', 'Tổ chức diễn tập thực chiến', ['Công an thành phố'], ['Sở TTTT'], '2024, 2025'],
      [
        '2.b',
        '2',
        'Báo cáo kết quả diễn tập',
        ['sở thông tin và truyền thông'],
        [],
        'Hàng quý (trước ngày 20 của tháng cuối quý)',
      ],
    ]);
    expect(d.duties.map((x) => x.schedule)).toEqual([
      { kind: 'once', due: '2024-12-31' },
      { kind: 'yearly', due: '11-15', from: 2024 },
      { kind: 'yearly', due: '12-31', from: 2024, to: 2025 },
      { kind: 'every', months: 3, due: '03-20' },
    ]);
    expect(duty(d, '1.b').source).toEqual([
      'b)',
      'Rà soát, cập nhật quy chế hằng năm',
      'Năm 2024 và các năm tiếp theo',
      'Sở Thông tin và Truyền thông',
      'Các sở, ban, ngành',
      '',
      'Thường xuyên rà soát',
    ]);
  });

  it("reads the header from the national line: the city's name, not a fragment", () => {
    expect(d.plan).toEqual({
      code: '47/KH-UBND',
      title: 'Kế hoạch bảo đảm an toàn thông tin mạng giai đoạn 2024 - 2026',
      issuer: 'Ủy ban nhân dân thành phố Đà Nẵng',
      issuedOn: '2024-03-05',
      horizonYear: 2026,
    });
  });
});

describe('a pipe table whose header cells wrap onto a second line', () => {
  const d = parsePlanText(fixture('pipe-wrapped-header.txt'), options);

  it('joins the header cells and reads I. sections and plain numbers', () => {
    expect(rows(d)).toEqual([
      ['1', 'I', 'Rà soát thủ tục hành chính', ['Văn phòng HĐND và UBND huyện'], ['Phòng Tư pháp'], 'Quý I/2024'],
      ['2', 'I', 'Cập nhật dữ liệu hộ tịch', ['Phòng Tư pháp'], ['UBND các xã, thị trấn'], 'Hằng tháng'],
      ['3', 'II', 'Trang bị thiết bị đọc căn cước', ['Công an huyện'], ['Phòng Tài chính - Kế hoạch'], '2024, 2025'],
    ]);
    expect(duty(d, '2').source.at(-1)).toBe('Báo cáo ngày 25');
    expect(d.plan).toMatchObject({
      code: '112/KH-UBND',
      issuer: 'Ủy ban nhân dân huyện Củ Chi',
      issuedOn: '2024-02-20',
    });
  });
});

describe('tab-separated text with other header words and no cooperating column', () => {
  it('reads "Nội dung công việc", "Tiến độ", "Đơn vị thực hiện", and keeps "Kết quả" in the source', () => {
    const d = parsePlanText(fixture('tsv-varied.tsv'), options);
    expect(d.format).toBe('tsv');
    expect(d.duties.map((x) => [x.code, x.leads, x.cooperating, x.schedule])).toEqual([
      ['1', ['Sở Y tế'], [], { kind: 'once', due: '2024-09-30' }],
      ['2', ['Trung tâm Công nghệ thông tin và Truyền thông'], [], { kind: 'ongoing', checkIn: 'monthly' }],
      ['3', ['Sở Thông tin và Truyền thông'], [], { kind: 'yearly', due: '11-15', from: 2024 }],
    ]);
    expect(duty(d, '1').source).toEqual([
      '1',
      'Xây dựng cơ sở dữ liệu dân cư ngành y tế',
      'Hoàn thành trước tháng 10/2024',
      'Sở Y tế',
      'Cơ sở dữ liệu',
    ]);
    expect(d.flags).toEqual([]);
  });
});

describe('a news article announcing a plan (no duty table)', () => {
  const d = parsePlanText(fixture('news-article.txt'), options);

  it('gives the header, never a fragment as issuer, and the plan flag', () => {
    expect(d.plan).toEqual({
      code: '5958/KH-UBND',
      title: 'Kế hoạch thực hiện chuyển đổi số trong cơ quan nhà nước tỉnh Bình Dương năm 2024',
      issuer: 'UBND tỉnh Bình Dương',
      issuedOn: '2023-11-16',
      horizonYear: 2024,
    });
    expect(d.flags).toEqual([NO_DUTY_TABLE]);
    expect(d.duties.filter((x) => x.origin === 'appendix')).toEqual([]);
  });

  it('gives the report duties its text states, with the units named in the sentence before', () => {
    expect(d.duties.map((x) => [x.code, x.leads, x.schedule, x.flags, x.where])).toEqual([
      [
        'BC-15/11',
        ['Các sở, ban, ngành', 'UBND các huyện, thị xã, thành phố'],
        { kind: 'yearly', due: '11-15' },
        [],
        'dòng 5',
      ],
      ['BC-30/11', ['Sở Thông tin và Truyền thông'], { kind: 'yearly', due: '11-30' }, [], 'dòng 6'],
    ]);
  });

  it('reads other ways news name a plan: "Kế hoạch số … của UBND tỉnh … về …", a subject after a comma', () => {
    const d = parsePlanText(
      'Triển khai Kế hoạch số 77/KH-UBND ngày 03/4/2024 của UBND tỉnh Long An về chuyển đổi số, các sở báo cáo về Sở Thông tin và Truyền thông trước ngày 10/12 hằng năm.',
      options,
    );
    expect(d.plan).toMatchObject({
      code: '77/KH-UBND',
      title: 'Kế hoạch chuyển đổi số',
      issuer: 'UBND tỉnh Long An',
      issuedOn: '2024-04-03',
    });
    expect(d.duties.map((x) => [x.code, x.leads, x.flags])).toEqual([['BC-10/12', ['Các sở'], []]]);
    const e = parsePlanText(
      'Ngày 02/01/2024, UBND tỉnh vừa chính thức ban hành Kế hoạch số 7/KH-UBND về phát triển kinh tế số, xã hội số năm 2024. Theo đó, tỉnh phấn đấu.',
      options,
    );
    expect(e.plan).toMatchObject({
      title: 'Kế hoạch phát triển kinh tế số, xã hội số năm 2024',
      issuer: 'UBND tỉnh',
      issuedOn: '2024-01-02',
    });
  });

  it('flags a report whose reporting units are named nowhere near it', () => {
    const lone = parsePlanText('Thông báo\nĐề nghị gửi báo cáo về Văn phòng trước ngày 5/12.', options);
    expect(lone.duties).toHaveLength(1);
    expect(lone.duties[0]!.leads).toEqual([]);
    expect(lone.duties[0]!.flags).toEqual(['Không rõ đơn vị phải báo cáo / It is not clear which unit has to report']);
  });
});

describe('numbering and section rows', () => {
  it('reads "1." in the duty cell when there is no number column, and I./II. section rows', () => {
    const d = parsePlanRows(
      [
        ['Nhiệm vụ', 'Cơ quan chủ trì', 'Cơ quan phối hợp', 'Thời hạn hoàn thành'],
        ['I. TUYÊN TRUYỀN', '', '', ''],
        ['1. Tập huấn kỹ năng số', 'Sở Nội vụ', 'Sở Y tế', 'Quý III/2024'],
        ['2. Diễn tập', 'Công an tỉnh', '', 'Hàng năm'],
        ['II. HẠ TẦNG', '', '', ''],
        ['3. Nâng cấp mạng', 'Sở Thông tin và Truyền thông', '', '2025'],
      ],
      { ...options, format: 'csv' },
    );
    expect(d.duties.map((x) => [x.code, x.section, x.sectionTitle, x.title])).toEqual([
      ['1', 'I', 'TUYÊN TRUYỀN', 'Tập huấn kỹ năng số'],
      ['2', 'I', 'TUYÊN TRUYỀN', 'Diễn tập'],
      ['3', 'II', 'HẠ TẦNG', 'Nâng cấp mạng'],
    ]);
  });

  it('skips a row numbering the columns under the header', () => {
    const d = parsePlanRows(
      [
        ['TT', 'Nhiệm vụ', 'Chủ trì', 'Phối hợp', 'Thời gian'],
        ['(1)', '(2)', '(3)', '(4)', '(5)'],
        ['1.1', 'Tập huấn', 'Sở Nội vụ', '', '2024'],
      ],
      { ...options, format: 'csv' },
    );
    expect(d.duties.map((x) => x.code)).toEqual(['1.1']);
    expect(d.flags).toEqual([]);
  });
});

describe('the interpreter on a document with merged cells (as a Word reader gives it)', () => {
  const doc: SourceDocument = {
    format: 'docx',
    blocks: [
      {
        kind: 'table',
        where: 'bảng 1',
        rows: [
          {
            where: 'bảng 1, hàng 1',
            cells: [
              { text: 'ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG\nSố: 2301/KH-UBND' },
              {
                text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nLâm Đồng, ngày\n04 tháng 4 năm 2024',
              },
            ],
          },
        ],
      },
      { kind: 'paragraph', where: 'đoạn 1', text: 'KẾ HOẠCH' },
      { kind: 'paragraph', where: 'đoạn 2', text: 'Phát triển chính quyền số giai đoạn 2024 - 2025' },
      {
        kind: 'table',
        where: 'bảng 2',
        rows: [
          {
            where: 'bảng 2, hàng 1',
            cells: [
              { text: 'STT', rowSpan: 2 },
              { text: 'Nội dung', rowSpan: 2 },
              { text: 'Trách nhiệm thực hiện', colSpan: 2 },
              { text: 'Thời gian', rowSpan: 2 },
            ],
          },
          { where: 'bảng 2, hàng 2', cells: [{ text: 'Chủ trì' }, { text: 'Phối hợp' }] },
          { where: 'bảng 2, hàng 3', cells: [{ text: '1' }, { text: 'Chính quyền số', colSpan: 4 }] },
          {
            where: 'bảng 2, hàng 4',
            cells: [
              { text: '1.1' },
              { text: 'Số hóa hồ sơ' },
              { text: 'Sở Nội vụ', rowSpan: 2 },
              { text: 'Các sở, ban,\nngành' },
              { text: '2024' },
            ],
          },
          {
            where: 'bảng 2, hàng 5',
            cells: [{ text: '1.2' }, { text: 'Lưu trữ điện tử' }, { text: '' }, { text: '2025' }],
          },
          { where: 'bảng 2, hàng 6', repeatedHeader: true, cells: [{ text: 'STT' }, { text: 'Nội dung' }] },
        ],
      },
    ],
  };

  it('lays merged cells on a grid: a lead merged down leads both duties; the header rebuilt', () => {
    const d = interpretDocument(doc, options);
    expect(rows(d)).toEqual([
      ['1.1', '1', 'Số hóa hồ sơ', ['Sở Nội vụ'], ['Các sở, ban, ngành'], '2024'],
      ['1.2', '1', 'Lưu trữ điện tử', ['Sở Nội vụ'], [], '2025'],
    ]);
    expect(d.plan).toEqual({
      code: '2301/KH-UBND',
      title: 'Kế hoạch phát triển chính quyền số giai đoạn 2024 - 2025',
      issuer: 'Ủy ban nhân dân tỉnh Lâm Đồng',
      issuedOn: '2024-04-04',
      horizonYear: 2025,
    });
    expect(duty(d, '1.1').where).toBe('bảng 2, hàng 4');
    expect(d.flags).toEqual([]);
  });
});

describe('readText', () => {
  it('keeps the tables that are not duty tables as tables (indicators, the national header)', () => {
    const doc = readText(readFileSync(new URL('../../prisma/sample/kh-3131-hcm.txt', import.meta.url), 'utf8'));
    const tables = doc.blocks.filter((b) => b.kind === 'table');
    expect(tables.length).toBeGreaterThanOrEqual(3);
    const indicators = tables.find((b) => b.kind === 'table' && b.rows[0]!.cells[1]!.text === 'Nội dung chỉ tiêu');
    expect(indicators?.kind === 'table' && indicators.rows).toHaveLength(8);
  });
});

describe('more pasted variants', () => {
  it('reads cells between lone "|" lines whose rows end with a blank line instead of a "|"', () => {
    const d = parsePlanText(
      [
        'STT',
        '|',
        'Nội dung',
        '|',
        'Cơ quan chủ trì',
        '|',
        'Cơ quan phối hợp',
        '|',
        'Thời gian thực hiện',
        '',
        '1',
        '|',
        'Tập huấn cho',
        'cán bộ',
        '|',
        'Sở Nội vụ',
        '|',
        'Sở Tài chính',
        'Sở Y tế',
        '|',
        'Quý I/2024',
        '',
        '2',
        '|',
        'Diễn tập',
        '|',
        'Công an tỉnh',
        '|',
        '|',
        'Hằng năm',
      ].join('\n'),
      options,
    );
    expect(rows(d)).toEqual([
      ['1', null, 'Tập huấn cho cán bộ', ['Sở Nội vụ'], ['Sở Tài chính', 'Sở Y tế'], 'Quý I/2024'],
      ['2', null, 'Diễn tập', ['Công an tỉnh'], [], 'Hằng năm'],
    ]);
    expect(d.flags).toEqual([]);
  });

  it('reads a department as issuer and a number written "Số 215/…" without a colon', () => {
    const d = parsePlanText(
      [
        'UBND TỈNH QUẢNG NAM | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |',
        'SỞ KẾ HOẠCH VÀ ĐẦU TƯ | Độc lập - Tự do - Hạnh phúc |',
        'Số 215/KH-SKHĐT | Quảng Nam, ngày 12 tháng 01 năm 2024 |',
        'Thực hiện Kế hoạch số 98/KH-UBND ngày 05/01/2024 của UBND tỉnh, Sở xây dựng kế hoạch như sau:',
        'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
        '1 | Rà soát | Phòng Tổng hợp | | 2024 |',
      ].join('\n'),
      options,
    );
    expect(d.plan).toMatchObject({
      code: '215/KH-SKHĐT',
      issuer: 'Sở Kế hoạch và Đầu tư',
      issuedOn: '2024-01-12',
    });
  });

  it('reads every duty table of a document, numbers kept unique across them', () => {
    const d = parsePlanText(
      [
        'PHỤ LỤC I',
        'TT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian |',
        '1 | Tập huấn | Sở Nội vụ | | 2024 |',
        'Ghi chú: các đơn vị chủ động bố trí kinh phí.',
        'PHỤ LỤC II',
        'TT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian |',
        '1 | Diễn tập | Công an tỉnh | | 2025 |',
      ].join('\n'),
      options,
    );
    expect(d.duties.map((x) => [x.code, x.title])).toEqual([
      ['1', 'Tập huấn'],
      ['1 (2)', 'Diễn tập'],
    ]);
    expect(d.duties[1]!.flags[0]).toMatch(/bị trùng/);
  });

  it('reads the body text after a pasted table: its report duties are not lost', () => {
    const d = parsePlanText(
      [
        'Số: 31/KH-UBND',
        'II. NHIỆM VỤ',
        'TT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian |',
        '1 | Tập huấn | Sở Nội vụ | | 2024 |',
        '2 | Diễn tập | Công an tỉnh | | Hằng năm |',
        'III. TỔ CHỨC THỰC HIỆN',
        'Các cơ quan, đơn vị được giao nhiệm vụ gửi báo cáo về Sở Nội vụ trước ngày 05 tháng 12 hằng năm.',
      ].join('\n'),
      options,
    );
    expect(d.duties.map((x) => [x.code, x.origin, x.leads, x.where])).toEqual([
      ['1', 'appendix', ['Sở Nội vụ'], 'dòng 4'],
      ['2', 'appendix', ['Công an tỉnh'], 'dòng 5'],
      ['BC-5/12', 'report', ['Các cơ quan, đơn vị được giao nhiệm vụ'], 'dòng 7'],
    ]);
  });

  it('finds the number column when its header cell is empty, and "Năm thực hiện" as the timeframe', () => {
    const d = parsePlanRows(
      [
        ['', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Năm thực hiện'],
        ['I', 'Hạ tầng', '', ''],
        ['1', 'Nâng cấp mạng', 'Sở Thông tin và Truyền thông', '2025'],
        ['2', 'Mua sắm thiết bị', 'Sở Tài chính', '2026'],
      ],
      { ...options, format: 'xlsx' },
    );
    expect(d.duties.map((x) => [x.code, x.section, x.leads, x.schedule])).toEqual([
      ['1', 'I', ['Sở Thông tin và Truyền thông'], { kind: 'once', due: '2025-12-31' }],
      ['2', 'I', ['Sở Tài chính'], { kind: 'once', due: '2026-12-31' }],
    ]);
  });

  it("reads a sheet's title rows above the header as the plan's header", () => {
    const d = parsePlanRows(
      [
        ['PHỤ LỤC'],
        ['(Kèm theo Kế hoạch số 12/KH-UBND ngày 01/02/2024 của UBND tỉnh Bình Phước)'],
        ['TT', 'Nhiệm vụ', 'Chủ trì', 'Phối hợp', 'Thời gian'],
        ['1', 'Tập huấn', 'Sở Nội vụ', '', '2024'],
      ],
      { ...options, format: 'xlsx' },
    );
    expect(d.plan).toMatchObject({ code: '12/KH-UBND', issuer: 'UBND tỉnh Bình Phước', issuedOn: '2024-02-01' });
    expect(d.duties.map((x) => x.code)).toEqual(['1']);
  });

  it('reads reports the body asks for each quarter, half-year and year, with their cadence', () => {
    const d = parsePlanText(
      [
        'Số: 88/KH-UBND',
        'Các sở, ban, ngành báo cáo định kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12) về Sở Nội vụ.',
        'Định kỳ hằng quý, Công an tỉnh báo cáo kết quả trước ngày 20 của tháng cuối quý.',
        'Sở Tài chính gửi báo cáo chậm nhất là ngày 10/12/2024.',
      ].join('\n'),
      options,
    );
    expect(d.duties.map((x) => [x.code, x.leads, x.timeframe, x.schedule, x.flags])).toEqual([
      [
        'BC-15/6',
        ['Các sở, ban, ngành'],
        'định kỳ 6 tháng, trước ngày 15/6',
        { kind: 'every', months: 6, due: '06-15' },
        [],
      ],
      ['BC-15/12', ['Các sở, ban, ngành'], 'trước ngày 15/12', { kind: 'yearly', due: '12-15' }, []],
      [
        'BC-20/quý',
        ['Công an tỉnh'],
        'hằng quý, trước ngày 20 của tháng cuối quý',
        { kind: 'every', months: 3, due: '03-20' },
        [],
      ],
      ['BC-10/12/2024', ['Sở Tài chính'], 'chậm nhất là ngày 10/12/2024', { kind: 'once', due: '2024-12-10' }, []],
    ]);
  });

  it('reads a two-level header in tab-separated text and in pipes with a shorter sub-row', () => {
    const tsv = parsePlanText(
      [
        'TT\tNội dung\tĐơn vị thực hiện\t\tThời gian',
        '\t\tChủ trì\tPhối hợp\t',
        '1\tTập huấn\tSở Nội vụ\tSở Y tế\t2024',
      ].join('\n'),
      options,
    );
    const pipes = parsePlanText(
      [
        'TT | Nội dung | Trách nhiệm | Thời hạn |',
        'Chủ trì | Phối hợp |',
        '1 | Tập huấn | Sở Nội vụ | Sở Y tế | 2024 |',
      ].join('\n'),
      options,
    );
    const padded = parsePlanText(
      [
        '| TT | Nội dung | Trách nhiệm | Thời hạn |',
        '| | | Chủ trì | Phối hợp | |',
        '| 1 | Tập huấn | Sở Nội vụ | Sở Y tế | 2024 |',
      ].join('\n'),
      options,
    );
    for (const d of [tsv, pipes, padded]) {
      expect(rows(d), d.format).toEqual([['1', null, 'Tập huấn', ['Sở Nội vụ'], ['Sở Y tế'], '2024']]);
      expect(d.flags, d.format).toEqual([]);
    }
  });

  it('says so when a duty table has no row that reads as a duty', () => {
    const d = parsePlanRows([['TT', 'Nhiệm vụ', 'Chủ trì', 'Phối hợp', 'Thời gian']], {
      ...options,
      format: 'csv',
    });
    expect(d.duties).toEqual([]);
    expect(d.flags).toEqual([
      expect.stringMatching(
        /^Bảng nhiệm vụ \(hàng 1\) không có hàng nào đọc được .* \/ The duty table \(row 1\) has no row/,
      ),
    ]);
  });
});
