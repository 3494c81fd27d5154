/**
 * Duty-table headers: which column holds the number, the duty, the lead and cooperating units and
 * the timeframe, whatever words the plan uses ("Nội dung nhiệm vụ", "Cơ quan chủ trì", "Đơn vị
 * thực hiện", "Thời hạn hoàn thành", "Tiến độ"…), with header cells wrapped over lines, headers
 * over two rows ("Trách nhiệm" above "Chủ trì | Phối hợp"), and extra columns (Sản phẩm, Kết quả,
 * Kinh phí, Ghi chú) that have no role.
 */
import { fold } from '../../domain/text.js';

export type Role = 'code' | 'title' | 'lead' | 'cooperating' | 'timeframe';
/** The column index of each role in a table. */
export type Columns = Partial<Record<Role, number>>;

export const CODE_HEADER = /^(tt|stt|s tt|so tt|so thu tu|thu tu|ma|ma so|ma nv|ma nhiem vu)$/;

const foldHeader = (cell: string) =>
  fold(cell)
    .replace(/[.\-/]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The role of a header cell, matched loosely (case, diacritics, punctuation, line breaks do not matter). */
export function headerRole(cell: string): Role | null {
  const f = foldHeader(cell);
  if (!f) return null;
  if (f.includes('chu tri')) return 'lead';
  if (f.includes('phoi hop')) return 'cooperating';
  if (
    /^(thoi gian|thoi han|tien do|han hoan thanh|han thuc hien|moc thoi gian|moc hoan thanh|thoi diem|lo trinh|nam thuc hien|nam hoan thanh)/.test(
      f,
    )
  )
    return 'timeframe';
  if (CODE_HEADER.test(f)) return 'code';
  if (
    /^(nhiem vu|noi dung|ten nhiem vu|cong viec|ten cong viec|hoat dong|giai phap|cac nhiem vu|ten hoat dong)/.test(f)
  )
    return 'title';
  if (/^(don vi|co quan|co quan don vi|don vi co quan|trach nhiem)( \S+){0,2} thuc hien( chinh)?$/.test(f))
    return 'lead';
  if (/^(don vi|co quan|co quan don vi) (thuc hien|chiu trach nhiem|phu trach|dau moi)$/.test(f)) return 'lead';
  return null;
}

/** A header cell over other header cells ("Trách nhiệm", "Đơn vị thực hiện", "Phân công thực hiện"). */
function isGroupHeader(cell: string): boolean {
  const f = foldHeader(cell);
  return /^(trach nhiem|phan cong|don vi|co quan|co quan don vi)( thuc hien)?$/.test(f) || headerRole(cell) === 'lead';
}

/** The columns of a duty-table header row, or null when the row is not one. */
export function mapHeader(cells: string[]): Columns | null {
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
export function isForeignHeader(cells: string[]): boolean {
  const filled = cells.map((c) => c.trim()).filter(Boolean);
  if (filled.length < 2) return false;
  return CODE_HEADER.test(fold(filled[0]!)) && !mapHeader(cells);
}

/** A header found in a grid: its columns, the rows it takes, and the grid re-aligned when needed. */
export interface FoundHeader {
  columns: Columns;
  /** The header's first row and the first row after it. */
  start: number;
  next: number;
  width: number;
  /** The header rows' cells, one per column (a two-level header's sub-cells in place of their group). */
  labels: string[];
}

const count = (c: Columns | null) => (c ? Object.keys(c).length : 0);

/**
 * Finds the duty header among `rows`, from `from`. A header may be one row, or two: a group above
 * its sub-columns ("Trách nhiệm" over "Chủ trì | Phối hợp", aligned as in a spreadsheet or given
 * as a shorter row), or one row whose cells wrapped onto the next ("Thời hạn hoàn" / "thành").
 */
export function findHeader(rows: string[][], from = 0): FoundHeader | null {
  for (let i = from; i < rows.length; i++) {
    const row = rows[i] ?? [];
    const below = rows[i + 1] ?? [];
    const single = mapHeader(row);
    if (single && single.lead !== undefined && single.cooperating !== undefined)
      return { columns: single, start: i, next: i + 1, width: row.length, labels: row };
    const candidates: FoundHeader[] = [];
    if (single) candidates.push({ columns: single, start: i, next: i + 1, width: row.length, labels: row });
    // A group above aligned sub-columns (the row above is a header's: a title row above a header
    // is not part of it).
    if (below.some((c) => headerRole(c)) && row.some((c) => headerRole(c) || isGroupHeader(c))) {
      // A group written once over its sub-columns, the row below padded ("| TT | Nội dung |
      // Trách nhiệm | Thời hạn |" over "| | | Chủ trì | Phối hợp | |"): the group takes their width.
      const group = row.findIndex((c) => isGroupHeader(c) && !foldHeader(c).includes('chu tri'));
      const top =
        row.length < below.length && group >= 0
          ? [...row.slice(0, group + 1), ...Array<string>(below.length - row.length).fill(''), ...row.slice(group + 1)]
          : row;
      const width = Math.max(top.length, below.length);
      const merged = Array.from({ length: width }, (_, j) => {
        const above = (top[j] ?? '').trim();
        const sub = (below[j] ?? '').trim();
        if (sub && headerRole(sub)) return sub;
        return above === sub ? above : `${above} ${sub}`.trim();
      });
      const two = mapHeader(merged);
      if (two) candidates.push({ columns: two, start: i, next: i + 2, width, labels: merged });
    }
    // A group above a shorter row of its sub-columns (pasted text has no spans): the data rows have
    // a cell per sub-column.
    const subs = below.map((c) => c.trim());
    if (subs.length >= 2 && subs.length < row.length && subs.every((c) => c && headerRole(c))) {
      const at = row.findIndex((c) => isGroupHeader(c));
      if (at >= 0) {
        const labels = [...row.slice(0, at), ...subs, ...row.slice(at + 1)];
        const two = mapHeader(labels);
        if (two)
          candidates.push({
            columns: two,
            start: i,
            next: i + 2,
            width: labels.length,
            labels,
          });
      }
    }
    // A header whose cells wrapped onto the next row.
    if (below.length && !mapHeader(below)) {
      const width = Math.max(row.length, below.length);
      const joined = Array.from({ length: width }, (_, j) => `${row[j] ?? ''} ${below[j] ?? ''}`.trim());
      const wrapped = mapHeader(joined);
      if (wrapped && count(wrapped) > count(single) && count(wrapped) > count(mapHeader(row)))
        candidates.push({ columns: wrapped, start: i, next: i + 2, width, labels: joined });
    }
    if (candidates.length) {
      candidates.sort((a, b) => count(b.columns) - count(a.columns));
      return candidates[0]!;
    }
  }
  return null;
}

/**
 * The header of a table pasted a cell per line: its cells in reading order, a two-level header's
 * top row then its sub-row ("TT", "Nội dung", "Trách nhiệm", "Thời hạn", "Chủ trì", "Phối hợp").
 * The sub-cells at the end take the place of their group; a flat header is taken as it is.
 */
export function composeHeader(tokens: string[]): { labels: string[]; columns: Columns } | null {
  let run = 0;
  while (run < tokens.length && ['lead', 'cooperating'].includes(headerRole(tokens[tokens.length - 1 - run]!) ?? ''))
    run++;
  if (run >= 2 && run < tokens.length) {
    const top = tokens.slice(0, tokens.length - run);
    const subs = tokens.slice(tokens.length - run);
    const at = top.findIndex(
      (c) => isGroupHeader(c) && headerRole(c) !== 'cooperating' && !foldHeader(c).includes('chu tri'),
    );
    if (at >= 0) {
      const labels = [...top.slice(0, at), ...subs, ...top.slice(at + 1)];
      const columns = mapHeader(labels);
      if (columns) return { labels, columns };
    }
  }
  const columns = mapHeader(tokens);
  return columns ? { labels: tokens, columns } : null;
}
