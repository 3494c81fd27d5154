/**
 * Word 97–2003 (.doc) → {@link SourceDocument}. A .doc is an OLE compound file ([MS-CFB]) whose
 * `WordDocument` stream holds the text in pieces ([MS-DOC] piece table, in the `0Table`/`1Table`
 * stream) and the paragraphs' properties in formatted disk pages (PAPX FKPs). Tables are not
 * stored as such: a cell's text ends with the cell mark (\x07), and a row ends with a paragraph
 * of its own marked "table terminating" (sprmPFTtp), whose table definition (sprmTDefTable) gives
 * the cells' boundaries — from which merged cells (colSpan, and rowSpan from vertical merges) are
 * rebuilt.
 *
 * Read here without a library: the compound file, the FIB, the piece table and the PAPX pages are
 * a few hundred bytes of structure each, every offset checked against the stream's length.
 */
import iconv from 'iconv-lite';
import type { SourceBlock, SourceCell, SourceDocument, SourceRow } from './document-model.js';
import { corruptDoc, encryptedFile, MAX_ROWS, tooManyRows } from './limits.js';
import { place } from './where.js';

const OLE_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const END_OF_CHAIN = 0xfffffffe;

/** Whether the bytes are an OLE compound file (.doc, .xls, an encrypted .docx/.xlsx). */
export const isOle = (buf: Buffer) => buf.length >= 512 && buf.subarray(0, 8).equals(OLE_SIGNATURE);

/** Whether an OLE file holds a Word document stream. */
export const isWord97 = (buf: Buffer) => isOle(buf) && buf.includes(Buffer.from('WordDocument', 'utf16le'));

// ---------------------------------------------------------------------------------------------
// Compound file

/** The streams of a compound file by name, read lazily. */
function openCompound(buf: Buffer): (name: string) => Buffer | null {
  const fail = () => corruptDoc();
  if (!isOle(buf)) throw fail();
  const sectorShift = buf.readUInt16LE(0x1e);
  const miniShift = buf.readUInt16LE(0x20);
  if (sectorShift !== 9 && sectorShift !== 12) throw fail();
  const sectorSize = 1 << sectorShift;
  const miniSize = 1 << miniShift;
  const sectors = Math.floor((buf.length - sectorSize) / sectorSize);
  const sectorAt = (n: number) => {
    const at = (n + 1) * sectorSize;
    if (n < 0 || n >= sectors || at + sectorSize > buf.length) throw fail();
    return buf.subarray(at, at + sectorSize);
  };
  // The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
  const fatSectors: number[] = [];
  const nFat = buf.readUInt32LE(0x2c);
  for (let i = 0; i < 109 && fatSectors.length < nFat; i++) fatSectors.push(buf.readUInt32LE(0x4c + i * 4));
  let difat = buf.readUInt32LE(0x44);
  for (let guard = 0; difat !== END_OF_CHAIN && difat < sectors && fatSectors.length < nFat; guard++) {
    if (guard > sectors) throw fail();
    const s = sectorAt(difat);
    for (let i = 0; i < sectorSize / 4 - 1 && fatSectors.length < nFat; i++) fatSectors.push(s.readUInt32LE(i * 4));
    difat = s.readUInt32LE(sectorSize - 4);
  }
  const fat = Buffer.concat(fatSectors.map(sectorAt));
  const next = (n: number) => (n * 4 + 4 <= fat.length ? fat.readUInt32LE(n * 4) : END_OF_CHAIN);
  const chain = (start: number, read: (n: number) => Buffer, nextOf: (n: number) => number, limit: number) => {
    const parts: Buffer[] = [];
    for (let n = start, guard = 0; n !== END_OF_CHAIN && n < 0xfffffffa; n = nextOf(n)) {
      if (++guard > limit) throw fail();
      parts.push(read(n));
    }
    return Buffer.concat(parts);
  };
  const directory = chain(buf.readUInt32LE(0x30), sectorAt, next, sectors);
  const entries: { name: string; type: number; start: number; size: number }[] = [];
  for (let at = 0; at + 128 <= directory.length; at += 128) {
    const len = Math.min(64, directory.readUInt16LE(at + 0x40));
    entries.push({
      name: directory.toString('utf16le', at, at + Math.max(0, len - 2)),
      type: directory[at + 0x42]!,
      start: directory.readUInt32LE(at + 0x74),
      size: directory.readUInt32LE(at + 0x78),
    });
  }
  const root = entries.find((e) => e.type === 5);
  if (!root) throw fail();
  const cutoff = buf.readUInt32LE(0x38) || 4096;
  let miniStream: Buffer | null = null;
  let miniFat: Buffer | null = null;
  return (name: string) => {
    const entry = entries.find((e) => e.type === 2 && e.name === name);
    if (!entry) return null;
    if (entry.size > buf.length * 2 + (1 << 20)) throw fail();
    if (entry.size >= cutoff) return chain(entry.start, sectorAt, next, sectors).subarray(0, entry.size);
    miniStream ??= chain(root.start, sectorAt, next, sectors);
    miniFat ??= chain(buf.readUInt32LE(0x3c), sectorAt, next, sectors);
    const ms = miniStream;
    const mf = miniFat;
    const miniAt = (n: number) => {
      const at = n * miniSize;
      if (at + miniSize > ms.length) throw fail();
      return ms.subarray(at, at + miniSize);
    };
    const miniNext = (n: number) => (n * 4 + 4 <= mf.length ? mf.readUInt32LE(n * 4) : END_OF_CHAIN);
    return chain(entry.start, miniAt, miniNext, ms.length / miniSize + 1).subarray(0, entry.size);
  };
}

