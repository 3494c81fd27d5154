/**
 * PDF (with a text layer) → {@link SourceDocument}. A PDF has no tables, only text placed on pages
 * and lines drawn; the tables are rebuilt here:
 *
 * - ruled tables: the lines drawn (strokes, and the thin filled rectangles some writers use) make a
 *   grid; a cell boundary missing in a row or a column is a merged cell (colSpan / rowSpan); each
 *   piece of text goes to the cell its centre falls in;
 * - tables without rules: columns where the gaps between texts line up over consecutive lines;
 * - a table that goes on to the next page with the same columns is one table: its header repeated
 *   on the new page is marked (`repeatedHeader`), and a row whose first cell is empty at the top of
 *   the page is the rest of the row the previous page ended with, joined to it;
 * - the lines of a cell or a paragraph are joined where the text wrapped (the next word would not
 *   have fitted) and kept apart where the writer broke the line; a word or a date broken inside a
 *   narrow column ("31/03/2" / "024") is joined without a space.
 *
 * pdf.js (its legacy build for Node) reads the file, in the same thread (the caller runs in the
 * plan-reading worker); fonts' CMaps and standard font data are read from the package, never the
 * network. A PDF whose pages carry no text (a scan) is refused with a message.
 */
import { inBothLanguages } from '#root/errors/index.js';
import { createRequire } from 'node:module';
import type * as pdfjsTypes from 'pdfjs-dist/legacy/build/pdf.mjs';
import path from 'node:path';
import type { SourceBlock, SourceCell, SourceDocument, SourceRow } from './document-model.js';
import { corruptPdf, encryptedPdf, MAX_PDF_PAGES, MAX_ROWS, scannedPdf, tooManyPages, tooManyRows } from './limits.js';
import { place } from './where.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

type Pdfjs = typeof pdfjsTypes;
let pdfjs: Promise<Pdfjs> | null = null;
/** Where pdf.js's worker code is; its handler runs in this thread (no nested worker). */
const PDFJS_WORKER = 'pdfjs-dist/legacy/build/pdf.worker.mjs';

/**
 * pdf.js, loaded on the first PDF (it is large; most imports are text or spreadsheets), with its
 * worker's message handler on `globalThis.pdfjsWorker` so that it runs here rather than loading
 * itself again. The plan-reading worker loads both before tsx is registered (src/import/parse-worker.mjs).
 */
const loadPdfjs = () =>
  (pdfjs ??= (async () => {
    const lib = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const g = globalThis as { pdfjsWorker?: unknown };
    g.pdfjsWorker ??= (await import(PDFJS_WORKER)) as unknown;
    return lib;
  })());

const packageDir = () => path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/** Ruling lines past which a page is taken for a drawing rather than tables. */
const MAX_PAGE_SEGMENTS = 3_000;

/** A piece of text on a page, top-down coordinates (y is the baseline, from the page's top). */
interface Run {
  text: string;
  x0: number;
  x1: number;
  y: number;
  size: number;
}

/** A ruling line, top-down coordinates: horizontal (y, from x0 to x1) or vertical (x, from y0 to y1). */
interface Segment {
  horizontal: boolean;
  /** The fixed coordinate (y of a horizontal line, x of a vertical one). */
  at: number;
  from: number;
  to: number;
}

/** One line of text: runs on the same baseline, left to right. */
interface Line {
  runs: Run[];
  x0: number;
  x1: number;
  y: number;
  size: number;
  text: string;
  /** The page it is on, and whether it is the first line of text on the page. */
  page?: number;
  pageStart?: boolean;
}

/** A cell of a table being rebuilt, with its grid position and box. */
interface GridCell {
  col: number;
  row: number;
  colSpan: number;
  rowSpan: number;
  x0: number;
  x1: number;
  runs: Run[];
  text?: string;
}

/** A table being rebuilt on one page. */
interface PageTable {
  /** Column boundaries (n + 1 for n columns). */
  xs: number[];
  top: number;
  bottom: number;
  /** Rows of cells; a cell merged down is in its first row only. */
  rows: GridCell[][];
  ruled: boolean;
}

/** A block of one page, before tables are joined over pages. */
type PageBlock = { kind: 'lines'; lines: Line[]; top: number } | { kind: 'table'; table: PageTable; top: number };

// ---------------------------------------------------------------------------------------------
// Geometry helpers

type Matrix = [number, number, number, number, number, number];

const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[2] * n[1],
  m[1] * n[0] + m[3] * n[1],
  m[0] * n[2] + m[2] * n[3],
  m[1] * n[2] + m[3] * n[3],
  m[0] * n[4] + m[2] * n[5] + m[4],
  m[1] * n[4] + m[3] * n[5] + m[5],
];

const apply = (m: Matrix, x: number, y: number): [number, number] => [
  m[0] * x + m[2] * y + m[4],
  m[1] * x + m[3] * y + m[5],
];

/** Values within `tol` of each other, clustered to their mean, sorted. */
function cluster(values: number[], tol: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  let group: number[] = [];
  for (const v of sorted) {
    if (group.length && v - group[group.length - 1]! > tol) {
      out.push(group.reduce((a, b) => a + b, 0) / group.length);
      group = [];
    }
    group.push(v);
  }
  if (group.length) out.push(group.reduce((a, b) => a + b, 0) / group.length);
  return out;
}

