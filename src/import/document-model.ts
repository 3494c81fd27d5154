/**
 * The one model every plan reader produces and the one interpreter reads (issue 13): a document is
 * its blocks in reading order — paragraphs of body text and tables of cells. Pasted text in any
 * layout, CSV, XLSX, DOCX, DOC and PDF each become a {@link SourceDocument}; the interpreter turns
 * it into a draft (plan header, duties, report duties, indicators, flags).
 *
 * A cell's text keeps its own line breaks ("Sở Thông tin và\nTruyền thông" is one cell); a cell
 * merged over several columns or rows is given once, in its first position, with `span` saying how
 * far it reaches, so a two-level header ("Trách nhiệm" over "Chủ trì | Phối hợp") can be rebuilt.
 */

/** One cell as read. */
export interface SourceCell {
  text: string;
  /** Columns and rows this cell covers when merged (default 1 × 1). */
  colSpan?: number;
  rowSpan?: number;
}

/** One row of a table, with where it was read ('dòng 49', 'hàng 5', 'Sheet1!A5', 'trang 3'). */
export interface SourceRow {
  cells: SourceCell[];
  where: string;
  /** True when a reader knows this row repeats the table's header (a header repeated on a new page). */
  repeatedHeader?: boolean;
  /** True when a reader could not split the row into the table's cells (its text is in one cell). */
  unsplit?: boolean;
  /** Notes of the reader about this row (cells split by guess…), shown on the duty read from it. */
  notes?: string[];
}

/** A block of the document, in reading order. */
export type SourceBlock =
  | { kind: 'paragraph'; text: string; where: string }
  | {
      kind: 'table';
      rows: SourceRow[];
      /** Where the table starts. */
      where: string;
      /** Notes of the reader about this table (columns guessed from a PDF layout…). */
      notes?: string[];
    };

/** What a reader gives the interpreter. */
export interface SourceDocument {
  /** 'plan-text' | 'table-text' | 'tsv' | 'pdf-text' | 'csv' | 'xlsx' | 'docx' | 'doc' | 'pdf' */
  format: string;
  blocks: SourceBlock[];
  /** Document-level notes of the reader (a page without text layer…). */
  notes?: string[];
}

/** The plain texts of a row's cells. */
export function rowTexts(row: SourceRow): string[] {
  return row.cells.map((c) => c.text);
}