// ---------------------------------------------------------------------------------------------
// Text and paragraph properties

interface Piece {
  cpStart: number;
  cpEnd: number;
  fc: number;
  compressed: boolean;
}

/** Properties of a paragraph that matter here. */
interface ParaProps {
  inTable: boolean;
  /** Ends a table row (the row's own paragraph mark, after its cells). */
  rowEnd: boolean;
  /** Nesting depth (1 for a table in the body, 2 for a table in a cell…). */
  depth: number;
  /** For a row end: the cells' boundaries and merge flags (sprmTDefTable). */
  cells?: { x0: number; x1: number; vMerge: 'restart' | 'continue' | null; hMerged: boolean; hFirst: boolean }[];
}

/** The operand size of a sprm ([MS-DOC] 2.2.5.1), variable ones read at `at`. */
function sprmOperandSize(sprm: number, data: Buffer, at: number): number {
  switch (sprm >> 13) {
    case 0:
    case 1:
      return 1;
    case 2:
    case 4:
    case 5:
      return 2;
    case 3:
      return 4;
    case 7:
      return 3;
    default:
      // sprmTDefTable: a 2-byte size (one more than the bytes that follow it).
      if (sprm === 0xd608) return at + 2 <= data.length ? data.readUInt16LE(at) + 1 : 0;
      return at < data.length ? data[at]! + 1 : 0;
  }
}

/**
 * Reads the sprms of a grpprl into paragraph properties. A paragraph whose properties did not fit
 * its page (a table row's definition, often) has them in the Data stream (sprmPHugePapx).
 */
function readSprms(data: Buffer, props: ParaProps, dataStream: Buffer | null, depth = 0): void {
  for (let i = 0; i + 2 <= data.length;) {
    const sprm = data.readUInt16LE(i);
    i += 2;
    const size = sprmOperandSize(sprm, data, i);
    if (size <= 0 || i + size > data.length) break;
    if (sprm === 0x2416) props.inTable = data[i] !== 0;
    else if (sprm === 0x2417 || sprm === 0x244c) props.rowEnd = props.rowEnd || data[i] !== 0;
    else if (sprm === 0x6649) props.depth = data.readInt32LE(i);
    else if (sprm === 0xd608) props.cells = tableDefinition(data.subarray(i + 2, i + size));
    else if (sprm === 0x6646 && dataStream && depth === 0) {
      const at = data.readUInt32LE(i);
      if (at + 2 <= dataStream.length) {
        const cb = dataStream.readUInt16LE(at);
        readSprms(dataStream.subarray(at + 2, Math.min(dataStream.length, at + 2 + cb)), props, null, 1);
      }
    }
    i += size;
  }
}

