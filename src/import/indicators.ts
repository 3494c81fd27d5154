/**
 * A plan's indicator table ("II. CHỈ TIÊU CHIẾN LƯỢC THEO NĂM": TT | Nội dung chỉ tiêu | Kế hoạch
 * 2023 | Kế hoạch 2024 | Mục tiêu 2025) read from the one document model every reader produces.
 * Nothing is written here: the drafts go to the import's review with the duties.
 *
 * A table is an indicator table when its header (one row, or two: "Mục tiêu" over "2024 | 2025")
 * has a content column and at least one year column, and no lead/cooperating column (the duty
 * appendix). Each row below with a content and at least one target is an indicator.
 */
import { fold, tidy } from '../domain/text.js';
import type { SourceBlock, SourceDocument, SourceRow } from './document-model.js';

/** One indicator as read, before it is stored with its plan. */
export interface IndicatorDraft {
  /** The number in the table ("1"), or its position when the table has none. */
  code: string;
  title: string;
  /** The unit of measure: "%" for a rate, what an "Đơn vị tính" column says, or null. */
  unit: string | null;
  /** The target per year, as numbers (80 for "80%"). */
  targets: Record<string, number>;
  /** Where the row was read ('dòng 19', 'hàng 5'). */
  source: string;
}

type Table = Extract<SourceBlock, { kind: 'table' }>;

interface Columns {
  code?: number;
  title: number;
  unit?: number;
  years: { col: number; year: number }[];
}

/** The grid of a table: each row's cells at their column, a cell merged down repeated in the rows it covers. */
function grid(rows: SourceRow[]): string[][] {
  const out: string[][] = [];
  // Columns still covered by a cell merged down from a row above: column → rows left.
  const down = new Map<number, { text: string; left: number }>();
  for (const row of rows) {
    const line: string[] = [];
    let col = 0;
    const skipCovered = () => {
      for (let d = down.get(col); d && d.left > 0; d = down.get(col)) {
        line[col] = d.text;
        d.left--;
        col++;
      }
    };
    for (const cell of row.cells) {
      skipCovered();
      const span = Math.max(1, cell.colSpan ?? 1);
      // Across, the text stays in the first column ("Mục tiêu" over its years; a section row over
      // every column must not put its words in a year's column); down, it repeats (a unit of
      // measure merged over several rows).
      for (let k = 0; k < span; k++) {
        line[col + k] = k === 0 ? cell.text : '';
        if ((cell.rowSpan ?? 1) > 1) down.set(col + k, { text: line[col + k]!, left: (cell.rowSpan ?? 1) - 1 });
      }
      col += span;
    }
    skipCovered();
    out.push(Array.from(line, (t) => t ?? ''));
  }
  return out;
}

