/**
 * Pasted or extracted text → the document model: the duty table read from its layout (pipe tables
 * with or without outer pipes; a cell per line between lone `|` lines, cells wrapped over lines;
 * tab-separated text pasted from Word or Excel; the text a PDF extractor gives, cells as blank-line
 * separated blocks), the other `|` tables as tables, and every other line as a paragraph
 * ('dòng N'). What the columns mean is the interpreter's business (src/import/interpret.ts); the
 * reader only needs a header to know how wide a row is.
 */
import { inBothLanguages } from '#root/errors/index.js';
import { parse as parseDelimited } from 'csv-parse/sync';
import { fold, tidy } from '../../domain/text.js';
import { looksLikeTimeframe, splitTimeTail } from '../../domain/timeframe.js';
import type { SourceBlock, SourceDocument, SourceRow } from '../document-model.js';
import { EMPTY_FILE } from '../draft.js';
import { ImportError } from '../errors.js';
import { cleanCell, CODE_TOKEN } from '../interpret/duties.js';
import { CODE_HEADER, composeHeader, findHeader, isForeignHeader, mapHeader } from '../interpret/headers.js';
import { place } from '../where.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/** The note on a table whose columns were guessed from a PDF's layout. */
export const PDF_GUESS = inBothLanguages(importWords('pdfTableGuessed'));

// ---------------------------------------------------------------------------------------------
// Pipe tables and cells between lone "|" lines

interface Found {
  /** The header's cells, one per column (a two-level header's sub-cells in place of their group). */
  labels: string[];
  width: number;
  /** Index of the header's first line and of the first line after it. */
  start: number;
  next: number;
  leading: boolean;
  trailing: boolean;
}

function headerRow(found: Found, repeated = false): SourceRow {
  return {
    cells: found.labels.map((text) => ({ text })),
    where: place.line(found.start + 1),
    ...(repeated ? { repeatedHeader: true } : {}),
  };
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

/**
 * A header written a cell per line: "TT", "|", "Nội dung nhiệm", "vụ", "|", "Trách nhiệm", "|", …,
 * up to the first row's number. A cell may wrap over lines; a two-level header gives its top row
 * then its sub-row.
 */
function cellPerLineHeader(lines: string[], i: number): Found | null {
  const first = (lines[i] ?? '').trim();
  if (!CODE_HEADER.test(fold(first)) || (lines[i + 1] ?? '').trim() !== '|') return null;
  const tokens: string[] = [];
  let cell: string[] = [first];
  let j = i + 1;
  let trailing = false;
  for (; j < lines.length && tokens.length < 14; j++) {
    const t = (lines[j] ?? '').trim();
    if (t === '|') {
      if (cell.length) tokens.push(cell.join('\n'));
      else if (tokens.length) {
        trailing = true;
        j++;
        break;
      }
      cell = [];
      continue;
    }
    if (!t) {
      // A blank line ends the header row (rows separated by blank lines, no closing "|").
      if (cell.length && tokens.length) {
        tokens.push(cell.join('\n'));
        cell = [];
        j++;
        break;
      }
      continue;
    }
    if (t.includes('|') || (cell.length === 0 && CODE_TOKEN.test(t))) {
      trailing = cell.length === 0;
      break;
    }
    if (cell.length >= 4 || t.length > 60) return null;
    cell.push(t);
  }
  if (cell.length && tokens.length < 14 && j >= lines.length) tokens.push(cell.join('\n'));
  const header = composeHeader(tokens);
  return header
    ? { labels: header.labels, width: header.labels.length, start: i, next: j, leading: false, trailing }
    : null;
}

function findPipeHeader(lines: string[], from = 0): Found | null {
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes('|') && line.trim() !== '|') {
      const p = pipeCells(line);
      const nextLine = lines[i + 1] ?? '';
      const below = nextLine.includes('|') && nextLine.trim() !== '|' ? pipeCells(nextLine).cells : [];
      // One line, or two: a group over its sub-columns, or header cells wrapped onto the next line.
      const found = findHeader(below.length ? [p.cells, below] : [p.cells]);
      if (found && found.start === 0)
        return {
          labels: found.labels,
          width: found.labels.length,
          start: i,
          next: i + found.next,
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
function pipeRows(lines: string[], found: Found): { rows: SourceRow[]; end: number; between: number[] } {
  const k = found.width;
  const rows: SourceRow[] = [];
  const between: number[] = [];
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
      cells: all.map((c) => ({ text: cleanCell(c) })),
      where: place.line(rowLine + 1),
      ...(all.length === k ? {} : { unsplit: true }),
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
          rows.push(headerRow(repeated, true));
          i = repeated.next - 1;
          continue;
        }
        if (CODE_TOKEN.test(t)) {
          pending = t;
          rowLine = i;
        }
        // Any other line between rows (page headers, notes, the body text after the table) is not
        // part of the table: it stays text.
        else between.push(i);
        continue;
      }
      const p = pipeCells(t);
      if (mapHeader(p.cells)) {
        rows.push({ cells: p.cells.map((c) => ({ text: c })), where: place.line(i + 1), repeatedHeader: true });
        continue;
      }
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
  return { rows, end: i, between };
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
      // A line without tabs inside a row whose cells are not all there yet is a cell's line break
      // (Word and browsers copy a cell of several lines so): the row goes on after it.
      if (!inQuote && j > i && l.trim() && !l.includes('\t') && !insideRow(lines, i, j)) break;
      if ((l.match(/"/g) ?? []).length % 2 === 1) inQuote = !inQuote;
    }
    return { start: i, end: j };
  }
  return null;
}

const tabCount = (line: string) => line.split('\t').length - 1;

/** Whether line j (no tab) breaks a cell of a row begun above it: the lines since the last whole
 *  row hold fewer tabs than the header, and a line with tabs follows to finish the row. */
function insideRow(lines: string[], header: number, j: number): boolean {
  const want = tabCount(lines[header]!);
  let k = j - 1;
  let tabs = 0;
  while (k > header && tabs < want && (tabCount(lines[k]!) > 0 || lines[k]!.trim())) {
    tabs += tabCount(lines[k]!);
    if (tabCount(lines[k]!) === want) break;
    k--;
  }
  if (tabs >= want || k <= header) return false;
  const next = lines[j + 1];
  return next !== undefined && tabCount(next) > 0 && tabs + tabCount(next) <= want;
}

/**
 * Rows whose cells were broken over lines joined again. Copied as text, a cell of several lines
 * (units one per line) ends its line; the row's next cells follow on the next line. A record with
 * fewer cells than the header is joined with the records after it while their cells, less the one
 * they share, still fit the header.
 */
function joinBrokenRows(records: string[][], lineOf: number[], width: number): { rows: string[][]; lineOf: number[] } {
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const prev = rows.at(-1);
    if (
      prev &&
      i > 1 &&
      prev.length < width &&
      r.some((c) => c.trim()) &&
      prev.length + r.length - 1 <= width &&
      !/^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,6}\.?|[a-zđ]\))\s*$/u.test(r[0] ?? '')
    ) {
      prev[prev.length - 1] = `${prev.at(-1)!}\n${r[0]!}`;
      prev.push(...r.slice(1));
      continue;
    }
    rows.push([...r]);
    lines.push(lineOf[i]!);
  }
  return { rows, lineOf: lines };
}

