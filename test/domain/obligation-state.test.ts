import { describe, expect, it } from 'vitest';
import {
  DUE_SOON_MS,
  dueInstant,
  isOverdue,
  needsAttentionNow,
  nudgeSelection,
  obligationState,
  OBLIGATION_STATES,
  type ObligationDue,
} from '#root/domain/obligation-state.js';

// Due at the end of 31/12/2026 in Hanoi: 23:59:59 local is 16:59:59 UTC.
const DUE = new Date('2026-12-31T16:59:59Z');
const at = (iso: string) => new Date(iso);
const open = (dueAt: Date, extendedTo: Date | null = null): ObligationDue => ({ status: 'open', dueAt, extendedTo });

describe('an obligation’s due instant', () => {
  it('is the original one without an extension', () => {
    expect(dueInstant(open(DUE))).toEqual(DUE);
  });

  it('is the extension’s once one is approved, earlier or later', () => {
    expect(dueInstant(open(DUE, at('2027-01-15T16:59:59Z')))).toEqual(at('2027-01-15T16:59:59Z'));
    expect(dueInstant(open(DUE, at('2026-12-20T16:59:59Z')))).toEqual(at('2026-12-20T16:59:59Z'));
  });
});

describe('overdue', () => {
  describe('an open obligation', () => {
    it('is not overdue at its due instant exactly, and is one millisecond later', () => {
      expect(isOverdue(open(DUE), DUE)).toBe(false);
      expect(isOverdue(open(DUE), new Date(DUE.getTime() + 1))).toBe(true);
      expect(obligationState(open(DUE), DUE)).toBe('soon');
      expect(obligationState(open(DUE), new Date(DUE.getTime() + 1))).toBe('overdue');
    });

    it('due at the end of 31/12 in Hanoi is overdue the instant after, while it is still 31/12 in UTC', () => {
      expect(isOverdue(open(DUE), at('2026-12-31T16:59:59.999Z'))).toBe(true);
      expect(isOverdue(open(DUE), at('2026-12-31T16:59:58Z'))).toBe(false);
      expect(isOverdue(open(DUE), at('2026-12-31T17:00:00Z'))).toBe(true);
    });
  });

  describe('with an approved extension', () => {
    const extended = open(DUE, at('2027-01-15T16:59:59Z'));

    it('is not overdue after the original due instant, while the extension runs', () => {
      expect(isOverdue(extended, at('2027-01-02T00:00:00Z'))).toBe(false);
      expect(obligationState(extended, at('2027-01-02T00:00:00Z'))).toBe('extended');
    });

    it('is overdue once the extension has passed', () => {
      expect(isOverdue(extended, at('2027-01-15T16:59:59Z'))).toBe(false);
      expect(isOverdue(extended, at('2027-01-15T17:00:00Z'))).toBe(true);
      expect(obligationState(extended, at('2027-01-15T17:00:00Z'))).toBe('overdue');
    });

    it('stays "extended" rather than "due soon" in its last week', () => {
      expect(obligationState(extended, at('2027-01-14T00:00:00Z'))).toBe('extended');
    });
  });

  describe('a done or waived obligation', () => {
    it('is never overdue, and keeps its stored state, however late', () => {
      const late = at('2030-01-01T00:00:00Z');
      for (const status of ['done', 'waived'] as const) {
        const o: ObligationDue = { status, dueAt: DUE, extendedTo: null };
        expect(isOverdue(o, late)).toBe(false);
        expect(obligationState(o, late)).toBe(status);
        expect(obligationState({ ...o, extendedTo: at('2027-01-15T16:59:59Z') }, late)).toBe(status);
      }
    });
  });
});

describe('due soon', () => {
  it('starts exactly seven days before the due instant', () => {
    expect(obligationState(open(DUE), new Date(DUE.getTime() - DUE_SOON_MS))).toBe('soon');
    expect(obligationState(open(DUE), new Date(DUE.getTime() - DUE_SOON_MS - 1))).toBe('open');
  });
});

