/**
 * Bounds on what an uploaded plan may make the reader do. A plan's duty table has tens to a few
 * hundred rows; these leave room for far more, and refuse (with a message) what only a mistake or
 * an attack would send: a sheet of 50,000 rows, a zip that inflates to gigabytes.
 */
import { ImportError } from './errors.js';

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

/** A table with more rows than {@link MAX_ROWS}. */
export const tooManyRows = (where?: string) =>
  new ImportError(
    `Bảng quá lớn: hơn ${n(MAX_ROWS)} hàng (bảng phụ lục nhiệm vụ thường chỉ vài trăm hàng); hãy để lại bảng nhiệm vụ rồi tải lên lại. Chưa có gì được lưu / the table is too large: over ${MAX_ROWS} rows; keep the duty table only. Nothing was saved`,
    where,
  );

/** A sheet with more cells than {@link MAX_CELLS}. */
export const tooManyCells = (where?: string) =>
  new ImportError(
    `Trang tính quá lớn: hơn ${n(MAX_CELLS)} ô; hãy để lại bảng nhiệm vụ rồi tải lên lại. Chưa có gì được lưu / the sheet is too large: over ${MAX_CELLS} cells. Nothing was saved`,
    where,
  );

/** The kind of zipped Office file, as messages name it. */
export type ZipKind = 'xlsx' | 'docx';

/** A zip that inflates past {@link MAX_INFLATED_BYTES} (or lies about its sizes). */
export const tooLargeInflated = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? `Tệp Word giải nén ra quá lớn (hơn ${MAX_INFLATED_BYTES / 1024 / 1024} MB) hoặc không hợp lệ; tệp này không được đọc. Chưa có gì được lưu / the Word file inflates to over ${MAX_INFLATED_BYTES / 1024 / 1024} MB (or is not valid): not read. Nothing was saved`
      : `Tệp Excel giải nén ra quá lớn (hơn ${MAX_INFLATED_BYTES / 1024 / 1024} MB) hoặc không hợp lệ; tệp này không được đọc. Chưa có gì được lưu / the workbook inflates to over ${MAX_INFLATED_BYTES / 1024 / 1024} MB (or is not valid): not read. Nothing was saved`,
  );

/** A password-protected (encrypted) workbook, Word document or zip. */
export const encryptedFile = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? 'Tệp được đặt mật khẩu (mã hóa) nên không đọc được: hãy mở bằng Word, gỡ mật khẩu (Tệp › Thông tin › Bảo vệ tài liệu) rồi lưu lại thành .docx. Chưa có gì được lưu / the file is password-protected (encrypted): remove the password in Word and save it again as .docx. Nothing was saved'
      : 'Tệp được đặt mật khẩu (mã hóa) nên không đọc được: hãy mở bằng Excel, gỡ mật khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc) rồi lưu lại thành .xlsx. Chưa có gì được lưu / the file is password-protected (encrypted): remove the password in Excel and save it again as .xlsx. Nothing was saved',
  );

/** A zip that is damaged or not a workbook (or not a Word document). */
export const corruptWorkbook = (kind: ZipKind = 'xlsx') =>
  new ImportError(
    kind === 'docx'
      ? 'Tệp Word (.docx) bị hỏng hoặc không phải tệp Word; chưa có gì được lưu / the Word file is damaged or not a Word document. Nothing was saved'
      : 'Tệp Excel (.xlsx) bị hỏng hoặc không phải tệp Excel; chưa có gì được lưu / the workbook is damaged or not a workbook. Nothing was saved',
  );

/** A Word 97–2003 (.doc) file that is damaged. */
export const corruptDoc = () =>
  new ImportError(
    'Tệp Word (.doc) bị hỏng hoặc không đọc được; hãy mở bằng Word và lưu lại thành .docx rồi tải lên lại. Chưa có gì được lưu / the .doc file is damaged or unreadable: save it again as .docx. Nothing was saved',
  );

/** A PDF that is damaged. */
export const corruptPdf = () =>
  new ImportError(
    'Tệp PDF bị hỏng hoặc không đọc được; chưa có gì được lưu / the PDF is damaged or unreadable. Nothing was saved',
  );

/** A PDF with a password. */
export const encryptedPdf = () =>
  new ImportError(
    'Tệp PDF được đặt mật khẩu nên không đọc được: hãy gỡ mật khẩu (hoặc tải lên bản Word của kế hoạch) rồi tải lên lại. Chưa có gì được lưu / the PDF is password-protected: remove the password (or upload the Word version). Nothing was saved',
  );

/** A PDF whose pages are images (a scan): no text to read. */
export const scannedPdf = () =>
  new ImportError(
    'Tệp PDF là ảnh quét, không có lớp chữ nên không đọc được nội dung; hãy tải lên bản Word (.docx/.doc) hoặc bản PDF xuất từ Word của kế hoạch, hoặc dán toàn văn vào tệp .txt. Chưa có gì được lưu / the PDF is a scan with no text layer: upload the Word version, a PDF saved from Word, or paste the text. Nothing was saved',
  );

/** A PDF with more pages than {@link MAX_PDF_PAGES}. */
export const tooManyPages = () =>
  new ImportError(
    `Tệp PDF quá dài: hơn ${n(MAX_PDF_PAGES)} trang; hãy để lại phần kế hoạch và phụ lục nhiệm vụ rồi tải lên lại. Chưa có gì được lưu / the PDF has over ${MAX_PDF_PAGES} pages: keep the plan and its duty appendix. Nothing was saved`,
  );
