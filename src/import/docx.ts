/**
 * Word (.docx) → {@link SourceDocument}: the body's paragraphs and tables in reading order. A table
 * is read as real cells — a cell's paragraphs and line breaks (`<w:br/>`) stay inside the cell as
 * lines, a cell merged across columns (`w:gridSpan`) or down rows (`w:vMerge`) is given once with
 * its span, a table nested in a cell is part of that cell's text — and list numbering Word draws
 * itself ("1.", "a)") is written out, as a reader of the page sees it.
 *
 * The zip is read within the bounds of src/import/zip-guard.ts (a zip bomb is refused at 50 MB
 * inflated, whatever its directory says).
 */
import type { SourceBlock, SourceCell, SourceDocument, SourceRow } from './document-model.js';
import { corruptWorkbook, MAX_ROWS, tooManyRows } from './limits.js';
import { xmlTokens } from './xml.js';
import { readZipFiles } from './zip-guard.js';
import { place } from './where.js';

/** Paragraphs of body text past which a document is not a plan (a plan has a few hundred). */
const MAX_PARAGRAPHS = MAX_ROWS * 20;

// ---------------------------------------------------------------------------------------------
// List numbering (word/numbering.xml)

interface Level {
  start: number;
  format: string;
  text: string;
}

interface Numbering {
  /** numId → its levels (abstract levels with the instance's start overrides). */
  lists: Map<string, Level[]>;
  /** styleId → the list a paragraph style numbers its paragraphs with. */
  styles: Map<string, { numId: string; level: number }>;
}

function readNumbering(numberingXml: string | undefined, stylesXml: string | undefined): Numbering {
  const abstract = new Map<string, Level[]>();
  const lists = new Map<string, Level[]>();
  const styles = new Map<string, { numId: string; level: number }>();
  if (numberingXml) {
    let levels: Level[] | null = null;
    let level: Level | null = null;
    type Instance = { id: string; abstractId: string; overrides: Map<number, number> };
    let num = null as Instance | null;
    let overrideLevel = -1;
    const instances: Instance[] = [];
    for (const t of xmlTokens(numberingXml)) {
      if (t.kind === 'open') {
        const val = t.attrs['w:val'];
        if (t.name === 'w:abstractNum') {
          levels = [];
          abstract.set(t.attrs['w:abstractNumId'] ?? '', levels);
        } else if (t.name === 'w:lvl' && levels) {
          level = { start: 1, format: 'decimal', text: '' };
          levels[Number(t.attrs['w:ilvl'] ?? 0)] = level;
        } else if (t.name === 'w:start' && level) level.start = Number(val ?? 1);
        else if (t.name === 'w:numFmt' && level) level.format = val ?? 'decimal';
        else if (t.name === 'w:lvlText' && level) level.text = val ?? '';
        else if (t.name === 'w:num') {
          num = { id: t.attrs['w:numId'] ?? '', abstractId: '', overrides: new Map() };
          instances.push(num);
        } else if (t.name === 'w:abstractNumId' && num) num.abstractId = val ?? '';
        else if (t.name === 'w:lvlOverride') overrideLevel = Number(t.attrs['w:ilvl'] ?? 0);
        else if (t.name === 'w:startOverride' && num) num.overrides.set(overrideLevel, Number(val ?? 1));
      } else if (t.kind === 'close') {
        if (t.name === 'w:abstractNum') levels = null;
        else if (t.name === 'w:lvl') level = null;
        else if (t.name === 'w:num') num = null;
      }
    }
    for (const inst of instances) {
      const base = abstract.get(inst.abstractId) ?? [];
      lists.set(
        inst.id,
        base.map((l, i) => (inst.overrides.has(i) ? { ...l, start: inst.overrides.get(i)! } : l)),
      );
    }
  }
  if (stylesXml) {
    let style: string | null = null;
    let numId: string | null = null;
    let ilvl = 0;
    for (const t of xmlTokens(stylesXml)) {
      if (t.kind === 'open' && t.name === 'w:style') {
        style = t.attrs['w:styleId'] ?? null;
        numId = null;
        ilvl = 0;
      } else if (t.kind === 'open' && style && t.name === 'w:numId') numId = t.attrs['w:val'] ?? null;
      else if (t.kind === 'open' && style && t.name === 'w:ilvl') ilvl = Number(t.attrs['w:val'] ?? 0);
      else if (t.kind === 'close' && t.name === 'w:style') {
        if (style && numId && numId !== '0') styles.set(style, { numId, level: ilvl });
        style = null;
      }
    }
  }
  return { lists, styles };
}

