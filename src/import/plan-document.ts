/**
 * Plan documents → drafts: the duty appendix ("TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp |
 * Thời gian thực hiện"), the plan's number, date, issuer and horizon, and the reports the body text
 * asks for ("… gửi về Sở Thông tin và Truyền thông trước ngày 15 tháng 11"). Nothing is written here:
 * the draft goes to the review (src/services/plans.ts).
 *
 * Layouts understood: pipe tables (with or without outer pipes, a cell per line between lone `|`
 * lines), tab-separated text pasted from Word or Excel, grids (CSV/XLSX rows) and, best effort, the
 * text a PDF extractor gives (cells as blank-line separated blocks).
 */
import { parse as parseDelimited } from 'csv-parse/sync';
import { parseTimeframe } from '../domain/timeframe.js';
import { fold, tidy } from '../domain/text.js';
import type { IsoDate, MonthDay, Schedule } from '../domain/types.js';
import { splitUnitCell } from '../domain/units.js';
import { ImportError } from './errors.js';

/** One duty as parsed, before names are matched to units. */
export interface DutyDraft {
  /** "4.2" for appendix duties, "BC-15/11" for report duties. */
  code: string;
  title: string;
  /** The section row above the duty ("4"), null for a top-level duty. */
  section: string | null;
  sectionTitle: string | null;
  /** `appendix`: a row of the duty table; `report`: a report the body text asks for. */
  origin: 'appendix' | 'report';
  leads: string[];
  cooperating: string[];
  /** The timeframe phrase as written (tidied). */
  timeframe: string;
  schedule: Schedule;
  /** Notes for the administrator: empty cells, timeframes not understood, columns split by guess. */
  flags: string[];
  /** Where the duty was read: 'dòng 49', 'hàng 5', 'Sheet1!A5'. */
  source: string;
}

/** What a file says about a plan and its duties. */
export interface PlanDraft {
  plan: {
    code: string | null;
    title: string | null;
    issuer: string | null;
    issuedOn: IsoDate | null;
    horizonYear: number | null;
  };
  duties: DutyDraft[];
  /** Plan-level problems: rows that could not be split into columns, rows outside any duty… */
  flags: string[];
  /** 'plan-text' | 'pdf-text' | 'csv' | 'xlsx' | 'tsv' | 'table-text' */
  format: string;
}

/** Parser options. */
export interface ParseOptions {
  /** Due day of yearly duties whose timeframe gives none (the organisation's yearly report date). */
  defaultDue: MonthDay;
}

/** The message when a file has no duty table. */
export const NO_DUTY_TABLE =
  'Không tìm thấy bảng nhiệm vụ (cần các cột TT, Nhiệm vụ, Chủ trì, Phối hợp, Thời gian) / no duty table found (columns needed: number, duty, lead, cooperating, timeframe)';

/** The message when a file is empty. */
export const EMPTY_FILE = 'Tệp trống / the file is empty';

type Role = 'code' | 'title' | 'lead' | 'cooperating' | 'timeframe';
/** The column index of each role in a table. */
type Columns = Partial<Record<Role, number>>;

/** A row of a table, its cells in the header's column order. */
interface TableRow {
  cells: string[];
  /** 'dòng 49', 'hàng 5', 'Sheet1!A5'. */
  where: string;
  /** False when the row could not be split into the table's columns. */
  complete: boolean;
  /** Notes for the duty read from this row (columns split by guess…). */
  notes?: string[];
}

// ---------------------------------------------------------------------------------------------
// Headers

const CODE_HEADER = /^(tt|stt|s tt|so tt|so thu tu|thu tu|ma|ma so|ma nv|ma nhiem vu)$/;

/** The role of a header cell, matched loosely (case, diacritics, punctuation do not matter). */
function headerRole(cell: string): Role | null {
  const f = fold(cell)
    .replace(/[.\-/]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!f) return null;
  if (f.includes('chu tri')) return 'lead';
  if (f.includes('phoi hop')) return 'cooperating';
  if (/^(thoi gian|thoi han|tien do|han hoan thanh|moc thoi gian|thoi diem)/.test(f)) return 'timeframe';
  if (CODE_HEADER.test(f)) return 'code';
  if (/^(nhiem vu|noi dung|ten nhiem vu|cong viec|ten cong viec|hoat dong|giai phap)/.test(f)) return 'title';
  if (/^(don vi|co quan) thuc hien$/.test(f)) return 'lead';
  return null;
}

/** The columns of a duty-table header row, or null when the row is not one. */
function mapHeader(cells: string[]): Columns | null {
  const columns: Columns = {};
  cells.forEach((cell, i) => {
    const role = headerRole(cell);
    if (role && columns[role] === undefined) columns[role] = i;
  });
  const others = (['code', 'lead', 'cooperating', 'timeframe'] as const).filter((r) => columns[r] !== undefined).length;
  if (columns.title === undefined || others < 2) return null;
  if (columns.lead === undefined && columns.timeframe === undefined) return null;
  return columns;
}

/** A header row of some other table ("STT | Đơn vị | Nội dung góp ý …"): the duty table ends there. */
function isForeignHeader(cells: string[]): boolean {
  const filled = cells.map((c) => c.trim()).filter(Boolean);
  if (filled.length < 2) return false;
  return CODE_HEADER.test(fold(filled[0]!)) && !mapHeader(cells);
}

