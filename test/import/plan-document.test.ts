import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImportError } from '#root/import/errors.js';
import { NO_DUTY_TABLE, parsePlanRows, parsePlanText, type PlanDraft } from '#root/import/plan-document.js';

const options = { defaultDue: '11-15' };
const sample = (name: string) => readFileSync(new URL(`../../prisma/sample/${name}`, import.meta.url), 'utf8');
const appendix = (d: PlanDraft) => d.duties.filter((x) => x.origin === 'appendix');
const duty = (d: PlanDraft, code: string) => {
  const found = d.duties.find((x) => x.code === code);
  if (!found) throw new Error(`no duty ${code}`);
  return found;
};

const CODES = [
  '1.1',
  '1.2',
  '2.1',
  '2.2',
  '3.1',
  '3.2',
  '3.3',
  '3.4',
  '4.1',
  '4.2',
  '4.3',
  '4.4',
  '4.5',
  '4.6',
  '4.7',
  '4.8',
  '4.9',
  '5.1',
  '5.2',
  '5.3',
  '6.1',
  '6.2',
  '6.3',
  '6.4',
  '6.5',
  '6.6',
  '7',
];

describe('the HCMC plan 3131/KH-UBND as text', () => {
  const draft = parsePlanText(sample('kh-3131-hcm.txt'), options);

  it('reads the plan metadata', () => {
    expect(draft.format).toBe('plan-text');
    expect(draft.plan).toMatchObject({
      code: '3131/KH-UBND',
      issuedOn: '2023-07-07',
      horizonYear: 2030,
    });
    expect(draft.plan.issuer).toBe('Ủy ban nhân dân Thành phố Hồ Chí Minh');
    expect(draft.plan.title).toMatch(
      /^Kế hoạch hành động triển khai thực hiện Chiến lược An toàn, An ninh mạng quốc gia.*Thành phố Hồ Chí Minh$/,
    );
    expect(draft.flags).toEqual([]);
  });

  it('reads exactly the 27 appendix duties, in order, and nothing from the other tables', () => {
    expect(appendix(draft).map((d) => d.code)).toEqual(CODES);
    const titles = draft.duties.map((d) => d.title).join('\n');
    expect(titles).not.toMatch(/Tỷ lệ hệ thống thông tin|Thống nhất|Ban Dân tộc/);
  });

  it('splits the unit cells and keeps the timeframe verbatim', () => {
    const d = duty(draft, '4.2');
    expect(d.leads).toEqual(['Sở Thông tin và Truyền thông']);
    expect(d.cooperating).toEqual([
      'Các sở, ban, ngành',
      'Ủy ban nhân dân quận, huyện, thành phố Thủ Đức',
      'Các cơ quan, đơn vị và doanh nghiệp liên quan',
    ]);
    expect(d).toMatchObject({
      timeframe: 'Hàng năm',
      schedule: { kind: 'yearly', due: '11-15' },
      flags: [],
      where: 'dòng 70',
    });
    expect(d.title).toBe('Tổ chức diễn tập thực chiến an toàn thông tin mạng tối thiểu mỗi năm 1 lần');
    expect(duty(draft, '1.1').leads).toEqual(['Sở Thông tin và Truyền thông', 'Chi hội an toàn thông tin phía nam']);
    expect(duty(draft, '2.2')).toMatchObject({
      timeframe: '2023-2025',
      schedule: { kind: 'yearly', from: 2023, to: 2025 },
    });
    expect(duty(draft, '6.1').schedule).toEqual({
      kind: 'once',
      due: '2023-12-31',
    });
  });

  it('takes section rows as sections, not duties; a numbered row with units is a duty', () => {
    expect(duty(draft, '4.2')).toMatchObject({ section: '4' });
    expect(duty(draft, '4.2').sectionTitle).toMatch(/^Bảo vệ hạ tầng số, nền tảng số/);
    expect(duty(draft, '1.1').sectionTitle).toBe(
      'Tuyên truyền nâng cao nhận thức, phổ biến kiến thức về an toàn thông tin',
    );
    expect(duty(draft, '7')).toMatchObject({
      section: null,
      leads: ['Sở Tài chính'],
      cooperating: ['Sở Thông tin và Truyền thông'],
      timeframe: 'Hàng năm',
    });
    for (const code of ['1', '2', '3', '4', '5', '6']) expect(draft.duties.some((d) => d.code === code)).toBe(false);
  });

  it('proposes the two reports the body text asks for', () => {
    const reports = draft.duties.filter((d) => d.origin === 'report');
    expect(reports.map((d) => d.code).sort()).toEqual(['BC-15/11', 'BC-30/11']);
    expect(duty(draft, 'BC-15/11')).toMatchObject({
      leads: ['Các cơ quan, đơn vị, doanh nghiệp có liên quan'],
      schedule: { kind: 'yearly', due: '11-15' },
      section: null,
      flags: [],
    });
    expect(duty(draft, 'BC-15/11').title).toMatch(
      /^Định kỳ hàng năm, các cơ quan, đơn vị, doanh nghiệp có liên quan xây dựng báo cáo/,
    );
    expect(duty(draft, 'BC-30/11')).toMatchObject({
      leads: ['Sở Thông tin và Truyền thông'],
      schedule: { kind: 'yearly', due: '11-30' },
    });
    expect(duty(draft, 'BC-30/11').title).toMatch(
      /trước ngày 30 tháng 11 tổng hợp, báo cáo Bộ Thông tin và Truyền thông/,
    );
  });
});

