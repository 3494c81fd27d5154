/**
 * Plan documents → drafts, for text and grids: the readers (src/import/readers/) make the document
 * model of it, the one interpreter (src/import/interpret.ts) the draft: the duty appendix, the
 * plan's number, date, issuer, title and horizon, and the reports the body text asks for. Nothing
 * is written here: the draft goes to the review (src/services/plans.ts).
 */
import { EMPTY_FILE, type ParseOptions, type PlanDraft } from './draft.js';
import { ImportError } from './errors.js';
import { interpretDocument } from './interpret.js';
import { gridDocument } from './readers/grid.js';
import { readText } from './readers/text.js';
import { place } from './where.js';

export { EMPTY_FILE, NO_DUTY_TABLE, type DutyDraft, type ParseOptions, type PlanDraft } from './draft.js';

/**
 * Reads a plan document or a pasted table: the duty appendix (pipe table, cell-per-line,
 * tab-separated or a PDF extraction), the plan's header, and the report duties of the body text.
 * Only duty tables give appendix duties: other tables (indicators, comments) are not duties. A
 * text with no duty table gives its header and report duties, with the plan flag NO_DUTY_TABLE.
 *
 * @throws ImportError when the text is empty.
 */
export function parsePlanText(text: string, options: ParseOptions): PlanDraft {
  const draft = interpretDocument(readText(text), options);
  // A table alone is 'table-text'; with a plan's own words around it, 'plan-text'.
  if (draft.format === 'table-text' && (draft.plan.code || draft.duties.some((d) => d.origin === 'report')))
    return { ...draft, format: 'plan-text' };
  return draft;
}

/**
 * Reads a grid (rows of cells from CSV or XLSX): finds the header row by its titles (loosely:
 * "STT", "Don vi chu tri", "Thời hạn"…), maps the columns and reads the duties below it, up to the
 * next table's header. A grid with no duty header gives no duties and the plan flag NO_DUTY_TABLE.
 *
 * @throws ImportError when the grid is empty.
 */
export function parsePlanRows(
  rows: string[][],
  options: ParseOptions & {
    format: string;
    sourceOf?: (rowIndex: number) => string;
  },
): PlanDraft {
  if (!rows.some((r) => r.some((c) => c.trim()))) throw new ImportError(EMPTY_FILE);
  const doc = gridDocument(options.format, [{ rows, sourceOf: options.sourceOf ?? ((i) => place.row(i + 1)) }]);
  return interpretDocument(doc, { defaultDue: options.defaultDue });
}
