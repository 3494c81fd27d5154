/**
 * Plan files → drafts: CSV, XLSX, and text (plan documents, pasted tables, TSV); Word (.docx, .doc)
 * and PDF files through the document readers (src/import/documents.ts) and the interpreter.
 */
import path from 'node:path';
import { parse as parseDelimited } from 'csv-parse/sync';
import type ExcelJS from 'exceljs';
import { decodeText, hasBinarySignature, isEncryptedOffice } from './decode.js';
import { ImportError } from './errors.js';
import { encryptedFile, MAX_ROWS, tooManyRows } from './limits.js';
import { checkXlsx } from './zip-guard.js';
import { documentKind, readDocument } from './documents.js';
import { EMPTY_FILE, type ParseOptions, type PlanDraft } from './draft.js';
import { interpretDocument } from './interpret.js';
import { parsePlanRows, parsePlanText } from './plan-document.js';
import { gridDocument } from './readers/grid.js';
import { place } from './where.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/** Counts `delimiter` outside double quotes in each of the first physical lines of `text`. */
function delimiterCounts(text: string, delimiter: string): number[] {
  const counts: number[] = [];
  let n = 0;
  let inQuote = false;
  let seen = 0;
  for (let i = 0; i < text.length && counts.length < 20; i++) {
    const ch = text[i];
    if (ch === '"') inQuote = !inQuote;
    else if (!inQuote && ch === delimiter) n++;
    else if (!inQuote && ch === '\n') {
      if (seen > 0) counts.push(n);
      n = 0;
      seen = 0;
      continue;
    }
    if (ch !== '\r' && ch !== ' ') seen++;
  }
  if (seen > 0) counts.push(n);
  return counts;
}

/** The delimiter among `,` `;` and tab whose count per line is the most consistent and largest. */
function detectDelimiter(text: string): string {
  let best = ',';
  let bestScore = 0;
  for (const d of [',', ';', '\t']) {
    const counts = delimiterCounts(text, d).filter((c) => c > 0);
    const freq = new Map<number, number>();
    for (const c of counts) freq.set(c, (freq.get(c) ?? 0) + 1);
    let score = 0;
    for (const [c, f] of freq) score = Math.max(score, c * f * f);
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return best;
}

/**
 * Parses CSV text into rows of cells. The delimiter (`,`, `;` or tab) is detected; quotes and
 * column counts are relaxed (a stray quote or a short row does not fail the file); quoted cells
 * may span lines.
 */
export function parseCsv(text: string): string[][] {
  const clean = text.replace(/^\uFEFF/u, '').replace(/\r\n?/g, '\n');
  if (!clean.trim()) return [];
  // Refused before parsing: a record is at least one line.
  if (lineCount(clean) > MAX_ROWS * 4) throw tooManyRows();
  const rows = parseDelimited(clean, {
    delimiter: detectDelimiter(clean),
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
  }) as string[][];
  if (rows.length > MAX_ROWS) throw tooManyRows();
  return rows;
}

/** The number of lines of a text. */
function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The text of a cell value: rich text joined, formulas' results, hyperlinks' text, dates as dd/mm/yyyy. */
function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date)
    return `${pad2(value.getUTCDate())}/${pad2(value.getUTCMonth() + 1)}/${value.getUTCFullYear()}`;
  if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((r) => r.text).join('');
  if ('error' in value) return '';
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result);
  if ('text' in value) {
    const text = (value as { text: unknown }).text;
    if (typeof text === 'string') return text;
    return cellText(text as ExcelJS.CellValue);
  }
  return '';
}

/**
 * Reads every worksheet of an XLSX workbook as rows of cell texts (row i of `rows` is sheet row i+1).
 * A merged range keeps its value in its first column only: repeated down the rows of that column
 * (a lead unit merged over several duties applies to each), never across columns (a section title
 * merged over the row is not also a lead unit). A number merged down several rows is repeated too;
 * the duty reader takes repeated numbers as the same duty, so no duty is duplicated.
 *
 * The zip is checked first ({@link checkXlsx}: inflated size, rows and cells of each sheet), and
 * only the cells the sheet has are visited (a row formatted out to column XFD, or a sheet whose last
 * formatted row is 1,048,576, costs nothing); rows after the last one with text are dropped.
 *
 * @throws ImportError when the bytes are not a readable workbook, or pass a bound (src/import/limits.ts).
 */
export async function parseXlsx(buf: Buffer): Promise<{ sheet: string; rows: string[][] }[]> {
  checkXlsx(buf);
  // ExcelJS is loaded for a workbook only: a text, Word or PDF plan never needs it.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    throw new ImportError(importWords('xlsxUnreadable'));
  }
  const sheets: { sheet: string; rows: string[][] }[] = [];
  workbook.eachSheet((ws) => {
    const rows: string[][] = [];
    ws.eachRow({ includeEmpty: false }, (row, r) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: false }, (cell, c) => {
        const master = cell.isMerged ? cell.master : cell;
        const text = master !== cell && master.col !== cell.col ? '' : cellText(master.value).replace(/\r\n?/g, '\n');
        if (!text) return;
        while (cells.length < c - 1) cells.push('');
        cells[c - 1] = text;
      });
      while (cells.length && !cells[cells.length - 1]!.trim()) cells.pop();
      if (!cells.length) return;
      if (r > MAX_ROWS) throw tooManyRows(ws.name);
      while (rows.length < r - 1) rows.push([]);
      rows[r - 1] = cells;
    });
    sheets.push({ sheet: ws.name, rows });
  });
  return sheets;
}