describe('the same plan extracted from a PDF (best effort)', () => {
  const draft = parsePlanText(sample('kh-3131-hcm-pdf.txt'), options);
  const text = parsePlanText(sample('kh-3131-hcm.txt'), options);

  it('finds the plan and recovers most duties, in order, the same as the text', () => {
    expect(draft.format).toBe('pdf-text');
    expect(draft.plan).toMatchObject({
      code: '3131/KH-UBND',
      issuedOn: '2023-07-07',
      horizonYear: 2030,
    });
    const codes = appendix(draft).map((d) => d.code);
    expect(codes).toContain('4.2');
    expect(codes).toContain('7');
    expect(codes.length).toBeGreaterThanOrEqual(25);
    expect(codes).toEqual(CODES.filter((c) => codes.includes(c)));
    for (const d of appendix(draft)) {
      const same = duty(text, d.code);
      expect(d.title, d.code).toBe(same.title);
      expect(d.leads, d.code).toEqual(same.leads);
      expect(d.cooperating, d.code).toEqual(same.cooperating);
      expect(d.timeframe, d.code).toBe(same.timeframe);
    }
  });

  it('flags the rows it could not split instead of dropping them', () => {
    const missing = CODES.filter((c) => !appendix(draft).some((d) => d.code === c));
    for (const code of missing)
      expect(draft.flags.join('\n')).toMatch(
        new RegExp(`Không tách được các cột ở dòng \\d+: «${code.replace('.', '\\.')} `),
      );
    expect(duty(draft, '7').flags.join(' ')).toMatch(/phỏng đoán/);
  });

  it('finds the report duties in the wrapped body text', () => {
    expect(draft.duties.filter((d) => d.origin === 'report').map((d) => [d.code, d.leads])).toEqual([
      ['BC-30/11', ['Sở Thông tin và Truyền thông']],
      ['BC-15/11', ['Các cơ quan, đơn vị, doanh nghiệp có liên quan']],
    ]);
  });
});

