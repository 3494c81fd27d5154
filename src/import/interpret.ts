/**
 * The one interpreter: a {@link SourceDocument} (any reader's: pasted text in any layout, CSV,
 * XLSX, DOCX, DOC, PDF) → a {@link PlanDraft}. Tables with a duty header become duties; the other
 * blocks give the plan's header and the report duties its body states. Never all-or-nothing: a
 * document with no duty table still gives its header and report duties, with a plan flag.
 */
import { inBothLanguages } from '#root/errors/index.js';
import { tidy } from '../domain/text.js';
import { inPlanYear } from '../domain/timeframe.js';
import type { SourceDocument, SourceRow } from './document-model.js';
import { NO_DUTY_TABLE, type DutyDraft, type ParseOptions, type PlanDraft } from './draft.js';
import { buildDuties, CODE_TOKEN, uniqueCodes, type DataRow } from './interpret/duties.js';
import { findHeader, headerRole, isForeignHeader, mapHeader, type Columns } from './interpret/headers.js';
import { planHeader, type TextLine } from './interpret/plan-header.js';
import { reportDuties } from './interpret/reports.js';
import { readIndicators } from './indicators.js';
import { lineOf, whereIn } from './where.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

export type { DutyDraft, ParseOptions, PlanDraft } from './draft.js';

/**
 * The cells of a table's rows laid on a grid: a cell merged over several columns stands in its
 * first column (the others empty: a section title merged across a row is not also a lead unit); a
 * cell merged down several rows is repeated in each (a lead unit merged over several duties leads
 * each; a number merged down reads as one duty continued).
 */
export function gridOf(rows: SourceRow[]): string[][] {
  const grid: string[][] = [];
  /** Column → rows still covered by a cell from above, and its text. */
  const down = new Map<number, { left: number; text: string }>();
  for (const row of rows) {
    const out: string[] = [];
    let col = 0;
    const fillDown = () => {
      for (let c = down.get(col); c && c.left > 0; c = down.get(col)) {
        out[col] = c.text;
        c.left--;
        if (c.left === 0) down.delete(col);
        col++;
      }
    };
    for (const cell of row.cells) {
      fillDown();
      const span = Math.max(1, cell.colSpan ?? 1);
      const rowSpan = Math.max(1, cell.rowSpan ?? 1);
      for (let k = 0; k < span; k++) {
        out[col + k] = k === 0 ? cell.text : '';
        if (rowSpan > 1) down.set(col + k, { left: rowSpan - 1, text: k === 0 ? cell.text : '' });
      }
      col += span;
    }
    fillDown();
    // Cells covered from above past the row's last cell.
    for (const [c, d] of [...down].sort((a, b) => a[0] - b[0])) {
      if (c < col || out[c] !== undefined) continue;
      out[c] = d.text;
      d.left--;
      if (d.left === 0) down.delete(c);
    }
    grid.push(Array.from(out, (t) => t ?? ''));
  }
  return grid;
}

/**
 * A number column whose header cell is empty (or says nothing: "#"): the first column before the
 * duty's without a role, when its cells are mostly numbers ("1", "1.2", "II", "a)").
 */
