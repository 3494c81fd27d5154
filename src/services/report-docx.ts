import { withUnit } from '#root/domain/indicators.js';
import { shortDate } from '#root/domain/wording.js';
import { p, writeDocx, type Block, type Cell, type Paragraph, type Run, type Table } from '#root/lib/docx.js';
import { STATUS_COLUMNS } from './exports.js';
import { valueText } from './indicators.js';
import type { ReportData, Totals } from './report.js';

/**
 * The yearly report as a Word draft laid out as Nghị định 30/2020/NĐ-CP asks of an administrative
 * document: A4, Times New Roman 14 pt (tables 12–13 pt), margins 2 / 2 / 3 / 1.5 cm; the heading in
 * two columns (the issuing body over the number and symbol, left blank to fill; the national motto
 * over the place and date); the title; numbered sections; "Nơi nhận" and the signature block. The
 * appendix (every unit × duty, as the XLSX export) is a landscape section of its own.
 */

const FONT = 'Times New Roman';
const TEXT_WIDTH = 21 - 3 - 1.5;
/** Up to this many units not reporting an indicator are named in its row; more, under the table. */
const MISSING_IN_CELL = 5;

const upper = (s: string) => s.toLocaleUpperCase('vi');
const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10}`.replace('.', ',') + '%' : '—');

/** "Ủy ban nhân dân thành phố Hồ Chí Minh" → "Thành phố Hồ Chí Minh" (the place of the date line). */
export function placeOf(issuer: string | null): string | null {
  if (!issuer) return null;
  const rest = issuer.replace(/^\s*(?:ủy|uỷ)\s+ban\s+nhân\s+dân\s+/iu, '').trim();
  if (!rest || rest === issuer.trim()) return null;
  return rest.charAt(0).toLocaleUpperCase('vi') + rest.slice(1);
}

const cell = (
  text: string | Run[],
  o: Partial<Omit<Paragraph, 'kind' | 'runs'>> & { shade?: string; colSpan?: number } = {},
): Cell => {
  const { shade, colSpan, ...para } = o;
  const lines = typeof text === 'string' ? text.split('\n') : null;
  return {
    content: lines ? lines.map((l) => p([{ text: l, size: 12 }], para)) : [p(text, para)],
    ...(shade ? { shade } : {}),
    ...(colSpan ? { colSpan } : {}),
  };
};
const head = (text: string) => cell([{ text, bold: true, size: 12 }], { align: 'center', shade: 'EEF1F5' });

function heading(data: ReportData): Table {
  const plan = data.plans[0];
  const place = placeOf(plan?.issuer ?? null);
  const [d, m, y] = data.asOf.split('-').reverse();
  const parent = data.unit ? '' : plan?.issuer ? upper(plan.issuer) : '';
  const body = upper(data.unit ? data.unit.name : data.org.name);
  const left: Paragraph[] = [
    ...(parent ? [p([{ text: parent, size: 13 }], { align: 'center', after: 0 })] : []),
    p([{ text: body, bold: true, size: 13 }], { align: 'center', after: 0 }),
    p([{ text: '—————', size: 13 }], { align: 'center', after: 6 }),
    p([{ text: 'Số:        /BC-……', size: 13 }], { align: 'center' }),
  ];
  const right: Paragraph[] = [
    p([{ text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', bold: true, size: 13 }], { align: 'center', after: 0 }),
    p([{ text: 'Độc lập - Tự do - Hạnh phúc', bold: true, size: 14 }], { align: 'center', after: 0 }),
    p([{ text: '———————————', size: 13 }], { align: 'center', after: 6 }),
    p([{ text: `${place ?? '……'}, ngày ${d} tháng ${Number(m)} năm ${y}`, italic: true, size: 14 }], {
      align: 'center',
    }),
  ];
  return {
    kind: 'table',
    borders: false,
    widths: [7.2, TEXT_WIDTH - 7.2],
    rows: [[{ content: left }, { content: right }]],
  };
}

function planPhrase(data: ReportData): string {
  if (!data.plans.length) return 'Kế hoạch';
  if (data.plans.length === 1) return `Kế hoạch số ${data.plans[0]!.code}`;
  return `các Kế hoạch số ${data.plans.map((pl) => pl.code).join(', ')}`;
}

function totalsTable(data: ReportData): Table {
  const row = (label: string, f: (t: Totals) => string) => [
    cell(label),
    cell(f(data.totals), { align: 'center' }),
    cell(f(data.previous), { align: 'center' }),
  ];
  return {
    kind: 'table',
    borders: true,
    header: true,
    widths: [8.5, 4, 4],
    rows: [
      [head('Nội dung'), head(`Năm ${data.year}`), head(`Năm ${data.year - 1}`)],
      row('Tổng số lượt nhiệm vụ phải thực hiện', (t) => String(t.total)),
      row('Đã hoàn thành', (t) => String(t.done)),
      row('Đang thực hiện (chưa đến hạn)', (t) => String(t.open)),
      row('Quá hạn, chưa hoàn thành', (t) => String(t.overdue)),
      row('Được miễn', (t) => String(t.waived)),
      row('Tỷ lệ hoàn thành đúng hạn (trên số đã hoàn thành)', (t) => pct(t.doneOnTime, t.done)),
      row('Tỷ lệ hoàn thành (trên số phải thực hiện)', (t) => pct(t.done, t.total - t.waived)),
    ],
  };
}

function comparison(data: ReportData): string {
  const now = data.totals;
  const before = data.previous;
  if (!before.total) return `Năm ${data.year - 1} chưa có số liệu trên hệ thống để so sánh.`;
  const rate = (t: Totals) => (t.total - t.waived ? t.done / (t.total - t.waived) : 0);
  const diff = Math.round((rate(now) - rate(before)) * 1000) / 10;
  const word =
    diff > 0
      ? `tăng ${String(diff).replace('.', ',')} điểm phần trăm`
      : diff < 0
        ? `giảm ${String(-diff).replace('.', ',')} điểm phần trăm`
        : 'không thay đổi';
  return `So với năm ${data.year - 1} (${before.done}/${before.total - before.waived} lượt hoàn thành, ${pct(before.done, before.total - before.waived)}), tỷ lệ hoàn thành ${word}.`;
}

function indicatorTable(data: ReportData): Block[] {
  const y = data.year;
  if (data.unit) {
    if (!data.unitIndicators.length) return [p(`Đơn vị không có chỉ tiêu phải báo cáo năm ${y}.`, { indent: 1 })];
    return [
      {
        kind: 'table',
        borders: true,
        header: true,
        widths: [1.2, 6.8, 2.6, 3, 2.9],
        rows: [
          [head('TT'), head('Chỉ tiêu'), head(`Mục tiêu`), head('Kết quả của đơn vị'), head('Ghi chú')],
          ...data.unitIndicators.map((i) => [
            cell(i.code, { align: 'center' }),
            cell(i.title),
            cell(
              i.target
                ? `${withUnit(i.target.value, i.unit)}${i.target.year !== y ? ` (năm ${i.target.year})` : ''}`
                : '—',
              { align: 'center' },
            ),
            cell(i.value ? valueText(i.value, i.unit) : 'Chưa báo cáo', { align: 'center' }),
            cell(i.value?.note ?? ''),
          ]),
        ],
      },
    ];
  }
  if (!data.indicators.length) return [p(`Kế hoạch không có chỉ tiêu nào được theo dõi năm ${y}.`, { indent: 1 })];
  return [
    {
      kind: 'table',
      borders: true,
      header: true,
      widths: [1, 5.4, 2.2, 2.4, 1.9, 3.6],
      rows: [
        [
          head('TT'),
          head('Chỉ tiêu'),
          head(`Mục tiêu năm ${y}`),
          head('Kết quả'),
          head('Đánh giá'),
          head('Đơn vị chưa báo cáo'),
        ],
        ...data.indicators.map((i) => {
          const r = i.years[0]!;
          const reported = r.reported.length;
          const all = reported + r.missing.length;
          return [
            cell(i.code, { align: 'center' }),
            cell(i.title),
            cell(
              r.target
                ? `${withUnit(r.target.value, i.unit)}${r.target.year !== y ? `\n(mục tiêu năm ${r.target.year})` : ''}`
                : '—',
              { align: 'center' },
            ),
            cell(
              r.value === null
                ? 'Chưa có số liệu'
                : `${withUnit(r.value, i.unit)}\n(${reported}/${all} đơn vị báo cáo)`,
              { align: 'center' },
            ),
            cell(r.met === null ? '—' : r.met ? 'Đạt' : 'Không đạt', { align: 'center' }),
            cell(
              !r.missing.length
                ? 'Không'
                : r.missing.length <= MISSING_IN_CELL
                  ? r.missing.map((m) => m.unit).join('; ')
                  : `${r.missing.length}/${all} đơn vị (danh sách dưới bảng)`,
            ),
          ];
        }),
      ],
    },
    // Long lists of units under the table, where they read as text rather than a narrow column.
    ...data.indicators
      .filter((i) => (i.years[0]?.missing.length ?? 0) > MISSING_IN_CELL)
      .map((i) =>
        p(
          [
            { text: `Đơn vị chưa báo cáo chỉ tiêu ${i.code} (${i.years[0]!.missing.length}): `, italic: true },
            { text: `${i.years[0]!.missing.map((m) => m.unit).join('; ')}.` },
          ],
          { indent: 1, align: 'both' },
        ),
      ),
  ];
}

function appendix(data: ReportData): Block[] {
  const blocks: Block[] = [
    p([{ text: 'PHỤ LỤC', bold: true }], { align: 'center', after: 0 }),
    p([{ text: `TÌNH HÌNH THỰC HIỆN NHIỆM VỤ THEO ĐƠN VỊ NĂM ${data.year}`, bold: true }], {
      align: 'center',
      after: 0,
    }),
    p(
      [
        {
          text: `(Kèm theo Báo cáo số        /BC-…… ngày …/…/${data.year}; số liệu đến ngày ${shortDate(data.asOf)})`,
          italic: true,
        },
      ],
      {
        align: 'center',
        after: 12,
      },
    ),
  ];
  if (!data.appendix.length) blocks.push(p(`Không có nhiệm vụ nào trong năm ${data.year}.`));
  // The landscape page's text width: 29.7 − 3 − 1.5 = 25.2 cm.
  const widths = [1.5, 8.2, 4.6, 3, 2.4, 5.5];
  for (const plan of data.appendix) {
    blocks.push(p([{ text: `Kế hoạch số ${plan.code}: ${plan.title}`, bold: true }], { keepNext: true, before: 6 }));
    blocks.push({
      kind: 'text-table',
      header: [...STATUS_COLUMNS],
      widths,
      align: ['center', 'left', 'left', 'left', 'center', 'left'],
      size: 12,
      headerShade: 'EEF1F5',
      rows: plan.rows.map((r) => [
        r.tt,
        r.duty,
        r.unit,
        r.stateText,
        r.completedOn ? shortDate(r.completedOn) : '',
        r.note,
      ]),
    });
  }
  return blocks;
}

/** The report as a .docx file. */
export function reportDocx(data: ReportData): Buffer {
  const y = data.year;
  const blocks: Block[] = [];
  const section = (text: string) => blocks.push(p([{ text, bold: true }], { before: 6, keepNext: true }));
  const sub = (text: string) => blocks.push(p([{ text, bold: true, italic: true }], { indent: 1, keepNext: true }));
  const para = (text: string | Run[]) => blocks.push(p(text, { indent: 1, align: 'both' }));

  blocks.push(heading(data));
  blocks.push(p([{ text: 'BÁO CÁO', bold: true }], { align: 'center', before: 18, after: 0 }));
  blocks.push(
    p([{ text: `Kết quả thực hiện ${planPhrase(data)} năm ${y}`, bold: true }], { align: 'center', after: 0 }),
  );
  blocks.push(p([{ text: '————', size: 13 }], { align: 'center', after: 6 }));
  const plan = data.plans[0];
  const recipient = data.unit ? data.org.name : (plan?.issuer ?? 'Ủy ban nhân dân');
  blocks.push(p(`Kính gửi: ${recipient}.`, { align: 'center', after: 12 }));

  const issued = plan?.issuedOn ? ` ngày ${shortDate(plan.issuedOn)}` : '';
  const by = plan?.issuer ? ` của ${plan.issuer}` : '';
  const about = data.plans.length === 1 && plan ? ` về ${plan.title.replace(/^kế hoạch\s+/i, '')}` : '';
  const who = data.unit ? data.unit.name : data.org.name;
  para(
    data.plans.length
      ? `Thực hiện ${planPhrase(data)}${data.plans.length === 1 ? `${issued}${by}` : ''}${about}, ${who} báo cáo kết quả thực hiện năm ${y} (số liệu đến ngày ${shortDate(data.asOf)}) như sau:`
      : `${who} báo cáo kết quả thực hiện nhiệm vụ năm ${y} (số liệu đến ngày ${shortDate(data.asOf)}) như sau:`,
  );

  section('I. KẾT QUẢ THỰC HIỆN');
  sub('1. Kết quả chung');
  const t = data.totals;
  if (!t.total) {
    para(`Năm ${y} chưa có nhiệm vụ nào có thời hạn được ghi nhận trên hệ thống, nên chưa có số liệu để báo cáo.`);
  } else {
    para(
      `Năm ${y} có ${t.total} lượt nhiệm vụ phải thực hiện${data.unit ? '' : ' (mỗi nhiệm vụ tính theo từng đơn vị chủ trì và từng kỳ)'}: đã hoàn thành ${t.done} lượt, đang thực hiện ${t.open} lượt, quá hạn ${t.overdue} lượt${t.waived ? `, được miễn ${t.waived} lượt` : ''}. Tỷ lệ hoàn thành đúng hạn trên số đã hoàn thành: ${pct(t.doneOnTime, t.done)}.`,
    );
  }
  para(comparison(data));
  blocks.push(totalsTable(data));

  sub('2. Kết quả thực hiện từng nhiệm vụ');
  const duties = data.duties;
  if (!duties.length) para(`Không có nhiệm vụ nào trong năm ${y}.`);
  duties.forEach((d, i) => {
    blocks.push(
      p(
        [
          {
            text: `2.${i + 1}. Nhiệm vụ ${d.code}${data.plans.length > 1 ? ` (Kế hoạch số ${d.plan})` : ''}: `,
            bold: true,
          },
          { text: d.title },
        ],
        {
          indent: 1,
          align: 'both',
          keepNext: true,
        },
      ),
    );
    para([{ text: 'Tình hình: ', italic: true }, { text: `${d.stateText}.` }]);
    if (d.none) return;
    if (!data.unit) {
      para([
        { text: `Đơn vị đã hoàn thành (${d.done.length}): `, italic: true },
        { text: d.done.length ? `${d.done.join('; ')}.` : 'chưa có.' },
      ]);
      if (d.notDone.length)
        para([
          { text: `Đơn vị chưa hoàn thành (${d.notDone.length}): `, italic: true },
          { text: `${d.notDone.map((n) => `${n.unit} (${n.state.toLocaleLowerCase('vi')})`).join('; ')}.` },
        ]);
      if (d.waived.length)
        para([{ text: `Đơn vị được miễn (${d.waived.length}): `, italic: true }, { text: `${d.waived.join('; ')}.` }]);
    }
    for (const n of d.notes)
      para([{ text: data.unit ? 'Ghi chú: ' : `${n.unit}: `, italic: true }, { text: `“${n.note}”` }]);
    if (d.files.length)
      para([
        { text: 'Tài liệu kèm theo: ', italic: true },
        { text: `${d.files.map((f) => (data.unit ? f.name : `${f.name} (${f.unit})`)).join('; ')}.` },
      ]);
  });

  sub(`3. Kết quả thực hiện các chỉ tiêu năm ${y}`);
  blocks.push(...indicatorTable(data));

  section('II. KHÓ KHĂN, VƯỚNG MẮC');
  if (!data.difficulties.length) para('Các đơn vị không nêu khó khăn, vướng mắc trên hệ thống.');
  data.difficulties.forEach((dif, i) => {
    if (!data.unit)
      blocks.push(p([{ text: `${i + 1}. ${dif.unit}`, bold: true, italic: true }], { indent: 1, keepNext: true }));
    for (const item of dif.items) para(`- ${item}`);
  });

  section('III. KIẾN NGHỊ, ĐỀ XUẤT');
  const late = [
    ...new Set(duties.flatMap((d) => d.notDone.filter((n) => /quá hạn/i.test(n.state)).map((n) => n.unit))),
  ];
  if (!data.unit && late.length)
    para(
      `Đề nghị ${recipient} chỉ đạo các đơn vị chưa hoàn thành nhiệm vụ đúng hạn khẩn trương thực hiện và báo cáo kết quả: ${late.join('; ')}.`,
    );
  const missing = data.indicators.flatMap((i) => i.years[0]?.missing ?? []);
  if (!data.unit && missing.length)
    para(
      `Đề nghị các đơn vị chưa báo cáo số liệu chỉ tiêu bổ sung số liệu: ${[...new Set(missing.map((m) => m.unit))].join('; ')}.`,
    );
  para('(Cơ quan soạn thảo bổ sung các kiến nghị, đề xuất khác.)');

  // Nơi nhận and the signature, side by side.
  const to = data.unit ? `- ${data.org.name};` : `- ${recipient};`;
  blocks.push({
    kind: 'table',
    borders: false,
    widths: [8, TEXT_WIDTH - 8],
    rows: [
      [
        {
          content: [
            p([{ text: 'Nơi nhận:', bold: true, italic: true, size: 12 }], { before: 12, after: 0 }),
            p([{ text: to, size: 11 }], { after: 0 }),
            p([{ text: '- Lưu: VT.', size: 11 }], { after: 0 }),
          ],
        },
        {
          content: [
            p([{ text: data.unit ? 'THỦ TRƯỞNG ĐƠN VỊ' : 'GIÁM ĐỐC', bold: true, size: 14 }], {
              align: 'center',
              before: 12,
              after: 0,
            }),
            p([{ text: '(Ký, ghi rõ họ tên và đóng dấu)', italic: true, size: 13 }], { align: 'center', after: 60 }),
            p([{ text: '……………………', size: 14 }], { align: 'center' }),
          ],
        },
      ],
    ],
  });

  const title = `Báo cáo kết quả thực hiện ${planPhrase(data)} năm ${y}`;
  return writeDocx([{ blocks }, { blocks: appendix(data), landscape: true }], {
    font: FONT,
    size: 14,
    title,
    margins: { top: 2, bottom: 2, left: 3, right: 1.5 },
  });
}

/** The download's file name, ASCII only: "bao-cao-hcm-2026.docx", "bao-cao-hcm-2026-cong-an-thanh-pho.docx". */
export function reportFileName(orgCode: string, year: number, unitName?: string): string {
  const slug = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/đ/gi, 'd')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60);
  return `bao-cao-${slug(orgCode) || 'org'}-${year}${unitName ? `-${slug(unitName)}` : ''}.docx`;
}
