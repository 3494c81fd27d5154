/**
 * Bounds on what an uploaded plan may make the reader do. A plan's duty table has tens to a few
 * hundred rows; these leave room for far more, and refuse (with a message) what only a mistake or
 * an attack would send: a sheet of 50,000 rows, a zip that inflates to gigabytes.
 */
import type { Lang } from '#root/domain/wording.js';
import type { Words } from '#root/errors/index.js';
import { ImportError } from './errors.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/** Rows of one table (XLSX `<row>` elements of a sheet, CSV records, lines of a text). */
export const MAX_ROWS = 5_000;
/** Cells of one XLSX sheet, merged ranges counted cell by cell (the reader makes an object of each). */
export const MAX_CELLS = 100_000;
/** Bytes of an XLSX once inflated: the sizes its directory declares, and the bytes actually inflated. */
export const MAX_INFLATED_BYTES = 50 * 1024 * 1024;
/** Files inside an XLSX (a workbook of a few sheets has 10–30). */
export const MAX_ZIP_ENTRIES = 1_000;
/** Pages of a PDF (a plan with its appendices runs to tens of pages). */
export const MAX_PDF_PAGES = 500;

/** A count as each language writes it (5.000 / 5,000). */
const count = (x: number) => (lang: Lang) => x.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
const mb = MAX_INFLATED_BYTES / 1024 / 1024;
const NOTHING_SAVED: Words = importWords('nothingSaved');
/** A refusal of a file, each language's sentence followed by "nothing was saved" in it. */
const refused = (what: Words): Words => ({
  vi: `${what.vi} ${NOTHING_SAVED.vi}`,
  en: `${what.en} ${NOTHING_SAVED.en}`,
});

/** A table with more rows than {@link MAX_ROWS}. */
export const tooManyRows = (where?: string) =>
  new ImportError(refused(importWords('tableTooLarge', { rows: count(MAX_ROWS) })), where);

/** A sheet with more cells than {@link MAX_CELLS}. */
export const tooManyCells = (where?: string) =>
  new ImportError(refused(importWords('sheetTooLarge', { cells: count(MAX_CELLS) })), where);

/** The kind of zipped Office file, as messages name it. */
export type ZipKind = 'xlsx' | 'docx';

/** A zip that inflates past {@link MAX_INFLATED_BYTES} (or lies about its sizes). */
export const tooLargeInflated = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? refused(importWords('docxInflatesTooLarge', { megabytes: mb }))
      : refused(importWords('xlsxInflatesTooLarge', { megabytes: mb })),
  );

/** A password-protected (encrypted) workbook, Word document or zip. */
export const encryptedFile = (kind: ZipKind = 'xlsx') =>
  new ImportError(kind === 'docx' ? refused(importWords('docxEncrypted')) : refused(importWords('xlsxEncrypted')));

/** A zip that is damaged or not a workbook (or not a Word document). */
export const corruptWorkbook = (kind: ZipKind = 'xlsx') =>
  new ImportError(kind === 'docx' ? refused(importWords('docxCorrupt')) : refused(importWords('xlsxCorrupt')));

/** A Word 97–2003 (.doc) file that is damaged. */
export const corruptDoc = () => new ImportError(refused(importWords('docCorrupt')));

/** A PDF that is damaged. */
export const corruptPdf = () => new ImportError(refused(importWords('pdfCorrupt')));

/** A PDF with a password. */
export const encryptedPdf = () => new ImportError(refused(importWords('pdfEncrypted')));

/** A PDF whose pages are images (a scan): no text to read. */
export const scannedPdf = () => new ImportError(refused(importWords('pdfScanned')));

/** A PDF with more pages than {@link MAX_PDF_PAGES}. */
export const tooManyPages = () => new ImportError(refused(importWords('pdfTooLong', { pages: count(MAX_PDF_PAGES) })));