describe('the states', () => {
  it('are listed worst first', () => {
    expect(OBLIGATION_STATES).toEqual(['overdue', 'soon', 'extended', 'open', 'done', 'waived']);
  });
});

describe('what needs a unit now (a nudge that names no duty)', () => {
  const ZONE = 'Asia/Ho_Chi_Minh';
  // 09:00 on 31/12/2026 in Hanoi.
  const NOW = at('2026-12-31T02:00:00Z');
  const named = (name: string, o: ObligationDue) => ({ ...o, name });
  const names = (list: { name: string }[]) => list.map((o) => o.name);

  it('is an overdue obligation, and one due later today in the organisation’s zone', () => {
    expect(needsAttentionNow(open(at('2026-12-30T16:59:59Z')), NOW, ZONE)).toBe(true);
    // 23:59:59 today in Hanoi: not overdue at 09:00, but today's.
    expect(isOverdue(open(DUE), NOW)).toBe(false);
    expect(needsAttentionNow(open(DUE), NOW, ZONE)).toBe(true);
    // Tomorrow in Hanoi, though still 31/12 in UTC.
    expect(needsAttentionNow(open(at('2026-12-31T17:00:00Z')), NOW, ZONE)).toBe(false);
    // Due exactly now: today's, not overdue.
    expect(isOverdue(open(NOW), NOW)).toBe(false);
    expect(needsAttentionNow(open(NOW), NOW, ZONE)).toBe(true);
  });

  it('is never a done or waived obligation, nor one whose extension runs past today', () => {
    expect(needsAttentionNow({ status: 'done', dueAt: at('2026-12-01T00:00:00Z'), extendedTo: null }, NOW, ZONE)).toBe(
      false,
    );
    expect(needsAttentionNow({ status: 'waived', dueAt: DUE, extendedTo: null }, NOW, ZONE)).toBe(false);
    expect(needsAttentionNow(open(at('2026-12-01T00:00:00Z'), at('2027-01-15T16:59:59Z')), NOW, ZONE)).toBe(false);
  });

  it('takes what is late, and every obligation of the nearest due instant ahead, not the rest', () => {
    const list = [
      named('late', open(at('2026-12-01T16:59:59Z'))),
      named('today', open(DUE)),
      named('done', { status: 'done', dueAt: at('2026-11-01T00:00:00Z'), extendedTo: null }),
      named('next-a', open(at('2027-01-15T16:59:59Z'))),
      named('next-b', open(at('2027-01-15T16:59:59Z'))),
      named('later', open(at('2027-03-31T16:59:59Z'))),
    ];
    expect(
      names(
        nudgeSelection(
          list.filter((o) => o.name !== 'today'),
          NOW,
          ZONE,
        ),
      ),
    ).toEqual(['late', 'next-a', 'next-b']);
    // Due later today is the nearest due date ahead: the next ones wait.
    expect(names(nudgeSelection(list, NOW, ZONE))).toEqual(['late', 'today']);
  });

  it('takes every obligation due today, whatever its hour, though only the first is the nearest ahead', () => {
    const list = [named('noon', open(at('2026-12-31T05:00:00Z'))), named('evening', open(DUE))];
    expect(names(nudgeSelection(list, NOW, ZONE))).toEqual(['noon', 'evening']);
  });

  it('takes the next due date alone when nothing is late, and measures it by the extension', () => {
    const list = [
      named('extended', open(at('2026-12-01T16:59:59Z'), at('2027-02-15T16:59:59Z'))),
      named('next', open(at('2027-01-15T16:59:59Z'))),
    ];
    expect(names(nudgeSelection(list, NOW, ZONE))).toEqual(['next']);
    expect(names(nudgeSelection(list.slice(0, 1), NOW, ZONE))).toEqual(['extended']);
  });

  it('takes nothing from nothing open', () => {
    expect(nudgeSelection([], NOW, ZONE)).toEqual([]);
    expect(nudgeSelection([{ status: 'done', dueAt: DUE, extendedTo: null }], NOW, ZONE)).toEqual([]);
  });
});
