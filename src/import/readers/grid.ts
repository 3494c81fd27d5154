/**
 * Rows of cells (CSV records, XLSX sheets) → the document model: each sheet one table, its rows as
 * read, each with where it was read ('hàng 5', 'Sheet1!A5').
 */
import type { SourceBlock, SourceDocument } from '../document-model.js';

/** One sheet (or a CSV file) of rows. */
export interface GridSheet {
  rows: string[][];
  /** Where row `i` (0-based) was read. */
  sourceOf: (rowIndex: number) => string;
}

/** The document of one or more grids, in order. Empty rows are kept out; row numbers stay true. */
export function gridDocument(format: string, sheets: GridSheet[]): SourceDocument {
  const blocks: SourceBlock[] = [];
  for (const sheet of sheets) {
    const rows = sheet.rows
      .map((cells, i) => ({ cells: cells.map((text) => ({ text })), where: sheet.sourceOf(i) }))
      .filter((r) => r.cells.some((c) => c.text.trim()));
    if (rows.length) blocks.push({ kind: 'table', rows, where: rows[0]!.where });
  }
  return { format, blocks };
}
