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
/** A cell that would make the table a duty table. */
const DUTY = /chu tri|phoi hop|thoi gian thuc hien|thoi han/;

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

/**
 * Every indicator of a document, in reading order: the rows of each indicator table. Two tables
 * giving the same code keep the first (a table repeated on a new page is one table).
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
  return out;
}