// ---------------------------------------------------------------------------------------------
// Rows → duties

const CODE_TOKEN = /^(\d{1,2}(?:\.\d{1,2}){0,3}|[IVXL]{1,6})[.)]?$/;

function cleanCell(cell: string): string {
  return cell
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

function normCode(cell: string): string {
  return tidy(cell)
    .replace(/\s+/g, '')
    .replace(/[.)]+$/, '');
}

function excerpt(cells: string[]): string {
  const text = tidy(cells.filter((c) => c.trim()).join(' | '));
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function unsplittable(row: TableRow): string {
  return `Không tách được các cột ở ${row.where}: «${excerpt(row.cells)}» / could not split the row into the table's columns (${row.where})`;
}

/** "1" → "n", "4.2" → "n.n", "II" → "R": peers share a shape. */
function codeShape(code: string): string {
  return /^[IVXL]+$/.test(code) ? 'R' : code.replace(/\d+/g, 'n');
}

interface Building {
  code: string;
  titles: string[];
  leads: string[];
  cooperating: string[];
  times: string[];
  section: string | null;
  sectionTitle: string | null;
  source: string;
  notes: string[];
}

function pushNew(list: string[], text: string): void {
  const t = text.trim();
  if (t && !list.includes(t)) list.push(t);
}

/**
 * Turns table rows into duties: section rows set the section of the duties below them, rows with
 * no number (or the number of the duty above, from merged cells) continue the duty above, repeated
 * header rows are skipped, and rows that cannot be read become plan flags.
 */
function buildDuties(rows: TableRow[], columns: Columns, options: ParseOptions, flags: string[]): DutyDraft[] {
  const built: Building[] = [];
  let section: string | null = null;
  let sectionTitle: string | null = null;
  let last: Building | null = null;
  let lastWasSection = false;
  let autoNumber = 0;
  const get = (row: TableRow, role: Role) => {
    const i = columns[role];
    return i === undefined ? '' : cleanCell(row.cells[i] ?? '');
  };

  for (const row of rows) {
    if (!row.cells.some((c) => c.trim())) continue;
    if (mapHeader(row.cells)) continue;
    let code = normCode(get(row, 'code'));
    let title = get(row, 'title');
    const lead = get(row, 'lead');
    const coop = get(row, 'cooperating');
    const time = get(row, 'timeframe');
    // "I. TUYÊN TRUYỀN" in the number column of a merged row.
    const joined = /^([IVXL]{1,6}|\d{1,2}(?:\.\d{1,2}){0,3})[.)]?\s+(\S.*)$/su.exec(tidy(get(row, 'code')));
    if (!title && joined) {
      code = joined[1]!;
      title = joined[2]!;
    }
    const restEmpty = !lead && !coop && !time;

    if (!row.complete) {
      const filled = row.cells.filter((c) => c.trim()).length;
      if (!(code && title && restEmpty && filled <= 2)) {
        flags.push(unsplittable(row));
        continue;
      }
    }
    if (code && !CODE_TOKEN.test(code) && !/^[\p{L}\d]{1,4}([.-]\d{1,3}){0,3}$/u.test(code)) {
      flags.push(unsplittable(row));
      continue;
    }

    if (code && restEmpty) {
      if (!title) {
        flags.push(unsplittable(row));
        continue;
      }
      section = code;
      sectionTitle = tidy(title);
      lastWasSection = true;
      last = null;
      continue;
    }

    const continues = last && (!code || code === last.code);
    if (continues && last) {
      pushNew(last.titles, title);
      pushNew(last.leads, lead);
      pushNew(last.cooperating, coop);
      pushNew(last.times, time);
      continue;
    }
    if (!code) {
      if (columns.code === undefined) {
        code = String(++autoNumber);
      } else if (lastWasSection && title && restEmpty) {
        sectionTitle = tidy(`${sectionTitle ?? ''} ${title}`);
        continue;
      } else {
        flags.push(
          `Hàng không có số TT, không rõ thuộc nhiệm vụ nào ở ${row.where}: «${excerpt(row.cells)}» / a row without a number (${row.where})`,
        );
        continue;
      }
    }

    // Which section: a duty numbered like the section rows ("7" after section "6") is their peer.
    if (section !== null && codeShape(code) === codeShape(section)) {
      section = null;
      sectionTitle = null;
    } else if (section !== null && /^\d+$/.test(section) && code.includes('.') && !code.startsWith(`${section}.`)) {
      section = code.slice(0, code.lastIndexOf('.'));
      sectionTitle = null;
    }
    const duty: Building = {
      code,
      titles: title ? [title] : [],
      leads: lead ? [lead] : [],
      cooperating: coop ? [coop] : [],
      times: time ? [time] : [],
      section,
      sectionTitle,
      source: row.where,
      notes: [...(row.notes ?? [])],
    };
    built.push(duty);
    last = duty;
    lastWasSection = false;
  }

  // Numbers must be unique within a plan: a repeated number is kept, renamed and flagged.
  const seen = new Map<string, number>();
  for (const b of built) {
    const n = (seen.get(b.code) ?? 0) + 1;
    seen.set(b.code, n);
    if (n > 1) {
      b.notes.push(`Số TT «${b.code}» bị trùng, đã đổi thành «${b.code} (${n})» / duplicate number «${b.code}»`);
      b.code = `${b.code} (${n})`;
    }
  }
  return built.map((b) => finishDuty(b, options));
}

