/**
 * The rows of a duty table → duties: section rows ("I. TUYÊN TRUYỀN", "1 | Tuyên truyền …" with
 * the other cells empty) set the section of the duties below them, rows with no number (or the
 * number of the duty above, from merged cells) continue the duty above, repeated header rows are
 * skipped, and rows that cannot be read become plan flags with their text.
 */
import { inBothLanguages } from '#root/errors/index.js';
import { parseTimeframe } from '../../domain/timeframe.js';
import { tidy } from '../../domain/text.js';
import { splitUnitCell } from '../../domain/units.js';
import type { DutyDraft, ParseOptions } from '../draft.js';
import { mapHeader, type Columns, type Role } from './headers.js';
import { whereIn } from '../where.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/** A row of a duty table, its cells in the header's column order. */
export interface DataRow {
  cells: string[];
  /** 'dòng 49', 'hàng 5', 'Sheet1!A5'. */
  where: string;
  /** False when the row could not be split into the table's columns. */
  complete: boolean;
  /** Notes for the duty read from this row (columns split by guess…). */
  notes?: string[];
  /** The row follows a repeated header (a new page, or a new table with the same header). */
  afterHeader?: boolean;
}

export const CODE_TOKEN = /^(\d{1,2}(?:\.\d{1,2}){0,3}|[IVXL]{1,6}|[a-zđ])[.)]?$/;

/** A cell's lines, trimmed, blank lines dropped. */
export function cleanCell(cell: string): string {
  return cell
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

function normCode(cell: string): string {
  return tidy(cell)
    .replace(/\s+/g, '')
    .replace(/^\(/, '')
    .replace(/[.)]+$/, '');
}

/** A short excerpt of a row's text, for a flag. */
export function excerpt(cells: string[]): string {
  const text = tidy(cells.filter((c) => c.trim()).join(' | '));
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function unsplittable(row: DataRow): string {
  return inBothLanguages(
    importWords('rowNotSplit', { where: (lang) => whereIn(row.where, lang), cells: excerpt(row.cells) }),
  );
}

/** "1" → "n", "4.2" → "n.n", "II" → "R", "a" → "a": peers share a shape. */
function codeShape(code: string): string {
  if (/^[IVXL]+$/.test(code)) return 'R';
  if (/^[a-zđ]$/.test(code)) return 'a';
  return code.replace(/\d+/g, 'n');
}

interface Building {
  code: string;
  titles: string[];
  leads: string[];
  cooperating: string[];
  times: string[];
  section: string | null;
  sectionTitle: string | null;
  where: string;
  cells: string[][];
  notes: string[];
}

function pushNew(list: string[], text: string): void {
  const t = text.trim();
  if (t && !list.includes(t)) list.push(t);
}

/** The source cells of a duty read over several rows: each column's texts joined, in column order. */
function sourceCells(rows: string[][]): string[] {
  const width = Math.max(0, ...rows.map((r) => r.length));
  const out: string[] = [];
  for (let j = 0; j < width; j++) {
    const parts: string[] = [];
    for (const r of rows) {
      const t = cleanCell(r[j] ?? '');
      if (t && !parts.includes(t)) parts.push(t);
    }
    out.push(parts.join('\n'));
  }
  while (out.length && !out[out.length - 1]) out.pop();
  return out;
}

/** Turns the rows of a duty table into duties; rows that cannot be read go to `flags`. */
export function buildDuties(rows: DataRow[], columns: Columns, options: ParseOptions, flags: string[]): DutyDraft[] {
  const built: Building[] = [];
  let section: string | null = null;
  let sectionTitle: string | null = null;
  let last: Building | null = null;
  let lastWasSection = false;
  let autoNumber = 0;
  let firstCode: string | null = null;
  const get = (row: DataRow, role: Role) => {
    const i = columns[role];
    return i === undefined ? '' : cleanCell(row.cells[i] ?? '');
  };

  for (const row of rows) {
    if (!row.cells.some((c) => c.trim())) continue;
    if (mapHeader(row.cells)) continue;
    // "(1) | (2) | (3) …" or "1 | 2 | 3 …" under the header numbers its columns.
    const filled = row.cells.map((c) => c.trim()).filter(Boolean);
    if (filled.length >= 3 && filled.every((c, k) => new RegExp(`^\\(?${k + 1}\\)?$`).test(c))) continue;
    let code = normCode(get(row, 'code'));
    let title = get(row, 'title');
    const lead = get(row, 'lead');
    const coop = get(row, 'cooperating');
    const time = get(row, 'timeframe');
    // "I. TUYÊN TRUYỀN" in the number column of a merged row.
    const joined = /^([IVXL]{1,6}|\d{1,2}(?:\.\d{1,2}){0,3})[.)]?\s+(\S.*)$/su.exec(tidy(get(row, 'code')));
    if (!title && joined) {
      code = joined[1]!;
      title = joined[2]!;
    }
    // "1. Tuyên truyền …" in the duty column, with no number column or an empty one.
    if (!code && title && (columns.code === undefined || !get(row, 'code'))) {
      const lead2 = /^((?:[IVXL]{1,6}|\d{1,2}(?:\.\d{1,2}){0,3})[.)]|[a-zđ]\))\s+(\S.*)$/su.exec(title);
      if (lead2) {
        code = normCode(lead2[1]!);
        title = lead2[2]!;
      }
    }
    const restEmpty = !lead && !coop && !time;
    // Numbering that starts again under a repeated header is another table ("PHỤ LỤC II"), not
    // the duty above continued over a page.
    if (row.afterHeader && code && code === firstCode) {
      section = null;
      sectionTitle = null;
      last = null;
      lastWasSection = false;
    }
    firstCode ??= code || null;

    if (!row.complete) {
      const filled = row.cells.filter((c) => c.trim()).length;
      if (!(code && title && restEmpty && filled <= 2)) {
        flags.push(unsplittable(row));
        continue;
      }
    }
    if (code && !CODE_TOKEN.test(code) && !/^[\p{L}\d]{1,4}([.-]\d{1,3}){0,3}$/u.test(code)) {
      flags.push(unsplittable(row));
      continue;
    }

    if (code && restEmpty) {
      if (!title) {
        flags.push(unsplittable(row));
        continue;
      }
      section = code;
      sectionTitle = tidy(title);
      lastWasSection = true;
      last = null;
      continue;
    }

    const continues = last && (!code || code === last.code);
    if (continues && last) {
      pushNew(last.titles, title);
      pushNew(last.leads, lead);
      pushNew(last.cooperating, coop);
      pushNew(last.times, time);
      last.cells.push(row.cells);
      continue;
    }
    if (!code) {
      if (columns.code === undefined) {
        code = String(++autoNumber);
      } else if (lastWasSection && title && restEmpty) {
        sectionTitle = tidy(`${sectionTitle ?? ''} ${title}`);
        continue;
      } else {
        flags.push(
          inBothLanguages(
            importWords('rowWithoutNumber', { where: (lang) => whereIn(row.where, lang), cells: excerpt(row.cells) }),
          ),
        );
        continue;
      }
    }

    // Which section: a duty numbered like the section rows ("7" after section "6") is their peer.
    if (section !== null && codeShape(code) === codeShape(section)) {
      section = null;
      sectionTitle = null;
    } else if (section !== null && /^\d+$/.test(section) && code.includes('.') && !code.startsWith(`${section}.`)) {
      section = code.slice(0, code.lastIndexOf('.'));
      sectionTitle = null;
    }
    // "a)", "b)" restart under each section: "2.a" keeps them apart.
    if (/^[a-zđ]$/.test(code) && section !== null) code = `${section}.${code}`;
    const duty: Building = {
      code,
      titles: title ? [title] : [],
      leads: lead ? [lead] : [],
      cooperating: coop ? [coop] : [],
      times: time ? [time] : [],
      section,
      sectionTitle,
      where: row.where,
      cells: [row.cells],
      notes: [...(row.notes ?? [])],
    };
    built.push(duty);
    last = duty;
    lastWasSection = false;
  }

  return built.map((b) => finishDuty(b, options));
}