const ROMAN: [number, string][] = [
  [1000, 'm'],
  [900, 'cm'],
  [500, 'd'],
  [400, 'cd'],
  [100, 'c'],
  [90, 'xc'],
  [50, 'l'],
  [40, 'xl'],
  [10, 'x'],
  [9, 'ix'],
  [5, 'v'],
  [4, 'iv'],
  [1, 'i'],
];

function roman(n: number): string {
  let out = '';
  for (const [v, s] of ROMAN) {
    while (n >= v) {
      out += s;
      n -= v;
    }
  }
  return out;
}

function letters(n: number): string {
  // Word's letters: a…z, then aa…zz.
  const ch = String.fromCharCode(97 + ((n - 1) % 26));
  return ch.repeat(Math.floor((n - 1) / 26) + 1);
}

/** A counter drawn in a level's format ("decimal" 3 → "3", "lowerLetter" 3 → "c", "upperRoman" 3 → "III"). */
function formatNumber(n: number, format: string): string {
  switch (format) {
    case 'lowerLetter':
      return letters(n);
    case 'upperLetter':
      return letters(n).toUpperCase();
    case 'lowerRoman':
      return roman(n);
    case 'upperRoman':
      return roman(n).toUpperCase();
    case 'decimalZero':
      return String(n).padStart(2, '0');
    case 'none':
      return '';
    default:
      return String(n);
  }
}

/** The counters of each list, as the document advances. */
class ListCounters {
  private counters = new Map<string, number[]>();
  constructor(private numbering: Numbering) {}

  /** The label of the next paragraph of list `numId` at `level` ("2.1.", "b)", "-"), or ''. */
  next(numId: string, level: number): string {
    const levels = this.numbering.lists.get(numId);
    const def = levels?.[level];
    if (!levels || !def) return '';
    const counts = this.counters.get(numId) ?? [];
    this.counters.set(numId, counts);
    for (let l = 0; l < level; l++) if (counts[l] === undefined) counts[l] = levels[l]?.start ?? 1;
    counts[level] = counts[level] === undefined ? def.start : counts[level] + 1;
    counts.length = level + 1;
    if (def.format === 'bullet') return '-';
    return def.text
      .replace(/%(\d)/g, (_, k: string) => {
        const l = Number(k) - 1;
        return formatNumber(counts[l] ?? levels[l]?.start ?? 1, levels[l]?.format ?? 'decimal');
      })
      .trim();
  }
}

// ---------------------------------------------------------------------------------------------
// The body

interface CellBuild {
  lines: string[];
  colSpan: number;
  vMerge: 'restart' | 'continue' | null;
}

interface TableBuild {
  rows: { cells: CellBuild[]; gridBefore: number }[];
  index: number;
}

/** Lines of text tidied: NFC, no trailing spaces, no empty lines at either end. */
function tidyLines(lines: string[]): string {
  const all = lines
    .join('\n')
    .normalize('NFC')
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/u, ''));
  while (all.length && !all[0]!.trim()) all.shift();
  while (all.length && !all[all.length - 1]!.trim()) all.pop();
  return all.join('\n');
}

