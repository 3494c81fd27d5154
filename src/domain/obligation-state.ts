/**
 * The state of an obligation at an instant: the one definition of "overdue", "due soon" and
 * "extended" that the status matrix, the unit and duty pages, the calendar feed, the exports and
 * the counts per unit share. (The matrix's statement computes the same ranks in SQL for speed:
 * `services/matrix.ts` says so next to it.)
 */
import { zonedDay } from './zoned-day.js';

/** What an obligation needs for its state: its stored status and its due instants. */
export interface ObligationDue {
  status: 'open' | 'done' | 'waived';
  dueAt: Date;
  /** The due instant of an approved extension; it replaces `dueAt`. */
  extendedTo: Date | null;
}

/** The state of one obligation, or of one matrix cell (the worst of its obligations). */
export type ObligationState = 'overdue' | 'soon' | 'extended' | 'open' | 'done' | 'waived';

/** Worst first: a cell shows the first of these that any of its obligations is in. */
export const OBLIGATION_STATES: readonly ObligationState[] = ['overdue', 'soon', 'extended', 'open', 'done', 'waived'];

/** "Due soon": open and due within this long of now. */
export const DUE_SOON_MS = 7 * 86_400_000;

/** The instant an obligation is due: the approved extension's if there is one, else the original. */
export const dueInstant = (o: Pick<ObligationDue, 'dueAt' | 'extendedTo'>): Date => o.extendedTo ?? o.dueAt;

/**
 * Overdue at `now`: open, and its due instant ({@link dueInstant}) strictly before `now` (due
 * exactly now is not yet overdue). Done and waived ones are never overdue.
 */
export const isOverdue = (o: ObligationDue, now: Date): boolean =>
  o.status === 'open' && dueInstant(o).getTime() < now.getTime();

/**
 * The state of one obligation at `now`: done and waived as stored; an open one is overdue once its
 * due instant (`extendedTo ?? dueAt`) has passed, else extended if an extension was approved, else
 * due soon within {@link DUE_SOON_MS}, else open.
 */
export function obligationState(o: ObligationDue, now: Date): ObligationState {
  if (o.status !== 'open') return o.status;
  if (isOverdue(o, now)) return 'overdue';
  if (o.extendedTo) return 'extended';
  return dueInstant(o).getTime() - now.getTime() <= DUE_SOON_MS ? 'soon' : 'open';
}

/**
 * Needs the unit now: open, and overdue at `now` ({@link isOverdue}) or due today — its due instant
 * on `now`'s calendar day in the organisation's `zone` (due at 17:00 today is not yet overdue at
 * 09:00, but it is today's business).
 */
export const needsAttentionNow = (o: ObligationDue, now: Date, zone: string): boolean =>
  o.status === 'open' && (isOverdue(o, now) || zonedDay(dueInstant(o), zone) === zonedDay(now, zone));

/**
 * What a nudge that names no duty is about: every open obligation that {@link needsAttentionNow},
 * and those of the nearest due instant still ahead (all of them, when several share it), so that a
 * unit with nothing late still hears of what comes next, and never of the whole year. In the order
 * given.
 */
export function nudgeSelection<T extends ObligationDue>(obligations: readonly T[], now: Date, zone: string): T[] {
  const open = obligations.filter((o) => o.status === 'open');
  const ahead = open.filter((o) => !isOverdue(o, now)).map((o) => dueInstant(o).getTime());
  const nearest = ahead.length ? Math.min(...ahead) : null;
  return open.filter((o) => needsAttentionNow(o, now, zone) || dueInstant(o).getTime() === nearest);
}