describe('pasted tables', () => {
  it('reads a pipe table without outer pipes, skipping the header repeated on each page', () => {
    const d = parsePlanText(
      [
        'TT | Nội dung nhiệm vụ | Cơ quan chủ trì | Phối hợp | Thời hạn',
        '1 | Tuyên truyền',
        '1.1 | Tập huấn | Sở Thông tin và Truyền thông | Công an Thành phố | Hàng năm',
        '',
        'Trang 2',
        'TT | Nội dung nhiệm vụ | Cơ quan chủ trì | Phối hợp | Thời hạn',
        '1.2 | Diễn tập | Sở Thông tin và Truyền thông |  | Trước ngày 31/7/2024',
      ].join('\n'),
      options,
    );
    expect(d.format).toBe('table-text');
    expect(d.plan.code).toBeNull();
    expect(d.duties.map((x) => [x.code, x.section, x.sectionTitle, x.leads])).toEqual([
      ['1.1', '1', 'Tuyên truyền', ['Sở Thông tin và Truyền thông']],
      ['1.2', '1', 'Tuyên truyền', ['Sở Thông tin và Truyền thông']],
    ]);
    expect(d.duties[1]).toMatchObject({
      cooperating: [],
      schedule: { kind: 'once', due: '2024-07-31' },
      where: 'dòng 7',
    });
    expect(d.flags).toEqual([]);
  });

  it('reads a Markdown table with outer pipes', () => {
    const d = parsePlanText(
      [
        '| STT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
        '|---|---|---|---|---|',
        '| 1 | Rà soát quy chế | Văn phòng | - Sở Tư pháp - Sở Nội vụ | 2025 |',
      ].join('\n'),
      options,
    );
    expect(d.duties).toHaveLength(1);
    expect(d.duties[0]).toMatchObject({
      code: '1',
      leads: ['Văn phòng'],
      cooperating: ['Sở Tư pháp', 'Sở Nội vụ'],
      schedule: { kind: 'once', due: '2025-12-31' },
    });
  });

  it('reads a cell per line between lone "|" lines, multi-line unit cells included', () => {
    const d = parsePlanText(
      [
        'TT',
        '|',
        'Nhiệm vụ',
        '|',
        'Chủ trì',
        '|',
        'Phối hợp',
        '|',
        'Thời gian',
        '|',
        '4',
        '|',
        'Bảo vệ hạ tầng số',
        '|',
        '|',
        '|',
        '|',
        '4.1',
        '|',
        'Kiểm tra liên ngành',
        '|',
        'Công an Thành phố',
        '|',
        '- Sở Thông tin và Truyền thông',
        '- Bộ Tư lệnh Thành phố',
        '|',
        'Hàng năm',
        '|',
        '4.2',
        '|',
        'Diễn tập',
        '|',
        'Sở Thông tin và Truyền thông',
        '|',
        'Các sở, ban, ngành',
        '|',
        'Thường xuyên',
        '|',
      ].join('\n'),
      options,
    );
    expect(d.duties.map((x) => [x.code, x.section, x.title, x.leads, x.cooperating, x.timeframe])).toEqual([
      [
        '4.1',
        '4',
        'Kiểm tra liên ngành',
        ['Công an Thành phố'],
        ['Sở Thông tin và Truyền thông', 'Bộ Tư lệnh Thành phố'],
        'Hàng năm',
      ],
      ['4.2', '4', 'Diễn tập', ['Sở Thông tin và Truyền thông'], ['Các sở, ban, ngành'], 'Thường xuyên'],
    ]);
    expect(d.flags).toEqual([]);
  });

  it('reads tab-separated text pasted from Excel, with a quoted multi-line cell and a repeated header', () => {
    const d = parsePlanText(
      [
        'TT\tNhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian thực hiện',
        '1\tTuyên truyền\t\t\t',
        '1.1\tTập huấn\t"- Sở Thông tin và Truyền thông',
        '- Công an Thành phố"\tCác đơn vị liên quan\t2023-2025',
        'TT\tNhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian thực hiện',
        '1.2\tDiễn tập\tSở Thông tin và Truyền thông\t\tHàng năm',
      ].join('\n'),
      options,
    );
    expect(d.format).toBe('tsv');
    expect(d.duties.map((x) => [x.code, x.section, x.leads, x.timeframe])).toEqual([
      ['1.1', '1', ['Sở Thông tin và Truyền thông', 'Công an Thành phố'], '2023-2025'],
      ['1.2', '1', ['Sở Thông tin và Truyền thông'], 'Hàng năm'],
    ]);
  });

  it('flags a row it cannot split into the columns, and reads the others', () => {
    const d = parsePlanText(
      [
        'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
        '1.1 | Tập huấn | Sở Thông tin và Truyền thông | Công an Thành phố | Hàng năm |',
        '1.2 | Diễn tập Sở Thông tin và Truyền thông | Hàng năm |',
        '1.3 | Rà soát | Sở Nội vụ | Sở Tư pháp | 2024 | thừa | thừa nữa |',
        '1.4 | Kiểm tra | Sở Y tế | | Thường xuyên |',
      ].join('\n'),
      options,
    );
    expect(d.duties.map((x) => x.code)).toEqual(['1.1', '1.4']);
    expect(d.flags).toHaveLength(2);
    expect(d.flags[0]).toMatch(
      /^Không tách được các cột ở dòng 3: «1\.2 \| Diễn tập Sở Thông tin và Truyền thông \| Hàng năm» \/ The row at line 3 could not be split/,
    );
    expect(d.flags[1]).toMatch(/dòng 4: «1\.3/);
  });

  it('flags a duty without a lead, title or understood timeframe', () => {
    const d = parsePlanText(
      [
        'TT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian |',
        '1 | Tập huấn |  | Sở Y tế | khi nào rảnh |',
        '2 |  | Sở Y tế |  | Hàng năm |',
      ].join('\n'),
      options,
    );
    expect(d.duties[0]!.schedule.kind).toBe('unparsed');
    expect(d.duties[0]!.flags.join('\n')).toMatch(/Thiếu đơn vị chủ trì/);
    expect(d.duties[0]!.flags.join('\n')).toMatch(/khi nào rảnh/);
    expect(d.duties[1]!.flags).toEqual(['Thiếu tên nhiệm vụ / The duty has no title']);
  });

  it('refuses an empty text; a text without a duty table gives no duties and a plan flag', () => {
    expect(() => parsePlanText(' \n\t\n', options)).toThrow(ImportError);
    expect(() => parsePlanText(' \n\t\n', options)).toThrow(/^Tệp trống\. \/ The file is empty\.$/);
    for (const text of ['TT | Nội dung chỉ tiêu | Kế hoạch 2023 |\n1. | Tỷ lệ | 80% |', 'Một đoạn văn bản.']) {
      const d = parsePlanText(text, options);
      expect(d.duties, text).toEqual([]);
      expect(d.flags, text).toEqual([NO_DUTY_TABLE]);
      expect(NO_DUTY_TABLE).toMatch(/Không tìm thấy bảng nhiệm vụ/);
    }
  });
});

