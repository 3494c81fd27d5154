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

/** A zip that inflates past {@link MAX_INFLATED_BYTES} (or lies about its sizes). */
export const tooLargeInflated = () =>
  new ImportError(
    `Tệp Excel giải nén ra quá lớn (hơn ${MAX_INFLATED_BYTES / 1024 / 1024} MB) hoặc không hợp lệ; tệp này không được đọc. Chưa có gì được lưu / the workbook inflates to over ${MAX_INFLATED_BYTES / 1024 / 1024} MB (or is not valid): not read. Nothing was saved`,
  );

/** A password-protected (encrypted) workbook or zip. */
export const encryptedFile = () =>
  new ImportError(
    'Tệp được đặt mật khẩu (mã hóa) nên không đọc được: hãy mở bằng Excel, gỡ mật khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc) rồi lưu lại thành .xlsx. Chưa có gì được lưu / the file is password-protected (encrypted): remove the password in Excel and save it again as .xlsx. Nothing was saved',
  );

/** A zip that is damaged or not a workbook. */
export const corruptWorkbook = () =>
  new ImportError(
    'Tệp Excel (.xlsx) bị hỏng hoặc không phải tệp Excel; chưa có gì được lưu / the workbook is damaged or not a workbook. Nothing was saved',
  );
