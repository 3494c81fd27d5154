import { describe, expect, it } from 'vitest';
import {
  DUE_SOON_MS,
  dueInstant,
  isOverdue,
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