function finishDuty(b: Building, options: ParseOptions): DutyDraft {
  const title = tidy(b.titles.join(' '));
  const leads = b.leads.flatMap((c) => splitUnitCell(c));
  const cooperating = b.cooperating.flatMap((c) => splitUnitCell(c));
  const timeframe = tidy(b.times.join(' '));
  const parsed = parseTimeframe(timeframe, { defaultDue: options.defaultDue });
  const flags = [...b.notes];
  if (!title) flags.push('Thiếu tên nhiệm vụ / the duty has no title');
  if (leads.length === 0) flags.push('Thiếu đơn vị chủ trì / the duty has no lead unit');
  if (!timeframe) flags.push('Thiếu thời gian thực hiện / the duty has no timeframe');
  for (const f of parsed.flags) if (!flags.includes(f)) flags.push(f);
  return {
    code: b.code,
    title,
    section: b.section,
    sectionTitle: b.sectionTitle,
    origin: 'appendix',
    leads: [...new Set(leads)],
    cooperating: [...new Set(cooperating)],
    timeframe,
    schedule: parsed.schedule,
    flags,
    source: b.source,
  };
}

// ---------------------------------------------------------------------------------------------
// Grids (CSV, XLSX, TSV)

/** Finds the header row of a grid (a header may span two rows: "Đơn vị thực hiện" over "Chủ trì | Phối hợp"). */
function findGridHeader(rows: string[][]): { columns: Columns; width: number; next: number } | null {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] ?? [];
    const below = rows[i + 1] ?? [];
    const single = mapHeader(row);
    if (single && single.lead !== undefined && single.cooperating !== undefined)
      return { columns: single, width: row.length, next: i + 1 };
    const width = Math.max(row.length, below.length);
    const merged = Array.from({ length: width }, (_, j) => {
      const top = (row[j] ?? '').trim();
      const sub = (below[j] ?? '').trim();
      return sub && headerRole(sub) ? sub : top || sub;
    });
    const two = mapHeader(merged);
    if (two && below.some((c) => headerRole(c)) && Object.keys(two).length > Object.keys(single ?? {}).length) {
      return { columns: two, width, next: i + 2 };
    }
    if (single) return { columns: single, width: row.length, next: i + 1 };
  }
  return null;
}

function gridDuties(
  rows: string[][],
  options: ParseOptions,
  sourceOf: (rowIndex: number) => string,
  flags: string[],
): DutyDraft[] | null {
  const header = findGridHeader(rows);
  if (!header) return null;
  const width = Math.max(header.width, ...Object.values(header.columns).map((i) => i + 1));
  const table: TableRow[] = [];
  for (let i = header.next; i < rows.length; i++) {
    const cells = rows[i] ?? [];
    if (isForeignHeader(cells)) break;
    const extra = cells.slice(width).some((c) => c.trim());
    table.push({ cells, where: sourceOf(i), complete: !extra });
  }
  return buildDuties(table, header.columns, options, flags);
}

const EMPTY_PLAN: PlanDraft['plan'] = {
  code: null,
  title: null,
  issuer: null,
  issuedOn: null,
  horizonYear: null,
};

/**
 * Reads a grid (rows of cells from CSV, XLSX or TSV): finds the header row by its titles (loosely:
 * "STT", "Don vi chu tri", "Thời hạn"…), maps the columns and reads the duties below it, up to the
 * next table's header. Plan metadata stays empty: grids carry only the table.
 *
 * @throws ImportError when no duty header is found.
 */
export function parsePlanRows(
  rows: string[][],
  options: ParseOptions & {
    format: string;
    sourceOf?: (rowIndex: number) => string;
  },
): PlanDraft {
  if (!rows.some((r) => r.some((c) => c.trim()))) throw new ImportError(EMPTY_FILE);
  const flags: string[] = [];
  const duties = gridDuties(rows, options, options.sourceOf ?? ((i) => `hàng ${i + 1}`), flags);
  if (!duties) throw new ImportError(NO_DUTY_TABLE);
  return { plan: { ...EMPTY_PLAN }, duties, flags, format: options.format };
}

// ---------------------------------------------------------------------------------------------
// Pipe tables and cells between lone "|" lines

interface Found {
  columns: Columns;
  width: number;
  /** Index of the header's first line and of the first line after it. */
  start: number;
  next: number;
  leading: boolean;
  trailing: boolean;
}

function pipeCells(line: string): {
  cells: string[];
  leading: boolean;
  trailing: boolean;
} {
  let t = line.trim();
  const leading = t.startsWith('|');
  if (leading) t = t.slice(1);
  const trailing = t.endsWith('|');
  if (trailing) t = t.slice(0, -1);
  return { cells: t.split('|').map((c) => c.trim()), leading, trailing };
}

/** A header written a cell per line: "TT", "|", "Nhiệm vụ", "|", … */
function cellPerLineHeader(lines: string[], i: number): Found | null {
  const first = (lines[i] ?? '').trim();
  if (!CODE_HEADER.test(fold(first)) || (lines[i + 1] ?? '').trim() !== '|') return null;
  const cells = [first];
  let j = i + 1;
  let trailing = false;
  while ((lines[j] ?? '').trim() === '|' && cells.length < 10) {
    const next = (lines[j + 1] ?? '').trim();
    if (!next || next.includes('|') || CODE_TOKEN.test(next)) {
      trailing = true;
      j++;
      break;
    }
    cells.push(next);
    j += 2;
  }
  const columns = mapHeader(cells);
  return columns
    ? {
        columns,
        width: cells.length,
        start: i,
        next: j,
        leading: false,
        trailing,
      }
    : null;
}