/**
 * Numbers must be unique within a plan (over all its duty tables): a repeated number is kept,
 * renamed "1 (2)" and flagged.
 */
export function uniqueCodes(duties: DutyDraft[]): DutyDraft[] {
  const seen = new Map<string, number>();
  return duties.map((d) => {
    const n = (seen.get(d.code) ?? 0) + 1;
    seen.set(d.code, n);
    if (n === 1) return d;
    return {
      ...d,
      code: `${d.code} (${n})`,
      flags: [inBothLanguages(importWords('numberUsedTwice', { code: d.code, nth: n })), ...d.flags],
    };
  });
}

function finishDuty(b: Building, options: ParseOptions): DutyDraft {
  const title = tidy(b.titles.join(' '));
  const leads = b.leads.flatMap((c) => splitUnitCell(c));
  const cooperating = b.cooperating.flatMap((c) => splitUnitCell(c));
  const timeframe = tidy(b.times.join(' '));
  const parsed = parseTimeframe(timeframe, { defaultDue: options.defaultDue });
  const flags = [...b.notes];
  if (!title) flags.push(inBothLanguages(importWords('noTitle')));
  if (leads.length === 0) flags.push(inBothLanguages(importWords('noLeadUnit')));
  if (!timeframe) flags.push(inBothLanguages(importWords('noTimeframe')));
  for (const f of parsed.flags) if (!flags.includes(f)) flags.push(f);
  return {
    code: b.code,
    title,
    section: b.section,
    sectionTitle: b.sectionTitle,
    origin: 'appendix',
    leads: [...new Set(leads)],
    cooperating: [...new Set(cooperating)],
    timeframe,
    schedule: parsed.schedule,
    flags,
    where: b.where,
    source: sourceCells(b.cells),
  };
}