/** Collinear segments that overlap or touch, joined. */
function mergeSegments(segments: Segment[]): Segment[] {
  const sorted = [...segments].sort((a, b) => a.at - b.at || a.from - b.from);
  const out: Segment[] = [];
  for (const s of sorted) {
    const last = out.find(
      (o) => o.horizontal === s.horizontal && Math.abs(o.at - s.at) <= 1 && s.from <= o.to + 2 && s.to >= o.from - 2,
    );
    if (last) {
      last.from = Math.min(last.from, s.from);
      last.to = Math.max(last.to, s.to);
    } else out.push({ ...s });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading a page

interface PdfPage {
  getViewport(p: { scale: number }): { width: number; height: number; transform: number[] };
  getTextContent(): Promise<{ items: unknown[] }>;
  getOperatorList(): Promise<{ fnArray: number[]; argsArray: unknown[] }>;
  cleanup(): void;
}

/** The runs of text of a page, in top-down coordinates. */
async function pageRuns(page: PdfPage, viewport: Matrix): Promise<Run[]> {
  const content = await page.getTextContent();
  const runs: Run[] = [];
  for (const raw of content.items) {
    const item = raw as { str?: string; transform?: number[]; width?: number };
    if (!item.str || !item.transform || !item.str.trim()) continue;
    const m = multiply(viewport, item.transform as Matrix);
    const size = Math.hypot(m[2], m[3]) || Math.hypot(m[0], m[1]);
    // Rotated text (a stamp, a margin note) is not part of the page's rows.
    if (Math.abs(m[1]) > Math.abs(m[0]) * 0.2) continue;
    const scale = Math.hypot(viewport[0], viewport[1]);
    const width = (item.width ?? 0) * scale;
    const text = item.str.normalize('NFC');
    // Leading and trailing spaces trimmed, the position moved by their share of the width.
    const lead = text.length - text.trimStart().length;
    const trail = text.length - text.trimEnd().length;
    const per = text.length ? width / text.length : 0;
    runs.push({
      text: text.trim(),
      x0: m[4] + lead * per,
      x1: m[4] + width - trail * per,
      y: m[5],
      size,
    });
  }
  return runs;
}

/** The ruling lines of a page (strokes and thin filled rectangles), and whether it paints images. */
async function pageGraphics(
  page: PdfPage,
  viewport: Matrix,
  OPS: Pdfjs['OPS'],
): Promise<{ segments: Segment[]; images: number }> {
  const list = await page.getOperatorList();
  const segments: Segment[] = [];
  let images = 0;
  let ctm: Matrix = viewport;
  const stack: Matrix[] = [];
  const strokeOps = new Set<number>([
    OPS.stroke,
    OPS.closeStroke,
    OPS.fillStroke,
    OPS.eoFillStroke,
    OPS.closeFillStroke,
    OPS.closeEOFillStroke,
  ]);
  const fillOps = new Set<number>([
    OPS.fill,
    OPS.eoFill,
    OPS.fillStroke,
    OPS.eoFillStroke,
    OPS.closeFillStroke,
    OPS.closeEOFillStroke,
  ]);
  for (let i = 0; i < list.fnArray.length; i++) {
    const fn = list.fnArray[i]!;
    const args = list.argsArray[i] as unknown[] | null;
    if (fn === OPS.save) stack.push(ctm);
    else if (fn === OPS.restore) ctm = stack.pop() ?? viewport;
    else if (fn === OPS.transform && args) ctm = multiply(ctm, args as Matrix);
    else if (fn === OPS.paintImageXObject || fn === OPS.paintInlineImageXObject || fn === OPS.paintImageMaskXObject)
      images++;
    else if (fn === OPS.constructPath && args) {
      const op = args[0] as number;
      const data = (args[1] as ArrayLike<number>[] | undefined)?.[0];
      if (!data || typeof op !== 'number') continue;
      const stroke = strokeOps.has(op);
      const fill = fillOps.has(op);
      if (!stroke && !fill) continue;
      // Subpaths as lists of points, in page coordinates.
      const subpaths: [number, number][][] = [];
      let current: [number, number][] = [];
      for (let k = 0; k < data.length;) {
        const code = data[k]!;
        if (code === 0) {
          if (current.length) subpaths.push(current);
          current = [apply(ctm, data[k + 1]!, data[k + 2]!)];
          k += 3;
        } else if (code === 1) {
          current.push(apply(ctm, data[k + 1]!, data[k + 2]!));
          k += 3;
        } else if (code === 2) {
          current.push(apply(ctm, data[k + 5]!, data[k + 6]!));
          k += 7;
        } else if (code === 3) {
          current.push(apply(ctm, data[k + 3]!, data[k + 4]!));
          k += 5;
        } else if (code === 4) {
          if (current.length) current.push(current[0]!);
          k += 1;
        } else break;
      }
      if (current.length) subpaths.push(current);
      for (const pts of subpaths) {
        if (stroke) {
          for (let k = 1; k < pts.length; k++) {
            const [ax, ay] = pts[k - 1]!;
            const [bx, by] = pts[k]!;
            if (Math.abs(ay - by) < 1 && Math.abs(ax - bx) > 2)
              segments.push({ horizontal: true, at: (ay + by) / 2, from: Math.min(ax, bx), to: Math.max(ax, bx) });
            else if (Math.abs(ax - bx) < 1 && Math.abs(ay - by) > 2)
              segments.push({ horizontal: false, at: (ax + bx) / 2, from: Math.min(ay, by), to: Math.max(ay, by) });
          }
        }
        if (fill && !stroke) {
          // A thin filled rectangle is a line (Word draws table borders so).
          const xs = pts.map((p) => p[0]);
          const ys = pts.map((p) => p[1]);
          const x0 = Math.min(...xs);
          const x1 = Math.max(...xs);
          const y0 = Math.min(...ys);
          const y1 = Math.max(...ys);
          if (y1 - y0 < 3 && x1 - x0 > 2) segments.push({ horizontal: true, at: (y0 + y1) / 2, from: x0, to: x1 });
          else if (x1 - x0 < 3 && y1 - y0 > 2)
            segments.push({ horizontal: false, at: (x0 + x1) / 2, from: y0, to: y1 });
        }
      }
    }
  }
  return { segments: mergeSegments(segments), images };
}

// ---------------------------------------------------------------------------------------------
// Lines and paragraphs

/** Runs grouped into lines (same baseline, within a third of the font size), each left to right. */
function toLines(runs: Run[]): Line[] {
  const sorted = [...runs].sort((a, b) => a.y - b.y || a.x0 - b.x0);
  const lines: Line[] = [];
  for (const r of sorted) {
    const last = lines[lines.length - 1];
    if (last && Math.abs(r.y - last.y) <= Math.max(1, Math.min(r.size, last.size) * 0.35)) last.runs.push(r);
    else lines.push({ runs: [r], x0: 0, x1: 0, y: r.y, size: r.size, text: '' });
  }
  for (const l of lines) {
    l.runs.sort((a, b) => a.x0 - b.x0);
    l.x0 = l.runs[0]!.x0;
    l.x1 = Math.max(...l.runs.map((r) => r.x1));
    l.size = Math.max(...l.runs.map((r) => r.size));
    l.text = joinRuns(l.runs);
  }
  return lines;
}

/** The text of runs on one line: a space where they are apart, none where a word was cut in pieces. */
function joinRuns(runs: Run[]): string {
  let text = '';
  let prev: Run | null = null;
  for (const r of runs) {
    if (prev) {
      const gap = r.x0 - prev.x1;
      if (gap > Math.min(prev.size, r.size) * 0.12 && !text.endsWith(' ')) text += ' ';
    }
    text += r.text;
    prev = r;
  }
  return text;
}

/** The width of the first word of a line, from its run's average character width. */
function firstWordWidth(line: Line): number {
  const run = line.runs[0]!;
  const word = run.text.split(/\s/)[0] ?? run.text;
  const per = run.text.length ? (run.x1 - run.x0) / run.text.length : run.size * 0.5;
  return word.length * per;
}

/** The last token of a text, and the first of another. */
const lastToken = (s: string) => s.split(/\s+/).pop() ?? '';
const firstToken = (s: string) => s.split(/\s+/)[0] ?? '';

/** A date, a month and year, or a year range, possibly cut by a line break. */
const DATE_LIKE = /^(\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}\/\d{4}|\d{4}-\d{4}|\d{1,2}-\d{1,2}-\d{4})[.,;)]*$/;