function findPipeHeader(lines: string[], from = 0): Found | null {
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes('|') && line.trim() !== '|') {
      const p = pipeCells(line);
      const columns = mapHeader(p.cells);
      if (columns)
        return {
          columns,
          width: p.cells.length,
          start: i,
          next: i + 1,
          leading: p.leading,
          trailing: p.trailing,
        };
    }
    const cpl = cellPerLineHeader(lines, i);
    if (cpl) return cpl;
  }
  return null;
}

/** Reads the rows of a pipe table from its header to the next table's header (or the end). */
function pipeRows(lines: string[], found: Found): { rows: TableRow[]; end: number } {
  const k = found.width;
  const rows: TableRow[] = [];
  let cells: string[] = [];
  let pending: string | null = null;
  let rowLine = -1;
  const hasPending = () => pending !== null && pending.trim() !== '';
  const mid = () => cells.length > 0 || hasPending();
  const finalize = (pushPending: boolean) => {
    const all = [...cells];
    if (pending !== null && (pushPending || pending.trim() !== '')) all.push(pending);
    while (all.length > k && !(all[all.length - 1] ?? '').trim()) all.pop();
    rows.push({
      cells: all.map(cleanCell),
      where: `dòng ${rowLine + 1}`,
      complete: all.length === k,
    });
    cells = [];
    pending = null;
    rowLine = -1;
  };

  let i = found.next;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const t = line.trim();
    const hasPipe = t.includes('|');

    if (!mid()) {
      pending = null;
      cells = [];
      if (!t || t === '|' || /^\|?\s*:?-{3,}/.test(t)) continue;
      if (!hasPipe) {
        const repeated = cellPerLineHeader(lines, i);
        if (repeated) {
          i = repeated.next - 1;
          continue;
        }
        if (CODE_TOKEN.test(t)) {
          pending = t;
          rowLine = i;
        }
        // Any other line between rows (page headers, notes) is not part of the table.
        continue;
      }
      const p = pipeCells(t);
      if (mapHeader(p.cells)) continue;
      if (isForeignHeader(p.cells)) break;
    } else if (hasPipe) {
      // A new numbered row while the current one is still short of cells: the current one ends here.
      const p = pipeCells(t);
      const firstSeg = ((found.leading && t.startsWith('|') ? p.cells[0] : t.split('|')[0]) ?? '').trim();
      if (CODE_TOKEN.test(firstSeg) && (!hasPending() || cells.length === k - 1) && cells.length >= 1) {
        finalize(false);
        i--;
        continue;
      }
      if (isForeignHeader(p.cells) || mapHeader(p.cells)) {
        finalize(false);
        i--;
        continue;
      }
    } else if (
      CODE_TOKEN.test(t) &&
      ((!hasPending() && cells.length >= 2) || (hasPending() && cells.length === k - 1))
    ) {
      finalize(true);
      i--;
      continue;
    }

    if (!hasPipe) {
      pending = pending === null ? t : `${pending}\n${t}`;
      if (rowLine < 0) rowLine = i;
      continue;
    }
    let segs = t.split('|');
    if (!mid() && found.leading && t.startsWith('|')) segs = segs.slice(1);
    if (rowLine < 0) rowLine = i;
    pending = pending === null ? segs[0]! : `${pending}\n${segs[0]!}`;
    for (const seg of segs.slice(1)) {
      cells.push(pending ?? '');
      pending = seg;
    }
    if (cells.length >= k) {
      finalize(false);
    } else if (!found.trailing && !t.endsWith('|')) {
      finalize(true);
    }
  }
  if (mid()) finalize(true);
  return { rows, end: i };
}

// ---------------------------------------------------------------------------------------------
// Tab-separated text

function findTabHeader(lines: string[]): { start: number; end: number } | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes('\t') || !mapHeader(line.split('\t'))) continue;
    // The table runs while lines have tabs (or are inside a quoted, multi-line cell).
    let inQuote = false;
    let j = i;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (!inQuote && j > i && l.trim() && !l.includes('\t')) break;
      if ((l.match(/"/g) ?? []).length % 2 === 1) inQuote = !inQuote;
    }
    return { start: i, end: j };
  }
  return null;
}

