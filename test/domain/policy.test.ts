import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  effectivePolicy,
  policyOverrideSchema,
  sendingWindowOrdered,
  type PolicyOverride,
} from '#root/domain/policy.js';
import { atLocalTime } from '#root/domain/stages.js';

describe('the effective reminder policy', () => {
  describe('without any override', () => {
    it('is the default of SPEC §4', () => {
      expect(effectivePolicy()).toEqual({
        leadDays: [14, 7, 3, 1],
        onDue: true,
        overdueEvery: 3,
        overdueMax: 10,
        escalateAfter: 3,
        windowStart: '08:00',
        windowEnd: '17:00',
      });
      expect(effectivePolicy(undefined, undefined, undefined, undefined)).toEqual(DEFAULT_POLICY);
    });
  });

  describe('with overrides from organisation, plan, duty and unit', () => {
    const org: PolicyOverride = {
      leadDays: [10, 5],
      onDue: false,
      overdueEvery: 5,
      overdueMax: 4,
      escalateAfter: 6,
      windowStart: '07:30',
      windowEnd: '16:00',
    };
    const plan: PolicyOverride = { overdueEvery: 2, windowEnd: '11:30' };
    const duty: PolicyOverride = { leadDays: [3], overdueMax: 1 };
    const unit: PolicyOverride = { onDue: true, windowStart: '09:00' };

    it('takes each field from the most specific level that sets it', () => {
      expect(effectivePolicy(org, plan, duty, unit)).toEqual({
        leadDays: [3], // duty
        onDue: true, // unit
        overdueEvery: 2, // plan
        overdueMax: 1, // duty
        escalateAfter: 6, // organisation
        windowStart: '09:00', // unit
        windowEnd: '11:30', // plan
      });
    });

    it('skips a level without an override and keeps the default of a field nobody sets', () => {
      expect(effectivePolicy(undefined, plan, undefined, unit)).toEqual({
        ...DEFAULT_POLICY,
        overdueEvery: 2,
        windowEnd: '11:30',
        windowStart: '09:00',
        onDue: true,
      });
      expect(effectivePolicy({ escalateAfter: 9 }).escalateAfter).toBe(9);
      expect(effectivePolicy({ escalateAfter: 9 }).leadDays).toEqual(DEFAULT_POLICY.leadDays);
    });

    it('lets a more specific level set a field back to the default’s value, or to false or zero', () => {
      expect(effectivePolicy({ onDue: false }, { onDue: true }).onDue).toBe(true);
      expect(effectivePolicy({ onDue: true }, undefined, { onDue: false }).onDue).toBe(false);
      expect(effectivePolicy({ overdueMax: 5 }, { overdueMax: 0 }).overdueMax).toBe(0);
    });

    it('replaces the lead days as a whole rather than merging the lists', () => {
      expect(effectivePolicy({ leadDays: [20, 10] }, { leadDays: [2] }).leadDays).toEqual([2]);
    });

    it('applies the levels in the order given: the last one wins', () => {
      expect(effectivePolicy(unit, org).windowStart).toBe('07:30');
      expect(effectivePolicy(org, unit).windowStart).toBe('09:00');
    });
  });

  describe('lead days', () => {
    it('are sorted from the furthest to the nearest and each kept once', () => {
      expect(effectivePolicy({ leadDays: [1, 7, 3, 7, 14, 1] }).leadDays).toEqual([14, 7, 3, 1]);
      expect(effectivePolicy({ leadDays: [2, 10] }).leadDays).toEqual([10, 2]);
    });

    it('may be none at all', () => {
      expect(effectivePolicy({ leadDays: [] }).leadDays).toEqual([]);
    });
  });

  it('never changes the default nor the overrides it is given', () => {
    const before = structuredClone(DEFAULT_POLICY);
    const o: PolicyOverride = { leadDays: [1, 5, 5] };
    const p = effectivePolicy(o);
    p.leadDays.push(99);
    expect(DEFAULT_POLICY).toEqual(before);
    expect(o).toEqual({ leadDays: [1, 5, 5] });
    expect(effectivePolicy().leadDays).toEqual([14, 7, 3, 1]);
  });
});