const TEXT_EXTENSIONS = new Set(['', '.txt', '.md', '.tsv', '.tab', '.text']);

/**
 * Reads an uploaded plan file, choosing the reader by signature and extension: a PDF, a Word file
 * (.docx zip, .doc OLE) → the document readers and the interpreter; .xlsx (or another zip) → the
 * first sheet with a duty table; .csv → CSV; anything textual (.txt, .md, .tsv, pasted text) → the
 * plan-document reader.
 *
 * A file with no duty table gives its header and report duties and the plan flag NO_DUTY_TABLE.
 *
 * @throws ImportError for an empty file, or a binary or unsupported file.
 */
export async function parsePlanFile(name: string, buf: Buffer, options: ParseOptions): Promise<PlanDraft> {
  const ext = path.extname(name).toLowerCase();
  if (buf.length === 0) throw new ImportError(EMPTY_FILE, name);
  const zip = buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
  const ole = buf[0] === 0xd0 && buf[1] === 0xcf && buf[2] === 0x11 && buf[3] === 0xe0;

  // Word and PDF files, by their bytes (a .doc that is a .docx, a PDF without its extension…).
  if (isEncryptedOffice(buf)) throw encryptedFile(ext === '.doc' || ext === '.docx' ? 'docx' : 'xlsx');
  const documentType = documentKind(ext, buf);
  if (documentType) return interpretDocument(await readDocument(documentType, buf), options);
  if (ole || ext === '.xls') {
    throw new ImportError(importWords('xlsUnsupported'), name);
  }
  if (zip || ext === '.xlsx' || ext === '.xlsm') {
    const sheets = await parseXlsx(buf);
    if (!sheets.some((s) => s.rows.some((r) => r.some((c) => c.trim())))) throw new ImportError(EMPTY_FILE, name);
    // Every sheet is a table of the document: the duty table may be on any of them.
    const doc = gridDocument(
      'xlsx',
      sheets.map(({ sheet, rows }) => ({ rows, sourceOf: (i: number) => `${sheet}!A${i + 1}` })),
    );
    return interpretDocument(doc, options);
  }
  if (hasBinarySignature(buf)) throw new ImportError(importWords('notText'), name);

  const text = decodeText(buf);
  if (!text.trim()) throw new ImportError(EMPTY_FILE, name);
  // A plan document runs to a few thousand lines; a table of more rows than the bound is refused.
  if (lineCount(text) > MAX_ROWS * 4) throw tooManyRows(name);
  if (ext === '.csv')
    return parsePlanRows(parseCsv(text), {
      ...options,
      format: 'csv',
      sourceOf: (i) => place.row(i + 1),
    });
  if (!TEXT_EXTENSIONS.has(ext)) {
    // Unknown extension: a CSV-looking text is read as CSV, anything else as a document.
    const asText = parsePlanText(text, options);
    if (asText.duties.some((d) => d.origin === 'appendix')) return asText;
    const asCsv = parsePlanRows(parseCsv(text), { ...options, format: 'csv', sourceOf: (i) => place.row(i + 1) });
    return asCsv.duties.length > asText.duties.length ? asCsv : asText;
  }
  return parsePlanText(text, options);
}

/**
 * Reads a plan whose file name is not known (an upload whose name the form lost, or pasted text):
 * a known extension goes to {@link parsePlanFile}; binary signatures (XLSX, PDF, images…) are
 * told apart by {@link parsePlanFile} as well. Text is read both as CSV and as a plan document,
 * and the reading that finds more duties wins (a document on a tie): a CSV read as a document
 * finds no table, and a document read as CSV finds none either.
 *
 * @throws ImportError when the file cannot be read at all (empty, binary, unsupported).
 */
export async function parsePlanUpload(buf: Buffer, options: ParseOptions, name?: string | null): Promise<PlanDraft> {
  const ext = name ? path.extname(name).toLowerCase() : '';
  if (name && ext && !TEXT_EXTENSIONS.has(ext)) return parsePlanFile(name, buf, options);
  if (buf.length === 0 || hasBinarySignature(buf)) return parsePlanFile(name || 'upload', buf, options);
  const tryParse = async (as: string) => {
    try {
      return await parsePlanFile(as, buf, options);
    } catch (e) {
      if (e instanceof ImportError) return e;
      throw e;
    }
  };
  const asText = await tryParse(name || 'upload.txt');
  const asCsv = await tryParse('upload.csv');
  const count = (d: PlanDraft | ImportError) => (d instanceof ImportError ? -1 : d.duties.length);
  const best = count(asCsv) > count(asText) ? asCsv : asText;
  if (best instanceof ImportError) throw best;
  return best;
}