function tsvRows(lines: string[], start: number, end: number): { rows: string[][]; lineOf: number[] } {
  const records = parseDelimited(lines.slice(start, end).join('\n'), {
    delimiter: '\t',
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  return {
    rows: records.map((r) => r.record),
    lineOf: records.map((r) => start + r.info.lines),
  };
}

// ---------------------------------------------------------------------------------------------
// PDF extractions (best effort)

const PDF_CODE_LINE = /^(\d{1,2}(?:\.\d{1,2}){0,3})\.?(?:\s+(\S.*))?$/u;

function pdfCodeLine(line: string): { code: string; rest: string } | null {
  const m = PDF_CODE_LINE.exec(line.trim());
  if (!m) return null;
  const rest = (m[2] ?? '').trim();
  if (rest && !/^[\p{Lu}\-–]/u.test(rest)) return null;
  return { code: m[1]!, rest };
}

/** Whether `next` can follow `prev` in an appendix's numbering ("4.9" → "5", "4" → "4.1"…). */
function isSuccessor(prev: string | null, next: string): boolean {
  const q = next.split('.').map(Number);
  if (!prev) return q.every((x, i) => (i === q.length - 1 ? x >= 1 && x <= 2 : x === 1));
  const p = prev.split('.').map(Number);
  if (q.length > p.length + 1) return false;
  if (q.length === p.length + 1) return q.slice(0, p.length).every((x, i) => x === p[i]) && q[q.length - 1]! <= 2;
  const n = q.length - 1;
  if (!q.slice(0, n).every((x, i) => x === p[i])) return false;
  const step = q[n]! - p[n]!;
  return step >= 1 && step <= 3;
}

function findFreeHeader(lines: string[]): { start: number; next: number; headerLines: number } | null {
  for (let i = 0; i < lines.length; i++) {
    const f = fold(lines[i]!);
    if (!/^(tt|stt)( |$)/.test(f)) continue;
    let j = i + 1;
    while (j < lines.length && j < i + 20 && !pdfCodeLine(lines[j]!)) j++;
    const head = fold(lines.slice(i, j).join(' '));
    if (
      head.includes('nhiem vu') &&
      head.includes('chu tri') &&
      (head.includes('phoi hop') || head.includes('thoi gian'))
    ) {
      return {
        start: i,
        next: j,
        headerLines: lines.slice(i, j).filter((l) => l.trim()).length,
      };
    }
  }
  return null;
}

const TIMEFRAME_WORDS =
  /^(thuong xuyen|hang nam|dinh ky|hang quy|hang thang|nam \d{4}|\d{4}( ?- ?\d{4})?|giai doan|truoc ngay|den (ngay|het|nam|thang|quy)|trong (nam|quy|thang)|quy [ivx\d]+|thang \d|hoan thanh|toi thieu|\d+ (nam|thang) ?\/ ?lan|\d{1,2}\/\d{1,2}\/\d{4}|6 thang|moi nam)/;

function looksLikeTimeframe(text: string): boolean {
  const t = tidy(text);
  if (!t || t.length > 80 || /^[-–]/.test(t)) return false;
  return TIMEFRAME_WORDS.test(fold(t));
}

/** "vị liên quan 2023" → head "vị liên quan", time "2023" (two cells on one line). */
function splitTimeTail(line: string): { head: string; time: string } | null {
  const m = /^(.*\S)\s+((?:[Nn]ăm\s+)?\d{4}(?:\s*-\s*\d{4})?|Thường xuyên|Hàng năm|Hằng năm)$/u.exec(line.trim());
  return m ? { head: m[1]!, time: m[2]! } : null;
}

const UNIT_START =
  /\s(?=(?:Sở|Các|Công an|Bộ|Ủy ban|UBND|Ban|Văn phòng|Trung tâm|Hội|Chi hội|Doanh nghiệp|Đài|Báo|Cục|Chi cục|Tổng công ty|Công ty|Liên đoàn|Đoàn|Mặt trận|Kho bạc|Ngân hàng|Viện|Trường)\s)/u;

const joinLines = (lines: string[]) => tidy(lines.join(' ')).replace(/(\d{4})\s*-\s*(\d{4})/g, '$1-$2');
const startsLower = (line: string) => /^\p{Ll}/u.test(line.trim());
const looksLikeUnits = (text: string) => !text || /^[-–+\p{Lu}]/u.test(text.trim());

/** One numbered record of a PDF table → a row of five cells (number, duty, lead, cooperating, timeframe). */
function pdfRecord(code: string, rest: string, body: string[], where: string): TableRow {
  const blocks: string[][] = [];
  let block: string[] = rest ? [rest] : [];
  for (const raw of body) {
    const t = raw.trim();
    if (!t) {
      if (block.length) blocks.push(block);
      block = [];
    } else block.push(t);
  }
  if (block.length) blocks.push(block);
  const raw = [code, ...blocks.map((b) => b.join(' '))];
  const broken = (): TableRow => ({ cells: raw, where, complete: false });
  if (blocks.length === 0) return broken();

  let t = blocks.findIndex((b, i) => i >= 1 && looksLikeTimeframe(b.join(' ')));
  if (t < 0 && blocks.length >= 2) {
    const lastBlock = blocks[blocks.length - 1]!;
    const tail = splitTimeTail(lastBlock[lastBlock.length - 1]!);
    if (tail && looksLikeTimeframe(tail.time)) {
      lastBlock[lastBlock.length - 1] = tail.head;
      blocks.push([tail.time]);
      t = blocks.length - 1;
    }
  }
  if (t < 0) {
    if (blocks.length === 1)
      return {
        cells: [code, joinLines(blocks[0]!), '', '', ''],
        where,
        complete: true,
      };
    return broken();
  }
  const pre = blocks.slice(0, t).map((b) => [...b]);
  const post = blocks.slice(t + 1);
  while (pre.length > 3 && startsLower(pre[1]![0]!)) pre.splice(0, 2, [...pre[0]!, ...pre[1]!]);
  const notes: string[] = [];
  let columns: string[][];
  if (pre.length === 3) {
    columns = pre;
  } else if (pre.length === 2) {
    const merged = pre[1]!;
    const m = UNIT_START.exec(merged[0]!.slice(1));
    if (!m) return broken();
    const at = m.index + 1;
    columns = [pre[0]!, [merged[0]!.slice(0, at).trim()], [merged[0]!.slice(at).trim(), ...merged.slice(1)]];
    notes.push(
      'Cột chủ trì và phối hợp được tách theo phỏng đoán (bản PDF), cần kiểm tra / lead and cooperating columns were split by guess (PDF)',
    );
  } else {
    return broken();
  }
  // Blocks after the timeframe continue cells cut by a page break, in column order.
  let after = 0;
  for (const b of post) {
    const first = b[0]!;
    let target: number;
    const titleLast = columns[0]![columns[0]!.length - 1] ?? '';
    if (startsLower(first)) target = after === 0 && !/[.;:)]$/.test(titleLast) ? 0 : 2;
    else if (/^[-–+]/.test(first)) {
      const from = Math.max(after, 1);
      const dashed = [1, 2].find((c) => c >= from && /^[-–+]/.test(columns[c]![0] ?? ''));
      target = dashed ?? from;
    } else target = Math.max(after, 2);
    if (target > 2 || target < after) return broken();
    columns[target]!.push(...b);
    after = target + 1;
  }
  const [title, lead, coop] = columns.map(joinLines) as [string, string, string];
  if (!looksLikeUnits(lead) || !looksLikeUnits(coop) || !title) return broken();
  return {
    cells: [code, title, lead, coop, joinLines(blocks[t]!)],
    where,
    complete: true,
    notes,
  };
}

/** Reads the duty table of a PDF extraction: numbered records, cells as blank-line separated blocks. */
function pdfRows(
  lines: string[],
  header: { start: number; next: number; headerLines: number },
): { rows: TableRow[]; end: number } {
  const rows: TableRow[] = [];
  let current: {
    code: string;
    rest: string;
    body: string[];
    line: number;
  } | null = null;
  let prev: string | null = null;
  const close = () => {
    if (current) rows.push(pdfRecord(current.code, current.rest, current.body, `dòng ${current.line + 1}`));
    current = null;
  };
  let i = header.next;
  for (; i < lines.length; i++) {
    const t = lines[i]!.trim();
    const m = pdfCodeLine(t);
    if (m && isSuccessor(prev, m.code)) {
      close();
      current = { code: m.code, rest: m.rest, body: [], line: i };
      prev = m.code;
      continue;
    }
    const f = fold(t);
    if (/^(tt|stt) nhiem vu/.test(f)) {
      // The header repeated on a new page.
      let skip = header.headerLines;
      while (i < lines.length && skip > 0) {
        if (lines[i]!.trim()) skip--;
        if (skip > 0) i++;
      }
      continue;
    }
    if (/^(tt|stt)( |$)/.test(f)) break;
    const words = t.split(/\s+/).length;
    const heading = words >= 3 && /\p{Lu}{2}/u.test(t) && t === t.toUpperCase();
    const c = current as { body: string[] } | null;
    if (heading && c && c.body.filter((l) => !l.trim()).length >= 2) break;
    current?.body.push(lines[i]!);
  }
  close();
  return { rows, end: i };
}

// ---------------------------------------------------------------------------------------------
// Plan metadata

function isoFrom(day: number, month: number, year: number): IsoDate | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const DATE_WORDS = /ngày\s+(\d{1,2})\s*(?:tháng\s*|\/|-)\s*(\d{1,2})\s*(?:năm\s*|\/|-)\s*(\d{4})/iu;

function capitalize(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}

function sentenceCase(text: string): string {
  const t = tidy(text);
  return t === t.toUpperCase() ? capitalize(t.toLowerCase()) : t;
}

/**
 * The plan's number, date, issuer, title and horizon. `inTable(i)` says whether line `i` belongs
 * to the duty table: its rows are duties, not the plan's own words.
 */
function planMeta(lines: string[], inTable: (i: number) => boolean): PlanDraft['plan'] {
  const head = lines.slice(0, 40);
  const joined = tidy(lines.join(' '));
  const cleanCode = (c: string) => c.replace(/[.,;:)|]+$/, '');

  let code: string | null = null;
  let codeLine = -1;
  for (const [i, line] of lines.entries()) {
    const m = /(?:^|[\s|])Số\s*:\s*(\d+[\p{L}\p{N}.-]*\/[\p{L}\p{N}./-]+)/u.exec(line);
    if (m) {
      code = cleanCode(m[1]!);
      codeLine = i;
      break;
    }
  }
  if (!code) {
    const m = /Kế hoạch\s+số\s*:?\s*(\d+[\p{L}\p{N}.-]*\/[\p{L}\p{N}./-]+)/iu.exec(joined);
    if (m) code = cleanCode(m[1]!);
  }
  if (!code) {
    for (const line of lines.slice(0, 15)) {
      const m = /\b(\d+\/KH-[\p{L}\p{N}-]+)/u.exec(line);
      if (m) {
        code = cleanCode(m[1]!);
        break;
      }
    }
  }

  let issuedOn: IsoDate | null = null;
  const dateOf = (text: string) => {
    const m = DATE_WORDS.exec(text);
    return m ? isoFrom(Number(m[1]), Number(m[2]), Number(m[3])) : null;
  };
  if (codeLine >= 0) issuedOn = dateOf(lines[codeLine]!) ?? dateOf(lines[codeLine + 1] ?? '');
  if (!issuedOn && code) {
    const at = joined.indexOf(code);
    if (at >= 0) {
      const after = joined.slice(at + code.length, at + code.length + 40);
      if (/^\s*,?\s*ngày/u.test(after)) issuedOn = dateOf(after);
    }
  }
  if (!issuedOn) {
    for (const line of head) {
      const m = /,\s*(ngày\s+\d.*)$/u.exec(line);
      if (m && (issuedOn = dateOf(m[1]!))) break;
    }
  }

  let issuer: string | null = null;
  const national = head.find((l) => l.includes('|') && /CỘNG HÒA XÃ HỘI CHỦ NGHĨA/iu.test(l));
  if (national) {
    const left = tidy(national.split('|')[0] ?? '');
    if (left && !/CỘNG HÒA/iu.test(left)) {
      issuer = sentenceCase(left);
      if (/^(ủy ban nhân dân|ubnd)$/iu.test(left)) {
        const placeLine = head.find((l) => /,\s*ngày\s+\d/u.test(l));
        const place = placeLine ? /(?:^|\|)\s*([^|,]+?)\s*,\s*ngày\s+\d/u.exec(placeLine)?.[1] : undefined;
        if (place) issuer = `${issuer} ${tidy(place)}`;
      }
    }
  }
  if (!issuer) {
    const m = /((?:Ủy ban nhân dân|UBND|Sở)\s(?:[^.;:,]*?))\s+ban hành\s+Kế hoạch/u.exec(joined);
    if (m) issuer = tidy(m[1]!);
  }
  if (!issuer) {
    const m = /Kèm theo Kế hoạch số [^)]*? của ([^)]+)\)/iu.exec(joined);
    if (m) issuer = capitalize(tidy(m[1]!));
  }

  let title: string | null = null;
  const t = /ban hành\s+(Kế hoạch(?:[^:;.]|\.(?=\S))*?)\s+như sau/iu.exec(joined);
  if (t) title = capitalize(tidy(t[1]!));
  if (!title) {
    const k = lines.findIndex((l) => /^\(?\s*Kèm theo Kế hoạch/iu.test(l.trim()));
    const above = k > 0 ? lines.slice(Math.max(0, k - 4), k).filter((l) => l.trim()) : [];
    if (above.length) title = sentenceCase(above.join(' '));
  }
  // The horizon is the plan's own: its title's, else its body's, never a table row's (one duty's
  // "Giai đoạn 2023 - 2025" is that duty's timeframe, not the plan's end) nor a cited document's.
  const body = lines.filter(
    (l, i) =>
      !inTable(i) &&
      !l.includes('|') &&
      !l.includes('\t') &&
      !/^\s*(?:[-–+•]\s*)?(?:\d+\s+)?(?:căn cứ|quyết định|kế hoạch|nghị quyết|chỉ thị|thông tư|luật)\s+(?:số\s+)?\d/iu.test(
        l,
      ),
  );
  const horizonYear = (title ? horizonIn(title) : null) ?? horizonIn(body.join(' '));
  return { code, title, issuer, issuedOn, horizonYear };
}