describe('grids (parsePlanRows)', () => {
  it('finds the header below a title, maps loose headers and continues merged rows', () => {
    const d = parsePlanRows(
      [
        ['Phụ lục phân công nhiệm vụ'],
        [],
        ['So TT', 'Noi dung', 'Co quan chu tri', 'Don vi phoi hop', 'Tien do'],
        ['I', 'TUYÊN TRUYỀN', '', '', ''],
        ['1', 'Tập huấn', 'Sở Thông tin và Truyền thông', 'Công an Thành phố', 'Hàng năm'],
        ['', '', 'Bộ Tư lệnh Thành phố', '', ''],
        ['2', 'Diễn tập', 'Sở Thông tin và Truyền thông', '', 'Thường xuyên'],
        ['2', 'Diễn tập', 'Sở Thông tin và Truyền thông', 'Sở Y tế', 'Thường xuyên'],
      ],
      { ...options, format: 'csv' },
    );
    expect(d.format).toBe('csv');
    expect(d.duties.map((x) => [x.code, x.section, x.sectionTitle, x.leads, x.cooperating, x.where])).toEqual([
      [
        '1',
        'I',
        'TUYÊN TRUYỀN',
        ['Sở Thông tin và Truyền thông', 'Bộ Tư lệnh Thành phố'],
        ['Công an Thành phố'],
        'hàng 5',
      ],
      ['2', 'I', 'TUYÊN TRUYỀN', ['Sở Thông tin và Truyền thông'], ['Sở Y tế'], 'hàng 7'],
    ]);
  });

  it('reads a header spread over two rows ("Đơn vị thực hiện" over "Chủ trì | Phối hợp")', () => {
    const d = parsePlanRows(
      [
        ['STT', 'Nhiệm vụ', 'Đơn vị thực hiện', '', 'Thời gian'],
        ['', '', 'Chủ trì', 'Phối hợp', ''],
        ['1', 'Tập huấn', 'Sở Y tế', 'Sở Tư pháp', '2024'],
      ],
      { ...options, format: 'xlsx', sourceOf: (i) => `Sheet1!A${i + 1}` },
    );
    expect(d.duties).toMatchObject([
      {
        code: '1',
        leads: ['Sở Y tế'],
        cooperating: ['Sở Tư pháp'],
        where: 'Sheet1!A3',
      },
    ]);
  });

  it('renames and flags a number used twice', () => {
    const d = parsePlanRows(
      [
        ['TT', 'Nhiệm vụ', 'Chủ trì', 'Thời gian'],
        ['1', 'A', 'Sở Y tế', 'Hàng năm'],
        ['2', 'B', 'Sở Y tế', 'Hàng năm'],
        ['1', 'C', 'Sở Y tế', 'Hàng năm'],
      ],
      { ...options, format: 'csv' },
    );
    expect(d.duties.map((x) => x.code)).toEqual(['1', '2', '1 (2)']);
    expect(d.duties[2]!.flags[0]).toMatch(/bị trùng/);
  });

  it('gives no duties and a plan flag for a grid without a duty header; refuses an empty one', () => {
    const d = parsePlanRows([['STT', 'Đơn vị', 'Nội dung góp ý']], { ...options, format: 'csv' });
    expect(d.duties).toEqual([]);
    expect(d.flags).toEqual([NO_DUTY_TABLE]);
    expect(() => parsePlanRows([[''], []], { ...options, format: 'csv' })).toThrow(/Tệp trống/);
  });
});