/** sprmTDefTable's operand: itcMac, the cells' edges, then a TC80 (20 bytes) per cell. */
function tableDefinition(op: Buffer): ParaProps['cells'] {
  if (op.length < 1) return undefined;
  const n = op[0]!;
  if (op.length < 1 + (n + 1) * 2) return undefined;
  const edges: number[] = [];
  for (let k = 0; k <= n; k++) edges.push(op.readInt16LE(1 + k * 2));
  const tcs = 1 + (n + 1) * 2;
  const cells: NonNullable<ParaProps['cells']> = [];
  for (let k = 0; k < n; k++) {
    const at = tcs + k * 20;
    const flags = at + 2 <= op.length ? op.readUInt16LE(at) : 0;
    const vertMerge = (flags & 0x20) !== 0;
    const vertRestart = (flags & 0x40) !== 0;
    cells.push({
      x0: edges[k]!,
      x1: edges[k + 1]!,
      vMerge: vertMerge ? (vertRestart ? 'restart' : 'continue') : null,
      hFirst: (flags & 0x01) !== 0,
      hMerged: (flags & 0x02) !== 0,
    });
  }
  return cells;
}

/**
 * Reads a .doc's main text and its paragraphs' properties.
 *
 * @throws ImportError when the file is damaged or encrypted.
 */
function readWordText(buf: Buffer): { paragraphs: { text: string; props: ParaProps }[] } {
  const stream = openCompound(buf);
  const word = stream('WordDocument');
  if (!word || word.length < 0x200 || word.readUInt16LE(0) !== 0xa5ec) throw corruptDoc();
  const flags = word.readUInt16LE(0x0a);
  if (flags & 0x0100) throw encryptedFile('docx');
  const table = stream(flags & 0x0200 ? '1Table' : '0Table');
  if (!table) throw corruptDoc();
  const dataStream = stream('Data');
  const csw = word.readUInt16LE(0x20);
  const lwAt = 0x22 + csw * 2 + 2;
  const cslw = word.readUInt16LE(0x22 + csw * 2);
  const ccpText = word.readInt32LE(lwAt + 3 * 4);
  const fcLcbAt = lwAt + cslw * 4 + 2;
  const pair = (index: number) => {
    const at = fcLcbAt + index * 8;
    if (at + 8 > word.length) throw corruptDoc();
    return { fc: word.readUInt32LE(at), lcb: word.readUInt32LE(at + 4) };
  };
  const clx = pair(33);
  const btePapx = pair(13);
  if (clx.fc + clx.lcb > table.length || btePapx.fc + btePapx.lcb > table.length) throw corruptDoc();

  // The piece table: skip the Prcs (0x01), read the Pcdt (0x02).
  const pieces: Piece[] = [];
  for (let i = clx.fc; i < clx.fc + clx.lcb;) {
    const kind = table[i]!;
    if (kind === 0x01) {
      i += 3 + table.readUInt16LE(i + 1);
      continue;
    }
    if (kind !== 0x02) throw corruptDoc();
    const lcb = table.readUInt32LE(i + 1);
    const plc = table.subarray(i + 5, i + 5 + lcb);
    const n = (lcb - 4) / 12;
    if (!Number.isInteger(n) || n < 1) throw corruptDoc();
    for (let k = 0; k < n; k++) {
      const raw = plc.readUInt32LE((n + 1) * 4 + k * 8 + 2);
      const compressed = (raw & 0x40000000) !== 0;
      pieces.push({
        cpStart: plc.readUInt32LE(k * 4),
        cpEnd: plc.readUInt32LE(k * 4 + 4),
        fc: compressed ? (raw & 0x3fffffff) / 2 : raw,
        compressed,
      });
    }
    break;
  }
  if (!pieces.length) throw corruptDoc();

  // The text of the main document, with the file offset of each character.
  let text = '';
  const fcs: number[] = [];
  for (const p of pieces) {
    if (p.cpStart >= ccpText) break;
    const end = Math.min(p.cpEnd, ccpText);
    const count = end - p.cpStart;
    if (count <= 0) continue;
    const bytes = count * (p.compressed ? 1 : 2);
    if (p.fc + bytes > word.length) throw corruptDoc();
    const chunk = word.subarray(p.fc, p.fc + bytes);
    text += p.compressed ? iconv.decode(chunk, 'windows1252') : chunk.toString('utf16le');
    for (let k = 0; k < count; k++) fcs.push(p.fc + k * (p.compressed ? 1 : 2));
    if (text.length > 20_000_000) throw tooManyRows();
  }

  // Paragraph properties: the BTE gives the FKP page of each range of file offsets.
  const nBte = (btePapx.lcb - 4) / 8;
  const bteFc: number[] = [];
  const btePn: number[] = [];
  for (let k = 0; k <= nBte; k++) bteFc.push(table.readUInt32LE(btePapx.fc + k * 4));
  for (let k = 0; k < nBte; k++) btePn.push(table.readUInt32LE(btePapx.fc + (nBte + 1) * 4 + k * 4) & 0x3fffff);
  const propsAt = (fc: number): ParaProps => {
    const props: ParaProps = { inTable: false, rowEnd: false, depth: 0 };
    let lo = 0;
    let hi = nBte - 1;
    let page = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (fc < bteFc[mid]!) hi = mid - 1;
      else if (fc >= bteFc[mid + 1]!) lo = mid + 1;
      else {
        page = btePn[mid]!;
        break;
      }
    }
    if (page < 0 || (page + 1) * 512 > word.length) return props;
    const fkp = word.subarray(page * 512, page * 512 + 512);
    const crun = fkp[511]!;
    for (let k = 0; k < crun; k++) {
      if (fc < fkp.readUInt32LE(k * 4) || fc >= fkp.readUInt32LE(k * 4 + 4)) continue;
      const bOffset = fkp[(crun + 1) * 4 + k * 13]! * 2;
      if (bOffset === 0 || bOffset >= 511) return props;
      let cb = fkp[bOffset]!;
      let at = bOffset + 1;
      let len: number;
      if (cb === 0) {
        cb = fkp[at]!;
        at++;
        len = cb * 2;
      } else len = cb * 2 - 1;
      const grpprl = fkp.subarray(at + 2, Math.min(512, at + len));
      readSprms(grpprl, props, dataStream);
      if (props.inTable && props.depth === 0) props.depth = 1;
      return props;
    }
    return props;
  };

  const paragraphs: { text: string; props: ParaProps }[] = [];
  let start = 0;
  for (let cp = 0; cp < text.length; cp++) {
    const ch = text[cp];
    if (ch !== '\r' && ch !== '\x07') continue;
    const props = propsAt(fcs[cp]!);
    paragraphs.push({ text: text.slice(start, cp + 1), props });
    if (paragraphs.length > MAX_ROWS * 40) throw tooManyRows();
    start = cp + 1;
  }
  if (start < text.length)
    paragraphs.push({ text: text.slice(start), props: { inTable: false, rowEnd: false, depth: 0 } });
  return { paragraphs };
}

