/**
 * Bounds on what an uploaded plan may make the reader do. A plan's duty table has tens to a few
 * hundred rows; these leave room for far more, and refuse (with a message) what only a mistake or
 * an attack would send: a sheet of 50,000 rows, a zip that inflates to gigabytes.
 */
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

const n = (x: number) => x.toLocaleString('vi-VN');

const nEn = (x: number) => x.toLocaleString('en-GB');
const mb = MAX_INFLATED_BYTES / 1024 / 1024;
const NOTHING_SAVED: Words = importWords('nothingSaved');
/** A refusal of a file, each language's sentence followed by "nothing was saved" in it. */
const refused = (vi: string, en: string): Words => ({
  vi: `${vi} ${NOTHING_SAVED.vi}`,
  en: `${en} ${NOTHING_SAVED.en}`,
});

/** A table with more rows than {@link MAX_ROWS}. */
export const tooManyRows = (where?: string) =>
  new ImportError(
    refused(
      `Bảng quá lớn: hơn ${n(MAX_ROWS)} hàng (bảng phụ lục nhiệm vụ thường chỉ vài trăm hàng); hãy để lại bảng nhiệm vụ rồi tải lên lại.`,
      `The table is too large: over ${nEn(MAX_ROWS)} rows (a duty appendix usually has a few hundred); keep the duty table only and upload it again.`,
    ),
    where,
  );

/** A sheet with more cells than {@link MAX_CELLS}. */
export const tooManyCells = (where?: string) =>
  new ImportError(
    refused(
      `Trang tính quá lớn: hơn ${n(MAX_CELLS)} ô; hãy để lại bảng nhiệm vụ rồi tải lên lại.`,
      `The sheet is too large: over ${nEn(MAX_CELLS)} cells; keep the duty table only and upload it again.`,
    ),
    where,
  );

/** The kind of zipped Office file, as messages name it. */
export type ZipKind = 'xlsx' | 'docx';

/** A zip that inflates past {@link MAX_INFLATED_BYTES} (or lies about its sizes). */
export const tooLargeInflated = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? refused(
          `Tệp Word giải nén ra quá lớn (hơn ${mb} MB) hoặc không hợp lệ; tệp này không được đọc.`,
          `The Word file inflates to over ${mb} MB, or is not valid; it was not read.`,
        )
      : refused(
          `Tệp Excel giải nén ra quá lớn (hơn ${mb} MB) hoặc không hợp lệ; tệp này không được đọc.`,
          `The Excel workbook inflates to over ${mb} MB, or is not valid; it was not read.`,
        ),
  );

/** A password-protected (encrypted) workbook, Word document or zip. */
export const encryptedFile = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? refused(
          'Tệp được đặt mật khẩu (mã hóa) nên không đọc được: hãy mở bằng Word, gỡ mật khẩu (Tệp › Thông tin › Bảo vệ tài liệu) rồi lưu lại thành .docx.',
          'The file is password-protected (encrypted), so it cannot be read: open it in Word, remove the password (File › Info › Protect Document) and save it again as .docx.',
        )
      : refused(
          'Tệp được đặt mật khẩu (mã hóa) nên không đọc được: hãy mở bằng Excel, gỡ mật khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc) rồi lưu lại thành .xlsx.',
          'The file is password-protected (encrypted), so it cannot be read: open it in Excel, remove the password (File › Info › Protect Workbook) and save it again as .xlsx.',
        ),
  );

/** A zip that is damaged or not a workbook (or not a Word document). */
export const corruptWorkbook = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? refused(
          'Tệp Word (.docx) bị hỏng hoặc không phải tệp Word.',
          'The Word file (.docx) is damaged or is not a Word document.',
        )
      : refused(
          'Tệp Excel (.xlsx) bị hỏng hoặc không phải tệp Excel.',
          'The Excel file (.xlsx) is damaged or is not an Excel workbook.',
        ),
  );

/** A Word 97–2003 (.doc) file that is damaged. */
export const corruptDoc = () =>
  new ImportError(
    refused(
      'Tệp Word (.doc) bị hỏng hoặc không đọc được; hãy mở bằng Word và lưu lại thành .docx rồi tải lên lại.',
      'The Word file (.doc) is damaged or cannot be read; open it in Word, save it again as .docx and upload that.',
    ),
  );

/** A PDF that is damaged. */
export const corruptPdf = () =>
  new ImportError(refused('Tệp PDF bị hỏng hoặc không đọc được.', 'The PDF file is damaged or cannot be read.'));

/** A PDF with a password. */
export const encryptedPdf = () =>
  new ImportError(
    refused(
      'Tệp PDF được đặt mật khẩu nên không đọc được: hãy gỡ mật khẩu (hoặc tải lên bản Word của kế hoạch) rồi tải lên lại.',
      'The PDF is password-protected, so it cannot be read: remove the password (or upload the plan’s Word version) and upload it again.',
    ),
  );

/** A PDF whose pages are images (a scan): no text to read. */
export const scannedPdf = () =>
  new ImportError(
    refused(
      'Tệp PDF là ảnh quét, không có lớp chữ nên không đọc được nội dung; hãy tải lên bản Word (.docx/.doc) hoặc bản PDF xuất từ Word của kế hoạch, hoặc dán toàn văn vào tệp .txt.',
      'The PDF is a scan with no text layer, so its content cannot be read; upload the plan’s Word version (.docx/.doc) or a PDF saved from Word, or paste the full text into a .txt file.',
    ),
  );

/** A PDF with more pages than {@link MAX_PDF_PAGES}. */
export const tooManyPages = () =>
  new ImportError(
    refused(
      `Tệp PDF quá dài: hơn ${n(MAX_PDF_PAGES)} trang; hãy để lại phần kế hoạch và phụ lục nhiệm vụ rồi tải lên lại.`,
      `The PDF is too long: over ${nEn(MAX_PDF_PAGES)} pages; keep the plan and its duty appendix and upload it again.`,
    ),
  );