function withNumberColumn(columns: Columns, labels: string[], rows: DataRow[]): Columns {
  if (columns.code !== undefined) return columns;
  const taken = new Set(Object.values(columns));
  const width = Math.max(labels.length, ...rows.map((r) => r.cells.length));
  // Only a column before the duty's own, as plans place the number.
  for (let j = 0; j < Math.min(width, columns.title ?? width); j++) {
    if (taken.has(j) || headerRole(labels[j] ?? '')) continue;
    const cells = rows.map((r) => tidy(r.cells[j] ?? '')).filter(Boolean);
    const numbers = cells.filter((c) => CODE_TOKEN.test(c.replace(/^\(/, '')));
    if (cells.length >= 1 && numbers.length >= Math.max(1, cells.length * 0.6)) return { ...columns, code: j };
    break;
  }
  return columns;
}

const emptyTable = (where: string) =>
  inBothLanguages(importWords('noDutyRows', { where: (lang) => whereIn(where, lang) }));

/** A table rendered as text lines for the plan header: each row's cells side by side, line by line. */
function tableLines(rows: SourceRow[], grid: string[][]): TextLine[] {
  const out: TextLine[] = [];
  grid.forEach((cells, i) => {
    const split = cells.map((c) => c.split(/\r?\n/).map((l) => l.trim()));
    const height = Math.max(1, ...split.map((s) => s.length));
    for (let k = 0; k < height; k++) {
      const text = split.map((s) => s[k] ?? '').join(' | ');
      if (text.replace(/\|/g, '').trim()) out.push({ text: `${text} |`, where: rows[i]!.where, joins: false });
    }
  });
  return out;
}

/**
 * Interprets a document: its duty tables' rows → appendix duties (with their source cells), its
 * other text → the plan's number, issuer, title, date and horizon, and the report duties its body
 * states. A document with no duty table gets the plan flag {@link NO_DUTY_TABLE}; nothing throws
 * for a document that is merely not understood.
 */
/**
 * The year of a plan for one year: its title says "năm 2025", no other year, and no period ("giai đoạn
 * 2021 - 2025", "đến năm 2030", "tầm nhìn …"). Null otherwise.
 */
function oneYearOf(title: string | null): number | null {
  if (!title) return null;
  const t = tidy(title);
  if (/giai đoạn|đến năm|tầm nhìn|\d{4}\s*[-–]\s*\d{4}|các năm/iu.test(t)) return null;
  const years = [...t.matchAll(/\b(\d{4})\b/gu)].map((m) => m[1]);
  const m = /\bnăm\s+(\d{4})\b/iu.exec(t);
  return m && years.length === 1 ? Number(m[1]) : null;
}

/** A duty of a one-year plan whose timeframe gives a day without a year: that year's, once. */
function inYear(d: DutyDraft, year: number): DutyDraft {
  const schedule = inPlanYear(d.timeframe, d.schedule, year);
  return schedule === d.schedule ? d : { ...d, schedule };
}

export function interpretDocument(doc: SourceDocument, options: ParseOptions): PlanDraft {
  const flags: string[] = [...(doc.notes ?? [])];
  const duties: DutyDraft[] = [];
  const lines: TextLine[] = [];
  const cells: string[] = [];
  let dutyTables = 0;
  let lastLine = -1;
  for (const block of doc.blocks) {
    if (block.kind === 'paragraph') {
      // Consecutive lines of a pasted text ('dòng 7', 'dòng 8') may be one paragraph wrapped.
      const at = lineOf(block.where);
      const joinsPrevious = at !== null && lastLine === at - 1;
      block.text.split(/\r?\n/).forEach((l, k) => {
        if (l.trim()) lines.push({ text: l, where: block.where, joins: k > 0 || joinsPrevious });
      });
      lastLine = at !== null ? at + block.text.split(/\r?\n/).length - 1 : -1;
      continue;
    }
    lastLine = -1;
    const grid = gridOf(block.rows);
    const header = findHeader(grid);
    if (!header) {
      lines.push(...tableLines(block.rows, grid));
      for (const r of grid) for (const c of r) if (c.trim()) cells.push(tidy(c));
      continue;
    }
    dutyTables++;
    for (const note of block.notes ?? []) if (!flags.includes(note)) flags.push(note);
    // Rows above the header (a title row in a sheet) are text.
    lines.push(...tableLines(block.rows.slice(0, header.start), grid.slice(0, header.start)));
    const rows: DataRow[] = [];
    let afterHeader = false;
    for (let i = header.next; i < grid.length; i++) {
      const source = block.rows[i]!;
      const row = grid[i]!;
      if (source.repeatedHeader || mapHeader(row)) {
        afterHeader = true;
        continue;
      }
      if (isForeignHeader(row)) {
        lines.push(...tableLines(block.rows.slice(i), grid.slice(i)));
        break;
      }
      const extra = row.slice(header.width).some((c) => c.trim());
      rows.push({
        cells: row,
        where: source.where,
        complete: !extra && !source.unsplit,
        ...(source.notes?.length ? { notes: source.notes } : {}),
        ...(afterHeader && row.some((c) => c.trim()) ? { afterHeader } : {}),
      });
      if (row.some((c) => c.trim())) afterHeader = false;
    }
    const before = flags.length;
    const read = buildDuties(rows, withNumberColumn(header.columns, header.labels, rows), options, flags);
    // A duty table of which nothing was read is said, never passed over in silence.
    if (read.length === 0 && flags.length === before) flags.push(emptyTable(block.where));
    duties.push(...read);
  }
  if (dutyTables === 0) flags.push(NO_DUTY_TABLE);
  const plan = planHeader(lines, cells);
  const reports = reportDuties(lines, options);
  const year = oneYearOf(plan.title);
  return {
    plan,
    duties: [...uniqueCodes(year === null ? duties : duties.map((d) => inYear(d, year))), ...reports],
    flags,
    format: doc.format,
    indicators: readIndicators(doc),
  };
}