/** The visible text of a paragraph: field codes dropped (their results kept), special marks mapped. */
function visibleText(raw: string): string {
  let out = '';
  // Field nesting: inside a field's code (between \x13 and \x14) nothing is shown.
  const stack: boolean[] = [];
  for (const ch of raw) {
    if (ch === '\x13') {
      stack.push(true);
      continue;
    }
    if (ch === '\x14') {
      if (stack.length) stack[stack.length - 1] = false;
      continue;
    }
    if (ch === '\x15') {
      stack.pop();
      continue;
    }
    if (stack.some((code) => code)) continue;
    if (ch === '\r' || ch === '\x07') continue;
    if (ch === '\x0b') out += '\n';
    else if (ch === '\x09') out += '\t';
    else if (ch === '\x1e') out += '-';
    else if (ch === '\xa0') out += ' ';
    else if (ch === '\x0c') out += '\n';
    else if (ch < ' ' || ch === '\x1f') continue;
    else out += ch;
  }
  return out;
}

/** A cell's lines tidied: NFC, no trailing spaces, no empty lines at either end. */
function tidyCell(lines: string[]): string {
  const all = lines
    .join('\n')
    .normalize('NFC')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/u, ''));
  while (all.length && !all[0]!.trim()) all.shift();
  while (all.length && !all[all.length - 1]!.trim()) all.pop();
  return all.join('\n');
}

/**
 * Reads a .doc: its body paragraphs and tables, in order.
 *
 * 1. The compound file's `WordDocument` and table streams; an encrypted document is refused.
 * 2. The piece table gives the main text; each paragraph mark's file offset finds its properties
 *    in the PAPX pages (in a table, ends a row, nesting depth, the row's cell definitions).
 * 3. Paragraphs in a table are lines of the current cell; a cell mark (\x07) ends the cell, a row
 *    end ends the row. Cells of a nested table are lines of the outer cell.
 * 4. Each row's cells are placed on the table's grid of cell edges: a cell wider than one grid
 *    column has a colSpan; a cell merged down is given once with a rowSpan.
 *
 * @throws ImportError when the file is damaged, encrypted or passes a bound.
 */