const HORIZON =
  /(?:đến\s+(?:hết\s+)?(?:năm\s+)?|tầm nhìn\s+(?:đến\s+)?(?:năm\s+)?|giai đoạn\s+(?:từ\s+)?(?:năm\s+)?\d{4}\s*(?:[-–]|đến)\s*(?:năm\s+)?)(\d{4})\b/giu;

/** The last year a text gives as a horizon ("giai đoạn 2024-2030", "đến năm 2030", "tầm nhìn 2045"), or null. */
function horizonIn(text: string): number | null {
  let horizon: number | null = null;
  for (const m of tidy(text).matchAll(HORIZON)) {
    const y = Number(m[1]);
    if (y >= 2000 && y <= 2100 && (horizon === null || y > horizon)) horizon = y;
  }
  return horizon;
}

// ---------------------------------------------------------------------------------------------
// Report duties from the body text

const SUBJECT_END =
  /\s(?:chủ trì|có trách nhiệm|xây dựng|gửi|báo cáo|tổng hợp|thực hiện|trước ngày|phối hợp|tham mưu|tổ chức|triển khai|định kỳ|hàng năm|hằng năm)(?=[\s,.;:]|$)/iu;
const SUBJECT_START =
  /^(cac|so|uy ban|ubnd|ban|bo|cong an|van phong|trung tam|phong|chi cuc|cuc|doanh nghiep|don vi|co quan|hoi|giam doc|thu truong|chu tich|tong cong ty|cong ty|dai|bao)\b/;