function tsvRows(lines: string[], start: number, end: number): { rows: string[][]; lineOf: number[] } {
  const records = parseDelimited(lines.slice(start, end).join('\n'), {
    delimiter: '\t',
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const width = records[0]?.record.length ?? 0;
  return joinBrokenRows(
    records.map((r) => r.record),
    records.map((r) => start + r.info.lines),
    width,
  );
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
      /\b(nhiem vu|noi dung|cong viec)\b/.test(head) &&
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

const UNIT_START =
  /\s(?=(?:Sở|Các|Công an|Bộ|Ủy ban|UBND|Ban|Văn phòng|Trung tâm|Hội|Chi hội|Doanh nghiệp|Đài|Báo|Cục|Chi cục|Tổng công ty|Công ty|Liên đoàn|Đoàn|Mặt trận|Kho bạc|Ngân hàng|Viện|Trường)\s)/u;

const joinLines = (lines: string[]) => tidy(lines.join(' ')).replace(/(\d{4})\s*-\s*(\d{4})/g, '$1-$2');
const startsLower = (line: string) => /^\p{Ll}/u.test(line.trim());
const looksLikeUnits = (text: string) => !text || /^[-–+\p{Lu}]/u.test(text.trim());

/** One numbered record of a PDF table → a row of five cells (number, duty, lead, cooperating, timeframe). */
function pdfRecord(code: string, rest: string, body: string[], where: string): SourceRow {
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
  const broken = (): SourceRow => ({ cells: raw.map((text) => ({ text })), where, unsplit: true });
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
      return { cells: [code, joinLines(blocks[0]!), '', '', ''].map((text) => ({ text })), where };
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
    notes.push(inBothLanguages(importWords('leadsSplitByGuess')));
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
    cells: [code, title, lead, coop, joinLines(blocks[t]!)].map((text) => ({ text })),
    where,
    ...(notes.length ? { notes } : {}),
  };
}

/** Reads the duty table of a PDF extraction: numbered records, cells as blank-line separated blocks. */
function pdfRows(
  lines: string[],
  header: { start: number; next: number; headerLines: number },
): { rows: SourceRow[]; end: number } {
  const rows: SourceRow[] = [];
  let current: {
    code: string;
    rest: string;
    body: string[];
    line: number;
  } | null = null;
  let prev: string | null = null;
  const close = () => {
    if (current) rows.push(pdfRecord(current.code, current.rest, current.body, place.line(current.line + 1)));
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
    if (/^(tt|stt) (nhiem vu|noi dung|cong viec)/.test(f)) {
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
// Whole texts

const PDF_LABELS = ['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện'];

/** A run of `|` lines that is not a duty table (the national header, an indicator table…). */
function otherTable(lines: string[], from: number, to: number): SourceBlock {
  const rows: SourceRow[] = [];
  for (let i = from; i < to; i++) {
    const t = lines[i]!.trim();
    if (!t || t === '|' || /^\|?\s*:?-{3,}/.test(t)) continue;
    rows.push({ cells: pipeCells(t).cells.map((text) => ({ text })), where: place.line(i + 1) });
  }
  return { kind: 'table', rows, where: place.line(from + 1) };
}

/**
 * Reads a plan document or a pasted table as the document model. The duty tables are found by
 * their header, in the first layout that has one (pipes or cells between lone `|` lines, else
 * tab-separated, else a PDF extraction); every other line is a paragraph or a row of another table.
 *
 * @throws ImportError when the text is empty.
 */
export function readText(text: string): SourceDocument {
  const normalized = text
    .normalize('NFC')
    .replace(/^\uFEFF/u, '')
    .replace(/\r\n?/g, '\n');
  if (!normalized.trim()) throw new ImportError(EMPTY_FILE);
  const lines = normalized.split('\n');
  const tables: { start: number; end: number; block: SourceBlock; between?: number[] }[] = [];
  let format = 'plan-text';

  for (let pos = 0; pos < lines.length;) {
    const found = findPipeHeader(lines, pos);
    if (!found) break;
    const { rows, end, between } = pipeRows(lines, found);
    tables.push({
      start: found.start,
      end,
      between,
      block: { kind: 'table', rows: [headerRow(found), ...rows], where: place.line(found.start + 1) },
    });
    format = 'table-text';
    pos = Math.max(end, found.next);
  }
  if (!tables.length) {
    const tab = findTabHeader(lines);
    if (tab) {
      const { rows, lineOf } = tsvRows(lines, tab.start, tab.end);
      tables.push({
        start: tab.start,
        end: tab.end,
        block: {
          kind: 'table',
          rows: rows.map((cells, i) => ({
            cells: cells.map((c) => ({ text: c })),
            where: place.line(lineOf[i] ?? tab.start + i + 1),
          })),
          where: place.line(tab.start + 1),
        },
      });
      format = 'tsv';
    }
  }
  if (!tables.length) {
    const free = findFreeHeader(lines);
    if (free) {
      const { rows, end } = pdfRows(lines, free);
      tables.push({
        start: free.start,
        end,
        block: {
          kind: 'table',
          rows: [{ cells: PDF_LABELS.map((t) => ({ text: t })), where: place.line(free.start + 1) }, ...rows],
          where: place.line(free.start + 1),
          notes: [PDF_GUESS],
        },
      });
      format = 'pdf-text';
    }
  }

  const blocks: SourceBlock[] = [];
  for (let i = 0; i < lines.length;) {
    const table = tables.find((t) => t.start === i);
    if (table) {
      blocks.push(table.block);
      for (const k of table.between ?? []) {
        const text = lines[k]!.trim();
        if (text && text !== '|') blocks.push({ kind: 'paragraph', text, where: place.line(k + 1) });
      }
      i = Math.max(table.end, i + 1);
      continue;
    }
    const t = lines[i]!.trim();
    if (t.includes('|') && t !== '|') {
      let j = i;
      while (j < lines.length && lines[j]!.includes('|') && !tables.some((x) => x.start === j)) j++;
      blocks.push(otherTable(lines, i, j));
      i = j;
      continue;
    }
    // Lines of three or more tab-separated cells, two or more in a row, each with as many cells: a
    // table other than the duties' (the plan's indicators: "STT | Chỉ tiêu | Đơn vị tính | 2025").
    const width = lines[i]!.split('\t').length;
    if (width >= 3 && !tables.some((x) => x.start > i && x.start < i + 2)) {
      let j = i;
      while (j < lines.length && lines[j]!.split('\t').length === width && !tables.some((x) => x.start === j)) j++;
      if (j - i >= 2) {
        const rows: SourceRow[] = [];
        for (let k = i; k < j; k++)
          rows.push({ cells: lines[k]!.split('\t').map((c) => ({ text: c.trim() })), where: place.line(k + 1) });
        blocks.push({ kind: 'table', rows, where: place.line(i + 1) });
        i = j;
        continue;
      }
    }
    if (t && t !== '|') blocks.push({ kind: 'paragraph', text: t, where: place.line(i + 1) });
    i++;
  }
  return { format, blocks };
}
