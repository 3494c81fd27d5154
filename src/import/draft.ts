/**
 * What the interpreter (src/import/interpret.ts) makes of a document: the plan's header, its duties
 * and report duties, and flags for everything not understood. Nothing is written here: the draft
 * goes to the review (src/services/plans.ts).
 */
import type { IsoDate, MonthDay, Schedule } from '../domain/types.js';
import type { IndicatorDraft } from './indicators.js';
import { inBothLanguages, type Words } from '#root/errors/index.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/** One duty as parsed, before names are matched to units. */
export interface DutyDraft {
  /** "4.2" for appendix duties, "BC-15/11" for report duties. */
  code: string;
  title: string;
  /** The section row above the duty ("4"), null for a top-level duty. */
  section: string | null;
  sectionTitle: string | null;
  /** `appendix`: a row of the duty table; `report`: a report the body text asks for. */
  origin: 'appendix' | 'report';
  leads: string[];
  cooperating: string[];
  /** The timeframe phrase as written (tidied). */
  timeframe: string;
  schedule: Schedule;
  /** Notes for the administrator: empty cells, timeframes not understood, columns split by guess. */
  flags: string[];
  /** Where the duty was read: 'dòng 49', 'hàng 5', 'Sheet1!A5'. */
  where: string;
  /**
   * The text the duty was read from, so a misreading shows at a glance: each cell of its row (rows,
   * when the duty continues over several) in the table's column order, extra columns included; for
   * a report duty, the sentence.
   */
  source: string[];
}

/** What a file says about a plan and its duties. */
export interface PlanDraft {
  plan: {
    code: string | null;
    title: string | null;
    issuer: string | null;
    issuedOn: IsoDate | null;
    horizonYear: number | null;
  };
  duties: DutyDraft[];
  /** Plan-level problems: no duty table, rows that could not be split into columns… */
  flags: string[];
  /** The reader's format: 'plan-text' | 'pdf-text' | 'csv' | 'xlsx' | 'tsv' | 'table-text' | 'docx'… */
  format: string;
  /** The plan's indicator table ("Chỉ tiêu"), read by src/import/indicators.ts. */
  indicators?: IndicatorDraft[];
}

/** Parser options. */
export interface ParseOptions {
  /** Due day of yearly duties whose timeframe gives none (the organisation's yearly report date). */
  defaultDue: MonthDay;
}

/** The plan flag when a document has no duty table (its header and report duties are still read). */
export const NO_DUTY_TABLE = inBothLanguages(importWords('noDutyTable'));

/** The message when a file is empty. */
export const EMPTY_FILE: Words = importWords('emptyFile');