const f = (cell: string) =>
  fold(cell)
    .replace(/[.\-/]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const CODE = /^(tt|stt|s tt|so tt|so thu tu|thu tu|ma|ma so|ma chi tieu)$/;
const TITLE = /^(noi dung( chi tieu)?|chi tieu|ten chi tieu|cac chi tieu|noi dung cac chi tieu)$/;
const UNIT = /^(don vi tinh|dvt|don vi do)$/;
/** "Kế hoạch 2023", "Mục tiêu 2025", "Năm 2024", "2025", "Chỉ tiêu năm 2024". */
const YEAR = /^(?:(?:ke hoach|muc tieu|chi tieu|nam|den nam|giai doan)\s+)*(?:nam\s+)?(20\d{2})$/;
/**
 * A cell that makes the table a duty table. A lead column alone ("Cơ quan chủ trì" beside the
 * targets: who answers for each) does not: the year columns decide.
 */
const DUTY = /phoi hop|thoi gian thuc hien|thoi gian hoan thanh|thoi han|tien do/;

/** The columns of an indicator header (one row, or a row and the row below it), or null. */
function mapHeader(first: string[], second: string[] | undefined): { columns: Columns; rows: number } | null {
  if (first.some((c) => DUTY.test(f(c)))) return null;
  const read = (cells: string[]) => {
    const columns: Partial<Columns> & { years: Columns['years'] } = { years: [] };
    cells.forEach((cell, i) => {
      const t = f(cell);
      if (!t) return;
      const y = YEAR.exec(t);
      if (y) {
        if (!columns.years.some((c) => c.col === i)) columns.years.push({ col: i, year: Number(y[1]) });
      } else if (columns.title === undefined && TITLE.test(t)) columns.title = i;
      else if (columns.code === undefined && CODE.test(t)) columns.code = i;
      else if (columns.unit === undefined && UNIT.test(t)) columns.unit = i;
    });
    return columns;
  };
  const one = read(first);
  if (one.title === undefined) return null;
  const columns: Columns = { title: one.title, years: one.years };
  if (one.code !== undefined) columns.code = one.code;
  if (one.unit !== undefined) columns.unit = one.unit;
  if (columns.years.length) return { columns, rows: 1 };
  // "Mục tiêu" merged over "2024 | 2025": the years are in the row below.
  if (!second) return null;
  const two = read(second);
  const years = two.years.filter((y) => y.col !== columns.title && y.col !== columns.code && y.col !== columns.unit);
  if (!years.length) return null;
  return { columns: { ...columns, years }, rows: 2 };
}

/**
 * A target as a number: "80%" → 80, "≥ 90 %" → 90, "0,5" → 0.5, "1.000" → 1000; null when the cell
 * holds no number ("", "-", "Hoàn thành").
 */
export function parseTarget(cell: string): { value: number; percent: boolean } | null {
  const t = tidy(cell);
  const m = /(\d{1,3}(?:\.\d{3})+|\d+(?:[.,]\d+)?)\s*(%?)/.exec(t);
  if (!m) return null;
  const raw = m[1]!;
  const value = /^\d{1,3}(?:\.\d{3})+$/.test(raw) ? Number(raw.replace(/\./g, '')) : Number(raw.replace(',', '.'));
  if (!Number.isFinite(value)) return null;
  return { value, percent: m[2] === '%' };
}

/** "1." → "1", "1)" → "1", "I." → "I". */
const normCode = (cell: string) =>
  tidy(cell)
    .replace(/\s+/g, '')
    .replace(/[.)]+$/, '');

/** The indicators of one table, or null when it is not an indicator table. */
function readTable(table: Table): IndicatorDraft[] | null {
  const cells = grid(table.rows);
  for (let h = 0; h < cells.length; h++) {
    const header = mapHeader(cells[h]!, cells[h + 1]);
    if (!header) continue;
    const { columns } = header;
    const out: IndicatorDraft[] = [];
    for (let r = h + header.rows; r < cells.length; r++) {
      const row = cells[r]!;
      if (table.rows[r]?.repeatedHeader || mapHeader(row, undefined)) continue;
      const title = tidy(row[columns.title] ?? '');
      if (!title) continue;
      const targets: Record<string, number> = {};
      let percent = false;
      for (const y of columns.years) {
        const t = parseTarget(row[y.col] ?? '');
        if (!t) continue;
        targets[String(y.year)] = t.value;
        percent ||= t.percent;
      }
      // A section row ("I. AN TOÀN THÔNG TIN") has no target: not an indicator.
      if (!Object.keys(targets).length) continue;
      const given = columns.unit !== undefined ? tidy(row[columns.unit] ?? '') : '';
      const unit = given || (percent || /^ty le\b/.test(fold(title)) ? '%' : null);
      const code = columns.code !== undefined ? normCode(row[columns.code] ?? '') : '';
      out.push({
        code: code || String(out.length + 1),
        title,
        unit,
        targets,
        source: table.rows[r]?.where ?? table.where,
      });
    }
    return out;
  }
  return null;
}