function subjectOf(clause: string): string | null {
  const body = clause
    .trim()
    .replace(/^(?:\d+(?:\.\d+)*\.|[IVX]+\.|[-–+•])\s*/u, '')
    .replace(/^(?:định kỳ\s*)?(?:(?:hàng|hằng)\s+năm)?\s*,?\s*/iu, '');
  const m = SUBJECT_END.exec(` ${body}`);
  const subject = tidy(m ? body.slice(0, Math.max(0, m.index - 1)) : '').replace(/[,;:]+$/, '');
  if (!subject || subject.length > 120 || subject.split(' ').length > 16) return null;
  if (!SUBJECT_START.test(fold(subject))) return null;
  return capitalize(subject);
}

interface Paragraph {
  text: string;
  line: number;
}

function paragraphs(lines: string[], skip: (i: number) => boolean): Paragraph[] {
  const out: Paragraph[] = [];
  let cur: Paragraph | null = null;
  for (const [i, raw] of lines.entries()) {
    const t = raw.trim();
    if (skip(i) || !t || t.includes('|') || t.includes('\t')) {
      cur = null;
      continue;
    }
    if (!cur || /^(?:\d+(?:\.\d+)*\.|[IVX]+\.|[-–+•])\s/u.test(t)) {
      cur = { text: t, line: i };
      out.push(cur);
    } else cur.text = `${cur.text} ${t}`;
  }
  return out;
}