/** A line that starts a new item of a list ("- ", "+ ", "• ", "a) ", "1. ", "1.1 "). */
const LIST_MARK = /^([-+•–*]\s|[a-zđ]\)\s|\d+(\.\d+)*[.)]?\s|[IVX]+\.\s)/u;

/**
 * How two consecutive lines of a cell or a paragraph join: '' (a word or a date cut by a narrow
 * column), ' ' (the text wrapped: the next word would not have fitted), or '\n' (the writer broke
 * the line: the next word would have fitted, or the next line starts a list item).
 *
 * @param left and right: the usable width of the cell or text column.
 */
function lineJoint(prev: Line, next: Line, left: number, right: number, widest?: number): '' | ' ' | '\n' {
  const a = lastToken(prev.text);
  const b = firstToken(next.text);
  const width = right - left;
  // A date or number cut inside a narrow column: "31/03/2" + "024", "2023-" + "2025".
  if (/[\d/-]$/.test(a) && /^\d/.test(b) && DATE_LIKE.test(a + b)) return '';
  // A code cut after its hyphen ("964/QĐ-" + "TTg"): a lone dash would stand apart.
  if (a.length > 1 && a.endsWith('-') && /^[\p{L}\p{N}]/u.test(b)) return '';
  // A number or a code wider than the column ("5958/KH-" + "UBND"), cut where the column ends: the
  // line is that one token, filling the width to within a character.
  const per = prev.text.length ? (prev.x1 - prev.x0) / prev.text.length : prev.size * 0.5;
  if (
    !/\s/.test(prev.text) &&
    /[\d/]/.test(a) &&
    prev.x1 - prev.x0 >= width * 0.75 &&
    right - prev.x1 < per * 1.5 &&
    /^[\p{L}\p{N}]/u.test(b) &&
    !LIST_MARK.test(next.text)
  )
    return '';
  if (LIST_MARK.test(next.text)) return '\n';
  const space = prev.size * 0.28;
  const word = firstWordWidth(next);
  // Lines centred on one another (a title, a heading cell): would the word have fitted in the
  // width the widest line shows the text has?
  const centre = (l: Line) => (l.x0 + l.x1) / 2;
  if (Math.abs(centre(prev) - centre(next)) < prev.size * 0.5 && Math.abs(prev.x0 - next.x0) > prev.size) {
    const room = Math.max(widest ?? 0, 2 * (right - centre(prev)));
    return prev.x1 - prev.x0 + space + word <= room - prev.size * 0.1 ? '\n' : ' ';
  }
  const fits = prev.x1 + space + word <= right - prev.size * 0.1;
  return fits ? '\n' : ' ';
}