describe('a policy override as stored or typed', () => {
  const valid = (o: unknown) => policyOverrideSchema.safeParse(o).success;

  it('accepts the sending window from the first to the last minute of the day', () => {
    expect(valid({ windowStart: '00:00', windowEnd: '23:59' })).toBe(true);
    expect(valid({ windowStart: '19:05' })).toBe(true);
  });

  it('refuses a time that is not HH:MM of a real minute', () => {
    for (const t of ['24:00', '8:00', '08:60', '0800', '08:00:00', '', ' 08:00'])
      expect(valid({ windowStart: t }), t).toBe(false);
  });

  it('keeps every number within its bounds, the edges included', () => {
    expect(valid({ leadDays: [1, 60], overdueEvery: 1, overdueMax: 0, escalateAfter: 1 })).toBe(true);
    expect(valid({ overdueEvery: 30, overdueMax: 50, escalateAfter: 30 })).toBe(true);
    for (const o of [
      { leadDays: [0] },
      { leadDays: [61] },
      { leadDays: [1.5] },
      { overdueEvery: 0 },
      { overdueEvery: 31 },
      { overdueMax: -1 },
      { overdueMax: 51 },
      { escalateAfter: 0 },
      { escalateAfter: 31 },
    ]) {
      expect(valid(o), JSON.stringify(o)).toBe(false);
    }
  });

  it('takes at most ten lead days', () => {
    expect(valid({ leadDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).toBe(true);
    expect(valid({ leadDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] })).toBe(false);
  });

  it('refuses an unknown field (a typo would otherwise silently do nothing)', () => {
    expect(valid({ leadDay: [3] })).toBe(false);
    expect(valid({})).toBe(true);
  });
});

describe('the sending window’s order', () => {
  const ordered = (windowStart: string, windowEnd: string) => sendingWindowOrdered({ windowStart, windowEnd });

  it('holds for the default window and for one a minute long', () => {
    expect(sendingWindowOrdered(DEFAULT_POLICY)).toBe(true);
    expect(ordered('08:00', '08:01')).toBe(true);
    expect(ordered('00:00', '23:59')).toBe(true);
  });

  it('fails for an empty window and for one that ends before it starts (no window across midnight)', () => {
    expect(ordered('09:00', '09:00')).toBe(false);
    expect(ordered('17:00', '08:00')).toBe(false);
    expect(ordered('23:59', '00:00')).toBe(false);
  });

  it('is checked on the policy in force: an override of one end against the other’s default', () => {
    expect(sendingWindowOrdered(effectivePolicy({ windowStart: '16:59' }))).toBe(true);
    expect(sendingWindowOrdered(effectivePolicy({ windowStart: '17:00' }))).toBe(false);
    expect(sendingWindowOrdered(effectivePolicy({ windowEnd: '08:00' }))).toBe(false);
    expect(sendingWindowOrdered(effectivePolicy({ windowStart: '18:00' }, { windowEnd: '20:00' }))).toBe(true);
  });
});

describe('the sending window’s edges', () => {
  it('are local times of the organisation’s zone on the stage’s day', () => {
    expect(atLocalTime('2026-12-31', '08:00', 'Asia/Ho_Chi_Minh')).toEqual(new Date('2026-12-31T01:00:00Z'));
    expect(atLocalTime('2026-12-31', '17:00', 'Asia/Ho_Chi_Minh')).toEqual(new Date('2026-12-31T10:00:00Z'));
    expect(atLocalTime('2026-12-31', '23:59', 'Asia/Ho_Chi_Minh')).toEqual(new Date('2026-12-31T16:59:00Z'));
    expect(atLocalTime('2027-01-01', '00:00', 'Asia/Ho_Chi_Minh')).toEqual(new Date('2026-12-31T17:00:00Z'));
  });

  it('follow summer time in a zone that has it', () => {
    expect(atLocalTime('2026-03-27', '08:00', 'Europe/Paris')).toEqual(new Date('2026-03-27T07:00:00Z'));
    expect(atLocalTime('2026-03-30', '08:00', 'Europe/Paris')).toEqual(new Date('2026-03-30T06:00:00Z'));
  });
});