export function readDoc(buf: Buffer): SourceDocument {
  const { paragraphs } = readWordText(buf);
  const blocks: SourceBlock[] = [];
  let paragraphCount = 0;
  let tableCount = 0;
  let totalRows = 0;
  type RawRow = { cells: string[][]; defs?: ParaProps['cells'] };
  let rows: RawRow[] | null = null;
  let cells: string[][] = [];
  let lines: string[] = [];

  const finishTable = () => {
    if (!rows) return;
    if (cells.length || lines.length) {
      if (lines.length) cells.push(lines);
      rows.push({ cells });
    }
    if (rows.length) {
      tableCount++;
      blocks.push({ kind: 'table', rows: toGrid(rows, tableCount), where: place.table(tableCount) });
    }
    rows = null;
    cells = [];
    lines = [];
  };

  for (const p of paragraphs) {
    const text = visibleText(p.text);
    const cellEnd = p.text.endsWith('\x07');
    if (!p.props.inTable && !p.props.rowEnd) {
      finishTable();
      const clean = tidyCell([text]);
      if (!clean) continue;
      if (++paragraphCount > MAX_ROWS * 20) throw tooManyRows();
      blocks.push({ kind: 'paragraph', text: clean, where: place.paragraph(paragraphCount) });
      continue;
    }
    rows ??= [];
    if (p.props.depth > 1) {
      // A nested table's text belongs to the outer cell.
      if (!p.props.rowEnd && text.trim()) lines.push(...text.split('\n'));
      continue;
    }
    if (p.props.rowEnd) {
      rows.push({ cells, ...(p.props.cells ? { defs: p.props.cells } : {}) });
      if (++totalRows > MAX_ROWS) throw tooManyRows(place.table(tableCount + 1));
      cells = [];
      lines = [];
      continue;
    }
    lines.push(...text.split('\n'));
    if (cellEnd) {
      cells.push(lines);
      lines = [];
    }
  }
  finishTable();
  return { format: 'doc', blocks };
}

/** Rows of cells placed on the grid of all the rows' cell edges: spans from widths and merges. */
function toGrid(rows: { cells: string[][]; defs?: ParaProps['cells'] }[], table: number): SourceRow[] {
  const edges = [...new Set(rows.flatMap((r) => (r.defs ?? []).flatMap((d) => [d.x0, d.x1])))].sort((a, b) => a - b);
  // Edges closer than a few twips are one.
  const grid: number[] = [];
  for (const e of edges) if (!grid.length || e - grid[grid.length - 1]! > 20) grid.push(e);
  const column = (x: number) => {
    let best = 0;
    for (let k = 1; k < grid.length; k++) if (Math.abs(grid[k]! - x) < Math.abs(grid[best]! - x)) best = k;
    return best;
  };
  const out: SourceRow[] = [];
  const open = new Map<number, SourceCell>();
  rows.forEach((row, r) => {
    const cells: SourceCell[] = [];
    const defs = row.defs && row.defs.length === row.cells.length ? row.defs : null;
    row.cells.forEach((lines, k) => {
      const text = tidyCell(lines);
      const def = defs?.[k];
      const col = def && grid.length ? column(def.x0) : k;
      const span = def && grid.length ? Math.max(1, column(def.x1) - column(def.x0)) : 1;
      if (def?.hMerged) {
        // An old-style horizontal merge: the cell is part of the one before it.
        const prev = cells[cells.length - 1];
        if (prev) {
          prev.colSpan = (prev.colSpan ?? 1) + span;
          if (text) prev.text = prev.text ? `${prev.text}\n${text}` : text;
        }
        return;
      }
      const master = def?.vMerge === 'continue' ? open.get(col) : undefined;
      if (master) {
        master.rowSpan = (master.rowSpan ?? 1) + 1;
        if (text) master.text = master.text ? `${master.text}\n${text}` : text;
        return;
      }
      const cell: SourceCell = { text };
      if (span > 1) cell.colSpan = span;
      cells.push(cell);
      if (def?.vMerge === 'restart') open.set(col, cell);
      else open.delete(col);
    });
    out.push({ cells, where: place.tableRow(table, r + 1) });
  });
  return out;
}