/** Lines of one cell (or paragraph) joined to its text. */
function joinLines(lines: Line[], left: number, right: number): string {
  let text = '';
  const widest = Math.max(...lines.map((l) => l.x1 - l.x0));
  lines.forEach((l, i) => {
    if (i > 0) text += lineJoint(lines[i - 1]!, l, left, right, widest);
    text += l.text;
  });
  return text.trim();
}

// ---------------------------------------------------------------------------------------------
// Ruled tables

/** Groups of segments that touch each other: each group with enough lines is a table. */
function ruledTables(segments: Segment[]): Segment[][] {
  const n = segments.length;
  const parent = segments.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const tol = 2.5;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = segments[i]!;
      const b = segments[j]!;
      let touch: boolean;
      if (a.horizontal !== b.horizontal) {
        const h = a.horizontal ? a : b;
        const v = a.horizontal ? b : a;
        touch = v.at >= h.from - tol && v.at <= h.to + tol && h.at >= v.from - tol && h.at <= v.to + tol;
      } else {
        touch = Math.abs(a.at - b.at) <= 1 && a.from <= b.to + tol && b.from <= a.to + tol;
      }
      if (touch) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, Segment[]>();
  segments.forEach((s, i) => {
    const g = groups.get(find(i)) ?? [];
    g.push(s);
    groups.set(find(i), g);
  });
  return [...groups.values()].filter(
    (g) => g.filter((s) => s.horizontal).length >= 2 && g.filter((s) => !s.horizontal).length >= 2,
  );
}

/** The grid of a group of rulings: boundaries, merged cells, and the runs inside each cell. */
function buildRuledTable(group: Segment[]): PageTable {
  const vertical = group.filter((s) => !s.horizontal);
  const horizontal = group.filter((s) => s.horizontal);
  const xs = cluster(
    vertical.map((s) => s.at),
    3,
  );
  const ys = cluster(
    horizontal.map((s) => s.at),
    3,
  );
  const top = Math.min(ys[0]!, ...vertical.map((s) => s.from));
  const bottom = Math.max(ys[ys.length - 1]!, ...vertical.map((s) => s.to));
  if (ys[0]! - top > 3) ys.unshift(top);
  if (bottom - ys[ys.length - 1]! > 3) ys.push(bottom);
  const hasV = (x: number, y0: number, y1: number) => {
    const mid = (y0 + y1) / 2;
    return vertical.some((s) => Math.abs(s.at - x) <= 3 && s.from <= mid + 1 && s.to >= mid - 1);
  };
  const hasH = (y: number, x0: number, x1: number) => {
    const mid = (x0 + x1) / 2;
    return horizontal.some((s) => Math.abs(s.at - y) <= 3 && s.from <= mid + 1 && s.to >= mid - 1);
  };
  const nCols = xs.length - 1;
  const nRows = ys.length - 1;
  const covered: boolean[][] = Array.from({ length: nRows }, () => new Array<boolean>(nCols).fill(false));
  const rows: GridCell[][] = [];
  for (let r = 0; r < nRows; r++) {
    const row: GridCell[] = [];
    for (let c = 0; c < nCols; c++) {
      if (covered[r]![c]) continue;
      let cs = 1;
      while (c + cs < nCols && !hasV(xs[c + cs]!, ys[r]!, ys[r + 1]!)) cs++;
      let rs = 1;
      const below = (rr: number) => {
        for (let k = c; k < c + cs; k++) if (hasH(ys[rr]!, xs[k]!, xs[k + 1]!)) return true;
        return false;
      };
      while (r + rs < nRows && !below(r + rs)) rs++;
      for (let rr = r; rr < r + rs; rr++) for (let cc = c; cc < c + cs; cc++) covered[rr]![cc] = true;
      row.push({ col: c, row: r, colSpan: cs, rowSpan: rs, x0: xs[c]!, x1: xs[c + cs]!, runs: [] });
    }
    rows.push(row);
  }
  return { xs, top: ys[0]!, bottom: ys[ys.length - 1]!, rows, ruled: true };
}

