/**
 * Checks an XLSX (a zip) before the workbook reader gets it: a zip bomb, an encrypted entry, too
 * many entries, a sheet with too many rows or cells are refused here, with a message, before any
 * large allocation.
 */
import { inflateRawSync } from 'node:zlib';
import {
  corruptWorkbook,
  encryptedFile,
  MAX_CELLS,
  MAX_INFLATED_BYTES,
  MAX_ROWS,
  MAX_ZIP_ENTRIES,
  tooLargeInflated,
  tooManyCells,
  tooManyRows,
  type ZipKind,
} from './limits.js';

/** One file of a zip, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  offset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Whether the bytes start like a zip (XLSX, DOCX…). */
export const isZip = (buf: Buffer) => buf.length >= 4 && buf.readUInt32LE(0) === LOCAL;

/** The zip64 sizes of a central directory entry whose 32-bit fields say 0xFFFFFFFF. */
function zip64Sizes(extra: Buffer, entry: { size: number; compressedSize: number; offset: number }, kind: ZipKind) {
  for (let i = 0; i + 4 <= extra.length;) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let p = i + 4;
      const next = () => {
        if (p + 8 > i + 4 + len) throw corruptWorkbook(kind);
        const v = Number(extra.readBigUInt64LE(p));
        p += 8;
        return v;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.offset === 0xffffffff) entry.offset = next();
      return;
    }
    i += 4 + len;
  }
  throw corruptWorkbook(kind);
}

/** Whether a zip is a Word document (its directory names `word/…` entries) or, by default, a workbook. */
function zipKind(buf: Buffer, eocd: number): ZipKind {
  const at = buf.readUInt32LE(eocd + 16);
  const directory = buf.subarray(at < eocd ? at : Math.max(0, eocd - 0x10000), eocd);
  return directory.includes('word/document') ? 'docx' : 'xlsx';
}

/**
 * Reads a zip's central directory, without inflating anything, and refuses what must not be read:
 * encrypted entries, more than {@link MAX_ZIP_ENTRIES} entries, declared sizes summing past
 * {@link MAX_INFLATED_BYTES}, compression methods other than stored and deflate. Cheap (it reads a
 * few bytes per entry), so a zip bomb costs nothing to refuse.
 *
 * @throws ImportError (Vietnamese message) for each of these, and for a damaged directory.
 */
export function readZipDirectory(buf: Buffer): ZipEntry[] {
  return readZipDirectoryOf(buf).entries;
}

/** {@link readZipDirectory}, and whether the zip is a workbook or a Word document (for messages). */
export function readZipDirectoryOf(buf: Buffer): { entries: ZipEntry[]; kind: ZipKind } {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corruptWorkbook(buf.includes('word/document') ? 'docx' : 'xlsx');
  const kind = zipKind(buf, eocd);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  // A zip64 directory (more than 65,535 entries or past 4 GB) is never a plan of at most 10 MB.
  if (count === 0xffff || at === 0xffffffff) throw tooLargeInflated(kind);
  if (count > MAX_ZIP_ENTRIES) throw tooLargeInflated(kind);
  const entries: ZipEntry[] = [];
  let declared = 0;
  for (let k = 0; k < count; k++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw corruptWorkbook(kind);
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    if (at + 46 + nameLen + extraLen > buf.length) throw corruptWorkbook(kind);
    const entry: ZipEntry = {
      name: buf.toString('utf8', at + 46, at + 46 + nameLen),
      method,
      compressedSize: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
      offset: buf.readUInt32LE(at + 42),
    };
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff || entry.offset === 0xffffffff) {
      zip64Sizes(buf.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen), entry, kind);
    }
    // Bit 0: the entry is encrypted (a password-protected zip).
    if (flags & 1) throw encryptedFile(kind);
    if (method !== 0 && method !== 8) throw corruptWorkbook(kind);
    declared += entry.size;
    if (declared > MAX_INFLATED_BYTES) throw tooLargeInflated(kind);
    entries.push(entry);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, kind };
}