describe("the plan's horizon (its last year)", () => {
  const table = (rows: string[]) =>
    ['TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |', ...rows].join('\n');

  it("is not taken from a duty's row of a pasted appendix", () => {
    for (const phrase of ['Giai đoạn 2023 - 2025', 'Đến năm 2025']) {
      const draft = parsePlanText(
        table([
          `1 | Hoàn thiện quy chế | Sở Y tế | | ${phrase} |`,
          '2 | Diễn tập ứng cứu sự cố | Sở Nội vụ | | Quý I/2027 |',
        ]),
        options,
      );
      expect(draft.plan.horizonYear, phrase).toBeNull();
      expect(duty(draft, '2').schedule).toEqual({
        kind: 'once',
        due: '2027-03-31',
      });
    }
  });

  it("comes from the plan's title, not from the rows of its table", () => {
    const text = [
      'Số: 45/KH-UBND',
      'KẾ HOẠCH',
      'Ủy ban nhân dân tỉnh ban hành Kế hoạch chuyển đổi số giai đoạn 2024-2030 như sau:',
      'Các sở báo cáo kết quả đến năm 2035 theo yêu cầu.',
      table([
        '1 | Xây dựng nền tảng | Sở Y tế | | Giai đoạn 2024 - 2040 |',
        '2 | Đánh giá | Sở Nội vụ | | Đến năm 2045 |',
      ]),
    ].join('\n');
    const draft = parsePlanText(text, options);
    expect(draft.plan.title).toMatch(/giai đoạn 2024-2030$/);
    expect(draft.plan.horizonYear).toBe(2030);
  });

  it("comes from the plan's own text when the title has none, never from a cited document", () => {
    const text = [
      'Số: 46/KH-UBND',
      '- 1 Quyết định 964/QĐ-TTg năm 2022 phê duyệt Chiến lược đến năm 2045',
      'Kế hoạch được thực hiện đến năm 2028.',
      table(['1 | Xây dựng nền tảng | Sở Y tế | | Đến năm 2040 |']),
    ].join('\n');
    expect(parsePlanText(text, options).plan.horizonYear).toBe(2028);
  });
});