/** Puts each run into the cell of `table` its centre falls in; answers the runs outside. */
function fillRuledTable(table: PageTable, runs: Run[], ys: number[]): Run[] {
  const outside: Run[] = [];
  const byPos = new Map<string, GridCell>();
  for (const row of table.rows)
    for (const cell of row)
      for (let r = cell.row; r < cell.row + cell.rowSpan; r++)
        for (let c = cell.col; c < cell.col + cell.colSpan; c++) byPos.set(`${r}:${c}`, cell);
  for (const run of runs) {
    const cx = (run.x0 + run.x1) / 2;
    const cy = run.y - run.size * 0.3;
    if (cx < table.xs[0]! || cx > table.xs[table.xs.length - 1]! || cy < ys[0]! || cy > ys[ys.length - 1]!) {
      outside.push(run);
      continue;
    }
    let c = table.xs.findIndex((x, i) => i > 0 && cx <= x) - 1;
    let r = ys.findIndex((y, i) => i > 0 && cy <= y) - 1;
    if (c < 0) c = 0;
    if (r < 0) r = 0;
    const cell = byPos.get(`${r}:${c}`);
    if (cell) cell.runs.push(run);
    else outside.push(run);
  }
  return outside;
}

// ---------------------------------------------------------------------------------------------
// Tables without rules

/** Whether a line holds texts set apart by gaps wider than words are (cells side by side). */
function isTabular(line: Line): boolean {
  for (let i = 1; i < line.runs.length; i++) {
    const a = line.runs[i - 1]!;
    const b = line.runs[i]!;
    if (b.x0 - a.x1 >= Math.max(a.size, b.size) * 0.9) return true;
  }
  return false;
}

/** Column boundaries of a region: x gaps that no run of any of its lines crosses. */
function columnBounds(lines: Line[]): number[] {
  const spans = lines.flatMap((l) => l.runs).sort((a, b) => a.x0 - b.x0);
  const xs: number[] = [spans[0]!.x0];
  let reach = spans[0]!.x1;
  for (const s of spans.slice(1)) {
    if (s.x0 - reach >= s.size * 0.6) xs.push((reach + s.x0) / 2);
    reach = Math.max(reach, s.x1);
  }
  xs.push(reach);
  return xs;
}

/**
 * A table without rules as rows of cells. Rows are found column by column: in each column, lines
 * closer than a line and a third make one block (a cell's paragraph); blocks of different columns
 * that overlap in height are one row (a cell centred on a taller neighbour included).
 */
function buildUnruledTable(lines: Line[], xs: number[]): PageTable {
  const colOf = (r: Run) =>
    Math.max(0, Math.min(xs.length - 2, xs.findIndex((x, k) => k > 0 && (r.x0 + r.x1) / 2 <= x) - 1));
  const spacing = Math.min(
    ...lines
      .slice(1)
      .map((l, i) => l.y - lines[i]!.y)
      .filter((d) => d > 1),
    lines[0]!.size * 1.2,
  );
  const blocks: { top: number; bottom: number }[] = [];
  for (let c = 0; c < xs.length - 1; c++) {
    const colLines = toLines(lines.flatMap((l) => l.runs.filter((r) => colOf(r) === c)));
    let current: { top: number; bottom: number } | null = null;
    for (const l of colLines) {
      const top = l.y - l.size;
      if (current && l.y - current.bottom <= Math.max(spacing, l.size * 1.05) * 1.3) current.bottom = l.y;
      else {
        current = { top, bottom: l.y };
        blocks.push(current);
      }
    }
  }
  blocks.sort((a, b) => a.top - b.top);
  const bands: { top: number; bottom: number }[] = [];
  for (const b of blocks) {
    const last = bands[bands.length - 1];
    if (last && b.top <= last.bottom + 1) last.bottom = Math.max(last.bottom, b.bottom);
    else bands.push({ ...b });
  }
  const rows: GridCell[][] = bands.map((band, r) => {
    const row: GridCell[] = [];
    for (let c = 0; c < xs.length - 1; c++)
      row.push({ col: c, row: r, colSpan: 1, rowSpan: 1, x0: xs[c]!, x1: xs[c + 1]!, runs: [] });
    for (const l of lines)
      for (const run of l.runs)
        if (run.y >= band.top && run.y - run.size <= band.bottom) row[colOf(run)]!.runs.push(run);
    return row;
  });
  return { xs, top: lines[0]!.y - lines[0]!.size, bottom: lines[lines.length - 1]!.y, rows, ruled: false };
}

/**
 * Tables without rules among the lines of a page: two or more lines with cells side by side, close
 * below each other (with the one-cell lines between them: a cell's wrapped line, a header cell of
 * two lines), whose gaps line up into three columns or more. Answers the page's lines as blocks.
 */