/** The bytes of an entry, inflated with at most `budget` bytes of output. */
function inflateEntry(buf: Buffer, entry: ZipEntry, budget: number, kind: ZipKind = 'xlsx'): Buffer {
  const at = entry.offset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL) throw corruptWorkbook(kind);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw corruptWorkbook(kind);
  if (entry.method === 0) return data;
  try {
    // maxOutputLength stops inflating at the budget, whatever the directory declared.
    return inflateRawSync(data, { maxOutputLength: Math.max(1, budget) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLargeInflated(kind);
    throw corruptWorkbook(kind);
  }
}

/** How many times a tag (with any namespace prefix) opens in some XML. */
function countTags(xml: string, tag: string): number {
  return (xml.match(new RegExp(`<(?:[\\w.-]+:)?${tag}[\\s>/]`, 'g')) ?? []).length;
}

/** The column number of "AB" (28). */
function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** Cells covered by the merged ranges of a sheet ("A1:E3" covers 15). */
function mergedCells(xml: string): number {
  let total = 0;
  for (const m of xml.matchAll(
    /<(?:[\w.-]+:)?mergeCell\s[^>]*?ref="\$?([A-Z]{1,3})\$?(\d{1,7}):\$?([A-Z]{1,3})\$?(\d{1,7})"/g,
  )) {
    const cols = Math.abs(columnNumber(m[3]!) - columnNumber(m[1]!)) + 1;
    const rows = Math.abs(Number(m[4]) - Number(m[2])) + 1;
    total += cols * rows;
    if (total > MAX_CELLS) break;
  }
  return total;
}

/**
 * Inflates every entry of an XLSX within a total budget of {@link MAX_INFLATED_BYTES} (the bytes
 * actually inflated, not those declared: a directory that lies is caught here), and counts the
 * rows, cells and merged cells of each worksheet.
 *
 * 1. Read the central directory ({@link readZipDirectory}): encryption, entry count, declared sizes.
 * 2. Inflate each entry, its output capped at what is left of the budget; an inflated size that
 *    differs from the declared one is a damaged file.
 * 3. In each worksheet, count `<row>` and `<c>` elements and the cells of `<mergeCell>` ranges.
 *
 * @throws ImportError (Vietnamese message) when any bound is passed or the zip is damaged.
 */
export function checkXlsx(buf: Buffer): void {
  const { entries, kind } = readZipDirectoryOf(buf);
  let budget = MAX_INFLATED_BYTES;
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const bytes = inflateEntry(buf, entry, budget, kind);
    if (bytes.length !== entry.size) throw corruptWorkbook(kind);
    budget -= bytes.length;
    if (!/^xl\/worksheets\/[^/]+\.xml$/i.test(entry.name)) continue;
    const xml = bytes.toString('latin1');
    const sheet = entry.name.slice('xl/worksheets/'.length);
    if (countTags(xml, 'row') > MAX_ROWS) throw tooManyRows(sheet);
    if (countTags(xml, 'c') > MAX_CELLS || mergedCells(xml) > MAX_CELLS) throw tooManyCells(sheet);
  }
}

/**
 * The inflated bytes of the entries of a zip that `pick` chooses (a Word document's
 * `word/document.xml`, `word/numbering.xml`), within a total budget of {@link MAX_INFLATED_BYTES}
 * for the whole zip: its directory is checked first ({@link readZipDirectory}), then each entry is
 * inflated with its output capped at what is left, so a zip bomb whose directory lies is stopped
 * at the bound, not after.
 *
 * @throws ImportError (Vietnamese message) when a bound is passed or the zip is damaged.
 */
export function readZipFiles(buf: Buffer, pick: (name: string) => boolean): Map<string, Buffer> {
  const { entries, kind } = readZipDirectoryOf(buf);
  const files = new Map<string, Buffer>();
  let budget = MAX_INFLATED_BYTES;
  for (const entry of entries) {
    if (entry.name.endsWith('/') || !pick(entry.name)) continue;
    const bytes = inflateEntry(buf, entry, budget, kind);
    if (bytes.length !== entry.size) throw corruptWorkbook(kind);
    budget -= bytes.length;
    files.set(entry.name, bytes);
  }
  return files;
}
