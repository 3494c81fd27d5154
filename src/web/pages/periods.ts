import {
  dueInstant,
  OBLIGATION_STATES,
  obligationState,
  type ObligationDue,
  type ObligationState,
} from '#root/domain/obligation-state.js';
import { html, type Html, type Lang } from '../html.js';
import { webWords } from '../words.js';

/** What the unit's and the duty's pages need of an obligation to sort it into "now" or "the rest". */
export interface PeriodRow extends ObligationDue {
  history: boolean;
}

/**
 * The obligations a person needs to see now, and the rest of the year: "now" is every overdue one,
 * and of each pair (as `pairOf` says: a duty and a unit) its current period — the first one not yet
 * due, or, when the year has none left, the last one, whatever its state (done ones too: it is the
 * state of that pair today). Overdue first, the longest overdue first; then by due date. Periods
 * before the plan was tracked from (history) are always the rest.
 */
export function splitNow<O extends PeriodRow>(
  rows: readonly O[],
  now: Date,
  pairOf: (o: O) => string,
): { now: O[]; rest: O[] } {
  // Open, of a period before the plan was tracked from: history (units.ts's isHistoryRow).
  const isHistoryRow = (o: O) => o.history && o.status === 'open';
  const current = new Map<string, O>();
  for (const o of [...rows].filter((r) => !isHistoryRow(r)).sort((x, y) => +dueInstant(x) - +dueInstant(y))) {
    const key = pairOf(o);
    const seen = current.get(key);
    // Ascending: the last seen before one not yet due, or the first not yet due.
    if (!seen || +dueInstant(seen) < +now) current.set(key, o);
  }
  const chosen = new Set(current.values());
  const isNow = (o: O) => !isHistoryRow(o) && (chosen.has(o) || obligationState(o, now) === 'overdue');
  const overdueFirst = (x: O, y: O) =>
    Number(obligationState(y, now) === 'overdue') - Number(obligationState(x, now) === 'overdue') ||
    +dueInstant(x) - +dueInstant(y);
  return {
    now: rows.filter(isNow).sort(overdueFirst),
    rest: rows.filter((o) => !isNow(o)),
  };
}

/** Which page of a list a query asks for, within 1 … pages. */
export function pageOf(raw: unknown, total: number, size: number): { page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(total / size));
  const asked = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : 1;
  return { page: Math.min(pages, Math.max(1, asked)), pages };
}

/** "← Trước · Trang 2/5 · Sau →", or nothing for a single page; `href(n)` is page n's address. */
export function pager(lang: Lang, page: number, pages: number, href: (n: number) => string): Html | '' {
  if (pages <= 1) return '';
  const t = webWords('periods', lang);
  return html`<nav class="pager" aria-label="${t('pages')}">${page > 1 ? html`<a href="${href(page - 1)}">← ${t('previous')}</a>` : ''} <span>${t('pagePages', { page, pages })}</span> ${page < pages ? html`<a href="${href(page + 1)}">${t('next')} →</a>` : ''}</nav>`;
}

/**
 * "2 quá hạn, 5 đang mở, 3 đã xong, 4 kỳ lịch sử", coloured as the matrix colours them (each state's
 * word: `stateCount.<state>` in locales/<lang>/periods.json).
 */
export function stateCounts(lang: Lang, states: readonly ObligationState[], historyCount: number): Html {
  const t = webWords('periods', lang);
  const counts = OBLIGATION_STATES.map((s) => [s, states.filter((x) => x === s).length] as const).filter(
    ([, n]) => n > 0,
  );
  return html`<p class="counts">${counts.map(([s, n], i) => html`${i ? ', ' : ''}<span class="s-${s}">${n} ${t(`stateCount.${s}`)}</span>`)}${historyCount ? html`${counts.length ? ', ' : ''}<span class="s-none">${t('historyCount', { historyCount })}</span>` : ''}</p>`;
}