function unruledBlocks(lines: Line[]): PageBlock[] {
  const blocks: PageBlock[] = [];
  let plain: Line[] = [];
  const flush = () => {
    if (plain.length) blocks.push({ kind: 'lines', lines: plain, top: plain[0]!.y - plain[0]!.size });
    plain = [];
  };
  const near = (a: Line, b: Line) => Math.abs(b.y - a.y) <= Math.max(a.size, b.size) * 3.2;
  for (let i = 0; i < lines.length;) {
    if (!isTabular(lines[i]!)) {
      plain.push(lines[i]!);
      i++;
      continue;
    }
    // From this tabular line to the last tabular line reached through near lines.
    // Two tabular lines may be a row apart; a one-cell line is within a line's height of its neighbour.
    let last = i;
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[j - 1]!;
      const b = lines[j]!;
      const both = isTabular(a) && isTabular(b);
      if (!(both ? near(a, b) : b.y - a.y <= Math.max(a.size, b.size) * 1.9)) break;
      if (isTabular(b)) last = j;
    }
    let first = i;
    // A header cell's first line above the first tabular line ("Thời gian" over "thực hiện").
    const above = plain[plain.length - 1];
    if (
      above &&
      near(above, lines[i]!) &&
      lines[i]!.y - above.y <= above.size * 1.6 &&
      above.x0 > Math.min(...lines[i]!.runs.map((r) => r.x0)) + above.size * 4
    ) {
      plain.pop();
      first = i - 1;
    }
    // Lines after the last tabular one that are still inside its columns (a cell's last lines).
    let end = last + 1;
    while (
      end < lines.length &&
      near(lines[end - 1]!, lines[end]!) &&
      lines[end]!.y - lines[end - 1]!.y <= lines[end]!.size * 1.6 &&
      lines[end]!.x0 > lines[i]!.x0 + lines[end]!.size * 4
    )
      end++;
    const region = lines.slice(first, end);
    const xs = columnBounds(region);
    if (region.length < 2 || xs.length < 3) {
      plain.push(...lines.slice(i, end));
      i = end;
      continue;
    }
    flush();
    const table = buildUnruledTable(region, xs);
    blocks.push({ kind: 'table', table, top: table.top });
    i = end;
  }
  flush();
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// The document

/** A cell's text from its runs: lines joined where they wrapped. */
function cellText(cell: GridCell): string {
  if (cell.text !== undefined) return cell.text;
  const lines = toLines(cell.runs);
  if (!lines.length) return '';
  const pad = Math.max(0, Math.min(...lines.map((l) => l.x0)) - cell.x0);
  return joinLines(lines, cell.x0 + pad, cell.x1 - Math.min(pad, 6));
}

/** Whether two tables have the same columns (one going on over a page break). */
const sameColumns = (a: PageTable, b: PageTable) =>
  a.xs.length === b.xs.length && a.xs.every((x, i) => Math.abs(x - b.xs[i]!) <= 3);

/**
 * Whether a row at the top of a page repeats a header row: the same cells, each with the same text
 * or a part of it (a repeated header row of fixed height may cut its last line off).
 */
function repeatsRow(row: GridCell[], header: GridCell[]): boolean {
  if (row.length !== header.length) return false;
  return row.every((c, i) => {
    const h = header[i]!;
    if (c.col !== h.col || c.colSpan !== h.colSpan) return false;
    const a = cellText(c).replace(/\s+/g, ' ');
    const b = cellText(h).replace(/\s+/g, ' ');
    return a === b || (a.length >= 2 && b.startsWith(a)) || (b.length >= 2 && a.startsWith(b));
  });
}

/** Page numbers and running headers: a short line of digits near the top or bottom of a page. */
function isPageNumber(line: Line, height: number): boolean {
  const near = line.y < height * 0.09 || line.y > height * 0.91;
  return near && /^(-\s*)?(trang\s*)?\d{1,4}(\s*\/\s*\d{1,4})?(\s*-)?$/iu.test(line.text.trim());
}

/**
 * Reads a PDF's text layer into paragraphs and tables.
 *
 * 1. Each page: text runs (pdf.js text content) and ruling lines (its operator list, with the
 *    transformation matrices applied); pages past {@link MAX_PDF_PAGES} are refused.
 * 2. Groups of touching rulings become grids ({@link buildRuledTable}); the page's other lines are
 *    searched for tables without rules ({@link unruledBlocks}), the rest are paragraph lines.
 * 3. A table at the top of a page with the columns of the table that ended the previous page goes
 *    on with it: a repeated header is marked, a row that starts with an empty first cell is joined
 *    to the last row.
 * 4. Paragraph lines are joined where the text wrapped; a vertical gap starts a new paragraph.
 *
 * @throws ImportError when the file is damaged, has a password, has no text layer (a scan), or
 *   passes a bound.
 */