const REPORT_DATE = /trước\s+ngày\s+(\d{1,2})\s*(?:tháng\s*|\/|-)\s*(\d{1,2})(?:\s*(?:năm\s*|\/|-)\s*(\d{4}))?/iu;

function reportDuties(lines: string[], skip: (i: number) => boolean, options: ParseOptions): DutyDraft[] {
  const out: DutyDraft[] = [];
  for (const p of paragraphs(lines, skip)) {
    const sentences = tidy(p.text).split(/(?<=[.!?])\s+(?=\p{Lu})/u);
    for (const sentence of sentences) {
      if (!fold(sentence).includes('bao cao')) continue;
      const clauses = sentence.split(';');
      for (const clause of clauses) {
        const m = REPORT_DATE.exec(clause);
        if (!m) continue;
        const [day, month, year] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : null];
        if (!isoFrom(day, month, year ?? 2024)) continue;
        const lead = subjectOf(clause) ?? subjectOf(clauses[0]!) ?? subjectOf(sentence);
        const timeframe = tidy(m[0]);
        const parsed = parseTimeframe(timeframe, {
          defaultDue: options.defaultDue,
        });
        const md = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        let schedule = parsed.schedule;
        const flags = [...parsed.flags];
        if (schedule.kind === 'unparsed') {
          schedule = year ? { kind: 'once', due: `${year}-${md}` } : { kind: 'yearly', due: md };
          flags.length = 0;
        }
        if (!lead) flags.push('Không rõ đơn vị phải báo cáo / the reporting unit is not clear');
        const title = capitalize(
          tidy(clause)
            .replace(/^(?:\d+(?:\.\d+)*\.|[-–+•])\s*/u, '')
            .replace(/[.;,\s/]+$/u, ''),
        );
        let code = `BC-${day}/${month}${year ? `/${year}` : ''}`;
        if (out.some((d) => d.code === code))
          code = `${code} (${out.filter((d) => d.code.startsWith(code)).length + 1})`;
        out.push({
          code,
          title,
          section: null,
          sectionTitle: null,
          origin: 'report',
          leads: lead ? [lead] : [],
          cooperating: [],
          timeframe,
          schedule,
          flags,
          source: `dòng ${p.line + 1}`,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Whole documents

/**
 * Reads a plan document or a pasted table: the duty appendix (pipe table, cell-per-line, tab-separated
 * or a PDF extraction), the plan's number, date, issuer, title and horizon, and the report duties of
 * the body text. Only the duty table is imported: other tables (indicators, comments) are not duties.
 *
 * @throws ImportError when the text is empty or has no duty table.
 */
export function parsePlanText(text: string, options: ParseOptions): PlanDraft {
  const normalized = text
    .normalize('NFC')
    .replace(/^\uFEFF/u, '')
    .replace(/\r\n?/g, '\n');
  if (!normalized.trim()) throw new ImportError(EMPTY_FILE);
  const lines = normalized.split('\n');
  const flags: string[] = [];
  let duties: DutyDraft[];
  let format: string;
  let region: [number, number];

  const pipe = findPipeHeader(lines);
  const tab = pipe ? null : findTabHeader(lines);
  const free = pipe || tab ? null : findFreeHeader(lines);
  if (pipe) {
    const { rows, end } = pipeRows(lines, pipe);
    duties = buildDuties(rows, pipe.columns, options, flags);
    region = [pipe.start, end];
    format = 'table-text';
  } else if (tab) {
    const { rows, lineOf } = tsvRows(lines, tab.start, tab.end);
    duties = gridDuties(rows, options, (i) => `dòng ${lineOf[i] ?? tab.start + i + 1}`, flags) ?? [];
    region = [tab.start, tab.end];
    format = 'tsv';
  } else if (free) {
    const { rows, end } = pdfRows(lines, free);
    duties = buildDuties(rows, { code: 0, title: 1, lead: 2, cooperating: 3, timeframe: 4 }, options, flags);
    region = [free.start, end];
    format = 'pdf-text';
    flags.unshift(
      'Bảng trích từ PDF: các cột được đoán theo bố cục, cần kiểm tra lại / table extracted from a PDF: columns were guessed from the layout, please check',
    );
  } else {
    throw new ImportError(NO_DUTY_TABLE);
  }

  const inTable = (i: number) => i >= region[0] && i < region[1];
  const plan = planMeta(lines, inTable);
  const reports = reportDuties(lines, inTable, options);
  if (format === 'table-text' && (plan.code || reports.length)) format = 'plan-text';
  return { plan, duties: [...duties, ...reports], flags, format };
}
