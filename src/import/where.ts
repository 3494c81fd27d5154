import type { Lang } from '#root/domain/wording.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * Where in a document something was read — a line of a pasted text, a row of a sheet, a table or a
 * paragraph of a Word file, a page of a PDF — as the readers write it and as the flags, the errors
 * and the review page show it. The readers keep one text, in Vietnamese ("bảng 1, hàng 5"), which
 * {@link whereIn} gives in the reader's language ("table 1, row 5"). A cell of a sheet
 * ("Sheet1!A5") or a file's name is the same in both languages and is given as it is.
 */

const importWords = serviceWords('import');

const WORDS = {
  line: importWords('place.line'),
  row: importWords('place.row'),
  table: importWords('place.table'),
  page: importWords('place.page'),
  paragraph: importWords('place.paragraph'),
} as const;

type Part = keyof typeof WORDS;

const part = (kind: Part, n: number) => `${WORDS[kind].vi} ${n}`;

/** The places the readers name, each numbered from 1. */
export const place = {
  /** A line of a pasted text or a text file. */
  line: (n: number) => part('line', n),
  /** A row of a CSV file or of a sheet without a name. */
  row: (n: number) => part('row', n),
  /** A table of a Word file. */
  table: (n: number) => part('table', n),
  /** A row of a table of a Word file. */
  tableRow: (table: number, row: number) => `${part('table', table)}, ${part('row', row)}`,
  /** A page of a PDF. */
  page: (n: number) => part('page', n),
  /** A table on a page of a PDF. */
  pageTable: (page: number, table: number) => `${part('page', page)}, ${part('table', table)}`,
  /** A paragraph of a Word file. */
  paragraph: (n: number) => part('paragraph', n),
};

const BY_VI = new Map<string, Part>(Object.entries(WORDS).map(([kind, w]) => [w.vi, kind as Part]));
const PIECE = /^(\S+) (\d+)$/u;

/** The pieces of a place the readers wrote ("bảng 1, hàng 5"), or null for another text ("Sheet1!A5"). */
function pieces(where: string): { kind: Part; n: number }[] | null {
  const out: { kind: Part; n: number }[] = [];
  for (const piece of where.split(', ')) {
    const m = PIECE.exec(piece.normalize('NFC'));
    const kind = m ? BY_VI.get(m[1]!) : undefined;
    if (!m || !kind) return null;
    out.push({ kind, n: Number(m[2]) });
  }
  return out;
}

/** A place as the readers wrote it, in a language: "bảng 1, hàng 5" → "table 1, row 5" in English. */
export function whereIn(where: string, lang: Lang): string {
  const found = pieces(where);
  if (!found) return where;
  return found.map((p) => `${WORDS[p.kind][lang]} ${p.n}`).join(', ');
}

/** The number of the line a place names ("dòng 7" → 7), or null when it names no line of a text. */
export function lineOf(where: string): number | null {
  const found = pieces(where);
  return found?.length === 1 && found[0]!.kind === 'line' ? found[0]!.n : null;
}