export async function readPdf(buf: Buffer): Promise<SourceDocument> {
  const lib = await loadPdfjs();
  const dir = packageDir();
  const task = lib.getDocument({
    data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice(),
    cMapUrl: path.join(dir, 'cmaps') + path.sep,
    cMapPacked: true,
    standardFontDataUrl: path.join(dir, 'standard_fonts') + path.sep,
    wasmUrl: path.join(dir, 'wasm') + path.sep,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (e) {
    await task.destroy().catch(() => undefined);
    if ((e as Error).name === 'PasswordException') throw encryptedPdf();
    throw corruptPdf();
  }
  try {
    if (doc.numPages > MAX_PDF_PAGES) throw tooManyPages();
    const pages: { blocks: PageBlock[]; height: number; width: number }[] = [];
    let chars = 0;
    let imagePages = 0;
    const notes: string[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const page = (await doc.getPage(p)) as unknown as PdfPage;
      const vp = page.getViewport({ scale: 1 });
      const viewport = vp.transform as Matrix;
      const runs = await pageRuns(page, viewport);
      const { segments, images } = await pageGraphics(page, viewport, lib.OPS);
      page.cleanup();
      chars += runs.reduce((n, r) => n + r.text.length, 0);
      if (!runs.length && images) {
        imagePages++;
        notes.push(inBothLanguages(importWords('scannedPage', { page: p })));
      }
      const blocks: PageBlock[] = [];
      let rest = runs;
      // A page of thousands of lines is a drawing (a map, a chart), not a table: its rulings are
      // not grouped (the grouping compares every pair).
      for (const group of segments.length <= MAX_PAGE_SEGMENTS ? ruledTables(segments) : []) {
        const table = buildRuledTable(group);
        if (table.xs.length < 3 && table.rows.length < 2) continue;
        const ys = cluster(
          group.filter((s) => s.horizontal).map((s) => s.at),
          3,
        );
        if (ys[0]! - table.top > 3) ys.unshift(table.top);
        if (table.bottom - ys[ys.length - 1]! > 3) ys.push(table.bottom);
        rest = fillRuledTable(table, rest, ys);
        blocks.push({ kind: 'table', table, top: table.top });
      }
      const lines = toLines(rest).filter((l) => !isPageNumber(l, vp.height));
      // Lines between two tables are a block of their own, so that reading order holds.
      const tops = blocks.map((b) => b.top).sort((a, b) => a - b);
      const slot = (l: Line) => tops.filter((t) => t < l.y).length;
      for (let i = 0; i < lines.length;) {
        let j = i + 1;
        while (j < lines.length && slot(lines[j]!) === slot(lines[i]!)) j++;
        blocks.push(...unruledBlocks(lines.slice(i, j)));
        i = j;
      }
      blocks.sort((a, b) => a.top - b.top);
      pages.push({ blocks, height: vp.height, width: vp.width });
    }
    if (chars === 0) throw scannedPdf();
    return { format: 'pdf', blocks: assemble(pages), ...(notes.length && imagePages ? { notes } : {}) };
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

/** The pages' blocks as one document: tables joined over page breaks, paragraph lines joined. */
function assemble(pages: { blocks: PageBlock[]; height: number; width: number }[]): SourceBlock[] {
  const out: SourceBlock[] = [];
  let tableCount = 0;
  let totalRows = 0;
  let paragraphCount = 0;
  /** The table the previous page ended with, still open to continuation. */
  let open: {
    table: PageTable;
    block: Extract<SourceBlock, { kind: 'table' }>;
    header: GridCell[][];
    /** The last row read, and its index among the block's rows (repeated headers come after it). */
    last: GridCell[];
    lastIndex: number;
  } | null = null;
  // Body text column of each page size (an appendix may be landscape): the right edge no line
  // passes, and the left edge most lines start at.
  const edges = new Map<number, { left: number; right: number }>();
  for (const width of new Set(pages.map((p) => Math.round(p.width)))) {
    const lines = pages
      .filter((p) => Math.round(p.width) === width)
      .flatMap((p) => p.blocks)
      .flatMap((b) => (b.kind === 'lines' ? b.lines : []));
    const lefts = lines.map((l) => l.x0).sort((a, b) => a - b);
    edges.set(width, {
      left: lefts.length ? lefts[Math.floor(lefts.length * 0.1)]! : 0,
      // At least as far from the right as the text is from the left (few lines reach the margin).
      right: Math.max(width - (lefts.length ? lefts[Math.floor(lefts.length * 0.1)]! : 0), ...lines.map((l) => l.x1)),
    });
  }
  const edgesOf = (line: Line) => edges.get(Math.round(pages[(line.page ?? 1) - 1]!.width)) ?? { left: 0, right: 0 };

  const toRow = (row: GridCell[], where: string): SourceRow => ({
    cells: row.map((c) => {
      const cell: SourceCell = { text: cellText(c) };
      if (c.colSpan > 1) cell.colSpan = c.colSpan;
      if (c.rowSpan > 1) cell.rowSpan = c.rowSpan;
      return cell;
    }),
    where,
  });

  /** Lines of body text not yet cut into paragraphs (a paragraph may go on over a page break). */
  let pending: Line[] = [];
  const flushLines = () => {
    for (const { text, page } of paragraphsOf(pending, edgesOf)) {
      if (++paragraphCount > MAX_ROWS * 20) throw tooManyRows();
      out.push({ kind: 'paragraph', text, where: place.page(page) });
    }
    pending = [];
  };

  pages.forEach((page, index) => {
    const p = index + 1;
    page.blocks.forEach((block, k) => {
      if (block.kind === 'lines') {
        open = null;
        block.lines.forEach((l, i) => {
          l.page = p;
          l.pageStart = k === 0 && i === 0;
        });
        pending.push(...block.lines);
        if (k !== page.blocks.length - 1 || index === pages.length - 1) flushLines();
        return;
      }
      flushLines();
      const table = block.table;
      let rows = table.rows.filter((r) => r.some((c) => cellText(c).trim()) || table.ruled);
      if (!rows.length) return;
      if (open && k === 0 && sameColumns(open.table, table)) {
        // Going on from the previous page: a repeated header, then maybe the rest of a row.
        const o = open as NonNullable<typeof open>;
        let h = 0;
        while (h < o.header.length && h < rows.length && repeatsRow(rows[h]!, o.header[h]!)) h++;
        for (let i = 0; i < h; i++) o.block.rows.push({ ...toRow(rows[i]!, place.page(p)), repeatedHeader: true });
        rows = rows.slice(h);
        const first = rows[0];
        if (first && continuesRow(first, o.last)) {
          const merged = joinRows(o.last, first);
          o.block.rows[o.lastIndex] = toRow(merged, o.block.rows[o.lastIndex]!.where);
          o.last = merged;
          rows = rows.slice(1);
        }
        for (const row of rows) {
          if (++totalRows > MAX_ROWS) throw tooManyRows(place.page(p));
          o.block.rows.push(toRow(row, place.page(p)));
          o.last = row;
          o.lastIndex = o.block.rows.length - 1;
        }
        o.table = table;
      } else {
        tableCount++;
        const block: Extract<SourceBlock, { kind: 'table' }> = {
          kind: 'table',
          rows: [],
          where: place.pageTable(p, tableCount),
          // Columns of a table without rules are a guess: the review says so.
          ...(table.ruled
            ? {}
            : {
                notes: [inBothLanguages(importWords('columnsGuessedFromLayout'))],
              }),
        };
        for (const row of rows) {
          if (++totalRows > MAX_ROWS) throw tooManyRows(place.page(p));
          block.rows.push(toRow(row, place.page(p)));
        }
        out.push(block);
        // The header: the rows before the first whose first cell holds a number or is empty after text.
        const header = rows.slice(0, Math.min(3, headerDepth(rows)));
        open = { table, block, header, last: rows[rows.length - 1]!, lastIndex: block.rows.length - 1 };
      }
      if (k !== page.blocks.length - 1) open = null;
    });
  });
  flushLines();
  return out;
}

/** How many rows a table's header has: the rows before the first that starts with a number. */
function headerDepth(rows: GridCell[][]): number {
  const i = rows.findIndex(
    (r) => /^\s*([IVX]+|\d+(\.\d+)*|[a-zđ])[.)]?\s*$/iu.test(cellText(r[0]!)) || /^\s*\d/.test(cellText(r[0]!)),
  );
  return i < 0 ? 1 : Math.max(1, i);
}

/** Whether a row at the top of a page is the rest of the row the previous page ended with. */
function continuesRow(row: GridCell[], last: GridCell[]): boolean {
  const firstCol = row.find((c) => c.col === 0);
  const lastFirst = last.find((c) => c.col === 0);
  if (!firstCol || !lastFirst) return false;
  const texts = row.map((c) => cellText(c).trim()).filter(Boolean);
  if (!texts.length) return false;
  // The number cell left empty under text, or every cell going on in lower case ("vị phối hợp: …").
  if (!cellText(firstCol).trim() && !!cellText(lastFirst).trim()) return true;
  return texts.every((t) => /^[\p{Ll},;)]/u.test(t));
}

/** A row and its rest on the next page, cell by cell (by grid column). */
function joinRows(a: GridCell[], b: GridCell[]): GridCell[] {
  return a.map((cell) => {
    const rest = b.filter((c) => c.col >= cell.col && c.col < cell.col + cell.colSpan);
    const more = rest.map((c) => cellText(c)).filter(Boolean);
    const text = cellText(cell);
    if (!more.length) return { ...cell, text };
    // The cut fell inside a word or a date: joined without a space, as inside a page.
    const tail = more.join('\n');
    const joint =
      /[\d/-]$/.test(lastToken(text)) && DATE_LIKE.test(lastToken(text) + firstToken(tail)) ? '' : text ? ' ' : '';
    return { ...cell, text: `${text}${joint}${tail}` };
  });
}

/** The paragraphs of lines of body text: a gap, or a line broken before the right edge, ends one. */
function paragraphsOf(
  lines: Line[],
  edgesOf: (line: Line) => { left: number; right: number },
): { text: string; page: number }[] {
  const out: { text: string; page: number }[] = [];
  let current: Line[] = [];
  const flush = () => {
    if (current.length) {
      const { left, right } = edgesOf(current[0]!);
      const text = joinLines(current, left, right).normalize('NFC');
      if (text) out.push({ text, page: current[0]!.page ?? 1 });
    }
    current = [];
  };
  for (const line of lines) {
    const prev = current[current.length - 1];
    if (prev) {
      const { left, right } = edgesOf(line);
      // Over a page break the gap says nothing; the right edge still does.
      const gap = line.pageStart ? 0 : line.y - prev.y;
      const sameSize = Math.abs(line.size - prev.size) < 0.5;
      // Lines side by side, not one under the other (a heading's two cells, one a little lower
      // than the other: "CỘNG HÒA …" and "UBND TỈNH …"), are not one paragraph.
      const apart = line.x1 < prev.x0 || line.x0 > prev.x1;
      const newParagraph = gap > prev.size * 1.9 || !sameSize || apart || lineJoint(prev, line, left, right) === '\n';
      if (newParagraph) flush();
    }
    current.push(line);
  }
  flush();
  return out;
}

/** Whether the bytes are a PDF (its signature may follow a little junk, as readers allow). */
export function isPdf(buf: Buffer): boolean {
  return buf.subarray(0, 1024).includes('%PDF-');
}