/** Years named by a header's words, in order ("… Kế hoạch 2023 Kế hoạch 2024 Mục tiêu 2025"). */
function headerYears(text: string): number[] {
  return [...f(text).matchAll(/(?:^|\s)(20\d{2})(?=\s|$)/g)].map((m) => Number(m[1]));
}

/** "80% 90% 100%" (exactly `n` targets, all numbers), at the end of a text: the targets and the text before. */
function trailingTargets(
  text: string,
  n: number,
): { before: string; targets: { value: number; percent: boolean }[] } | null {
  const tokens = tidy(text).split(' ');
  if (tokens.length < n) return null;
  const tail = tokens.slice(tokens.length - n);
  if (!tail.every((t) => /^\d{1,3}(?:[.,]\d+)?%?$/.test(t))) return null;
  return { before: tokens.slice(0, tokens.length - n).join(' '), targets: tail.map((t) => parseTarget(t)!) };
}

/**
 * An indicator table that a reader gave as paragraphs (the text of a PDF: each cell a paragraph,
 * a row's targets on one line): a header naming the content and the years, then per indicator its
 * number ("1."), its title over one or more paragraphs and a line of as many targets as years.
 */
function readParagraphs(blocks: SourceBlock[]): IndicatorDraft[] {
  const out: IndicatorDraft[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.kind !== 'paragraph' || !/\b(noi dung chi tieu|ten chi tieu)\b/.test(f(b.text))) continue;
    // The header: this paragraph and the next few, up to the first number.
    let header = b.text;
    let k = i + 1;
    for (; k < blocks.length && k < i + 12; k++) {
      const p = blocks[k]!;
      if (p.kind !== 'paragraph' || /^\d{1,2}[.)]?(\s|$)/.test(p.text.trim())) break;
      header += ` ${p.text}`;
    }
    const years = headerYears(header);
    if (!years.length) continue;
    let current: { code: string; title: string[]; where: string } | null = null;
    for (; k < blocks.length; k++) {
      const p = blocks[k]!;
      if (p.kind !== 'paragraph') break;
      const text = tidy(p.text);
      const code = /^(\d{1,2})[.)]?(?:\s+(.*))?$/.exec(text);
      if (!current) {
        if (!code) break;
        current = { code: code[1]!, title: code[2] ? [code[2]] : [], where: p.where };
        const inline = code[2] ? trailingTargets(code[2], years.length) : null;
        if (!inline) continue;
        current.title = inline.before ? [inline.before] : [];
      }
      const row = current.title.length || code === null ? trailingTargets(text, years.length) : null;
      if (!row) {
        if (current.title.length || !code) current.title.push(text);
        continue;
      }
      if (row.before && (current.title.length || !code)) current.title.push(row.before);
      const title = tidy(current.title.join(' '));
      if (!title) break;
      const targets: Record<string, number> = {};
      years.forEach((y, n) => (targets[String(y)] = row.targets[n]!.value));
      const percent = row.targets.some((t) => t.percent);
      out.push({
        code: current.code,
        title,
        unit: percent || /^ty le\b/.test(fold(title)) ? '%' : null,
        targets,
        source: current.where,
      });
      current = null;
    }
    if (out.length) return out;
  }
  return out;
}

/**
 * Every indicator of a document, in reading order: the rows of each indicator table. Two tables
 * giving the same code keep the first (a table repeated on a new page is one table). A document
 * without an indicator table is read for one laid out as paragraphs (a PDF's text).
 */
export function readIndicators(doc: SourceDocument): IndicatorDraft[] {
  const out: IndicatorDraft[] = [];
  const seen = new Set<string>();
  for (const block of doc.blocks) {
    if (block.kind !== 'table') continue;
    for (const d of readTable(block) ?? []) {
      if (seen.has(d.code)) continue;
      seen.add(d.code);
      out.push(d);
    }
  }
  return out.length ? out : readParagraphs(doc.blocks);
}