/** Rows of grid cells from the cells as Word stores them: spans set, cells merged down given once. */
function finishTable(table: TableBuild): SourceRow[] {
  const rows: SourceRow[] = [];
  /** The cell a vertical merge started in, by grid column. */
  const open = new Map<number, SourceCell>();
  table.rows.forEach((row, r) => {
    const cells: SourceCell[] = [];
    let col = 0;
    if (row.gridBefore > 0) {
      cells.push(row.gridBefore > 1 ? { text: '', colSpan: row.gridBefore } : { text: '' });
      col = row.gridBefore;
    }
    for (const c of row.cells) {
      const text = tidyLines(c.lines);
      const master = c.vMerge === 'continue' ? open.get(col) : undefined;
      if (master) {
        master.rowSpan = (master.rowSpan ?? 1) + 1;
        if (text) master.text = master.text ? `${master.text}\n${text}` : text;
      } else {
        const cell: SourceCell = { text };
        if (c.colSpan > 1) cell.colSpan = c.colSpan;
        cells.push(cell);
        if (c.vMerge) open.set(col, cell);
        else open.delete(col);
      }
      for (let k = 1; k < c.colSpan; k++) open.delete(col + k);
      col += c.colSpan;
    }
    rows.push({ cells, where: place.tableRow(table.index, r + 1) });
  });
  return rows;
}

/**
 * Reads the body of a .docx: paragraphs (with their list numbers) and tables, in order.
 *
 * 1. The zip is opened within its bounds; `word/document.xml` (and numbering and styles, for list
 *    numbers) are inflated.
 * 2. The XML is walked once: `w:t` text, `w:tab`, `w:br`/`w:cr` (a line break), `w:noBreakHyphen`
 *    make a paragraph's text; `mc:Fallback` (a copy of what `mc:Choice` says) and deleted text are
 *    skipped.
 * 3. A paragraph outside any table is a block; one inside a cell is a line of that cell, at any
 *    depth of nesting (a nested table's text belongs to its outer cell).
 * 4. Each top-level table becomes rows of cells with spans ({@link finishTable}).
 *
 * @throws ImportError when the file is not a Word document, is damaged, or passes a bound.
 */
export function readDocx(buf: Buffer): SourceDocument {
  const files = readZipFiles(buf, (name) =>
    ['word/document.xml', 'word/numbering.xml', 'word/styles.xml'].includes(name),
  );
  const document = files.get('word/document.xml');
  if (!document) throw corruptWorkbook('docx');
  const numbering = readNumbering(
    files.get('word/numbering.xml')?.toString('utf8'),
    files.get('word/styles.xml')?.toString('utf8'),
  );
  const counters = new ListCounters(numbering);

  const blocks: SourceBlock[] = [];
  const tables: TableBuild[] = [];
  let tableCount = 0;
  let totalRows = 0;
  let paragraphCount = 0;
  /** Open paragraphs (a text box's paragraphs open inside a paragraph). */
  const paragraphs: { text: string[]; style: string | null; numId: string | null; level: number }[] = [];
  let inText = false;
  let skipDepth = 0;
  let skipName = '';

  for (const t of xmlTokens(document.toString('utf8'))) {
    if (skipDepth > 0) {
      if (t.kind === 'open' && t.name === skipName && !t.selfClosing) skipDepth++;
      else if (t.kind === 'close' && t.name === skipName) skipDepth--;
      continue;
    }
    const p = paragraphs[paragraphs.length - 1];
    const table = tables[tables.length - 1];
    if (t.kind === 'text') {
      if (inText && p) p.text.push(t.text);
      continue;
    }
    if (t.kind === 'open') {
      switch (t.name) {
        case 'mc:Fallback':
        case 'w:delText':
        case 'w:instrText':
        case 'w:pPrChange':
        case 'w:rPrChange':
        case 'w:tblPrChange':
        case 'w:trPrChange':
        case 'w:tcPrChange':
          if (!t.selfClosing) {
            skipDepth = 1;
            skipName = t.name;
          }
          break;
        case 'w:p':
          if (t.selfClosing) {
            if (table?.rows.length) table.rows[table.rows.length - 1]!.cells.at(-1)?.lines.push('');
            break;
          }
          paragraphs.push({ text: [], style: null, numId: null, level: 0 });
          break;
        case 'w:pStyle':
          if (p) p.style = t.attrs['w:val'] ?? null;
          break;
        case 'w:numId':
          if (p) p.numId = t.attrs['w:val'] ?? null;
          break;
        case 'w:ilvl':
          if (p) p.level = Number(t.attrs['w:val'] ?? 0);
          break;
        case 'w:t':
          inText = !t.selfClosing;
          break;
        case 'w:tab':
          if (p && !paragraphsInProps(t.attrs)) p.text.push('\t');
          break;
        case 'w:br':
        case 'w:cr':
          p?.text.push('\n');
          break;
        case 'w:noBreakHyphen':
          p?.text.push('-');
          break;
        case 'w:tbl':
          if (tables.length === 0 || t.selfClosing) {
            if (!t.selfClosing) tables.push({ rows: [], index: ++tableCount });
          } else tables.push({ rows: [], index: -1 });
          break;
        case 'w:tr':
          if (table && table.index > 0) {
            table.rows.push({ cells: [], gridBefore: 0 });
            if (++totalRows > MAX_ROWS) throw tooManyRows(place.table(table.index));
          }
          break;
        case 'w:gridBefore':
          if (table && table.index > 0 && table.rows.length)
            table.rows[table.rows.length - 1]!.gridBefore = Number(t.attrs['w:val'] ?? 0) || 0;
          break;
        case 'w:tc':
          if (table && table.index > 0 && table.rows.length)
            table.rows[table.rows.length - 1]!.cells.push({ lines: [], colSpan: 1, vMerge: null });
          break;
        case 'w:gridSpan':
          if (table && table.index > 0) {
            const cell = table.rows.at(-1)?.cells.at(-1);
            if (cell) cell.colSpan = Math.max(1, Number(t.attrs['w:val'] ?? 1) || 1);
          }
          break;
        case 'w:vMerge':
          if (table && table.index > 0) {
            const cell = table.rows.at(-1)?.cells.at(-1);
            if (cell) cell.vMerge = t.attrs['w:val'] === 'restart' ? 'restart' : 'continue';
          }
          break;
      }
      continue;
    }
    // close
    switch (t.name) {
      case 'w:t':
        inText = false;
        break;
      case 'w:p': {
        const done = paragraphs.pop();
        if (!done) break;
        const numId = done.numId ?? (done.style ? numbering.styles.get(done.style)?.numId : undefined);
        const level = done.numId ? done.level : ((done.style ? numbering.styles.get(done.style)?.level : 0) ?? 0);
        const label = numId && numId !== '0' ? counters.next(numId, level) : '';
        const body = done.text.join('');
        const text = label && body.trim() ? `${label} ${body}` : label && !body.trim() ? label : body;
        const outer = paragraphs[paragraphs.length - 1];
        if (outer) {
          // A text box inside a paragraph: its text joins the paragraph's.
          outer.text.push(outer.text.length ? '\n' : '', text);
        } else if (tables.length) {
          const cell = tables[0]!.rows.at(-1)?.cells.at(-1);
          cell?.lines.push(...text.split('\n'));
        } else {
          const clean = tidyLines([text]);
          if (!clean) break;
          if (++paragraphCount > MAX_PARAGRAPHS) throw tooManyRows();
          blocks.push({ kind: 'paragraph', text: clean, where: place.paragraph(paragraphCount) });
        }
        break;
      }
      case 'w:tbl': {
        const done = tables.pop();
        if (done && done.index > 0) {
          const rows = finishTable(done);
          blocks.push({ kind: 'table', rows, where: place.table(done.index) });
        }
        break;
      }
    }
  }
  return { format: 'docx', blocks };
}

/** A `w:tab` inside paragraph properties (a tab stop, `w:tabs/w:tab`) has `w:pos`: not text. */
function paragraphsInProps(attrs: Record<string, string>): boolean {
  return 'w:pos' in attrs;
}
