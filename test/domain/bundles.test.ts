import { describe, expect, it } from 'vitest';
import {
  bundleKey,
  bundleSlot,
  bundleStaleness,
  DAY_SLOT,
  itemStaleness,
  orderItems,
  partitionStale,
  sectionOf,
  shorten,
} from '#root/domain/bundles.js';
import { nudgeStep, parseStageId, stageCountsFrom, stageId, stageSql } from '#root/domain/stages.js';

const ZONE = 'Asia/Ho_Chi_Minh';

describe('stage ids', () => {
  it('are built and read back in one place', () => {
    expect(stageId('lead-7', '2026-11-15')).toBe('lead-7@20261115');
    expect(parseStageId('lead-7@20261115')).toEqual({ step: 'lead-7', kind: 'lead', n: 7, dueDate: '2026-11-15' });
    expect(parseStageId('due@20261115')).toEqual({ step: 'due', kind: 'due', n: null, dueDate: '2026-11-15' });
    expect(parseStageId('escalation-2@20261115')?.kind).toBe('escalation');
    expect(parseStageId('nudge-mabc12@20270630')).toEqual({
      step: 'nudge-mabc12',
      kind: 'nudge',
      n: null,
      dueDate: '2027-06-30',
    });
    for (const bad of ['', 'lead@20261115', 'due@2026111', 'due-20261115', 'lead-x@20261115'])
      expect(parseStageId(bad), bad).toBeNull();
    expect(stageCountsFrom('overdue-2@20261115', '2026-11-15')).toBe(true);
    expect(stageCountsFrom('overdue-2@20261115', '2026-11-30')).toBe(false);
    const step = nudgeStep(new Date('2026-12-06T03:00:00Z'));
    expect(parseStageId(stageId(step, '2027-06-30'))).toEqual({ step, kind: 'nudge', n: null, dueDate: '2027-06-30' });
    expect(nudgeStep(new Date('2026-12-06T03:00:01Z'))).not.toBe(step);
    // The SQL readings name the same parts (PostgreSQL runs them in services/bundles.ts and delivery/load.ts).
    expect(stageSql.isNudge('r.stage')).toBe("(r.stage LIKE 'nudge-%')");
    expect(stageSql.step('r.stage')).toBe("split_part(r.stage, '@', 1)");
  });
});

describe('bundles', () => {
  it('gather a contact’s day in one slot, each nudge in its own', () => {
    expect(bundleSlot('lead-3@20261115')).toBe(DAY_SLOT);
    expect(bundleSlot('escalation-1@20261115')).toBe(DAY_SLOT);
    expect(bundleSlot('nudge-mabc12@20261115')).toBe('nudge-mabc12');
    expect(bundleKey('c1', 'telegram', '2026-11-16')).toBe('c1:telegram:20261116:day');
    expect(bundleKey('c1', null, '2026-11-16')).toBe('c1:none:20261116:day');
  });

  it('put each item in its section, most urgent first, one per obligation', () => {
    expect(sectionOf('overdue', '2026-11-10', '2026-11-16')).toBe('overdue');
    expect(sectionOf('due', '2026-11-15', '2026-11-13')).toBe('dueToday');
    expect(sectionOf('lead', '2026-11-16', '2026-11-16')).toBe('dueToday');
    expect(sectionOf('lead', '2026-11-20', '2026-11-16')).toBe('soon');
    expect(sectionOf('escalation', '2026-11-10', '2026-11-16')).toBe('late');
    expect(sectionOf('cooperating', '2026-11-20', '2026-11-16')).toBe('cooperating');
    const base = { dueDate: '2026-11-20', unitName: 'U' };
    const ordered = orderItems([
      { ...base, obligationId: 'c', section: 'cooperating' as const, dutyCode: '1' },
      { ...base, obligationId: 's', section: 'soon' as const, dutyCode: '10' },
      { ...base, obligationId: 's2', section: 'soon' as const, dutyCode: '2' },
      { ...base, obligationId: 'o', section: 'late' as const, dutyCode: '3' },
      // The same obligation overdue (a head's own unit) and escalated: once, as overdue.
      { ...base, obligationId: 'o', section: 'overdue' as const, dutyCode: '3' },
    ]);
    expect(ordered.map((i) => `${i.obligationId}:${i.section}`)).toEqual([
      'o:overdue',
      's2:soon',
      's:soon',
      'c:cooperating',
    ]);
  });

  it('leave out an item closed, retired or moved before the message leaves', () => {
    const open = { obligationStatus: 'open', current: true, stage: 'lead-3@20261115', dueDate: '2026-11-15' };
    expect(itemStaleness(open)).toBeNull();
    expect(itemStaleness({ ...open, obligationStatus: 'done' })).toBe('done');
    expect(itemStaleness({ ...open, obligationStatus: 'waived' })).toBe('waived');
    expect(itemStaleness({ ...open, current: false })).toBe('retired');
    expect(itemStaleness({ ...open, dueDate: '2026-11-30' })).toBe('due date moved');
  });

  it('keep the items still wanted, reading the due day after an extension in the organisation’s zone', () => {
    // Due 15/11 at 23:59 in Hanoi: 16:59 UTC, still the 15th there (the 15th in UTC too, but not so at 17:30 UTC).
    const obligation = { status: 'open', current: true, dueAt: new Date('2026-11-15T16:59:00Z'), extendedTo: null };
    const items = [
      { id: 'a', stage: 'lead-3@20261115', obligation },
      { id: 'b', stage: 'lead-3@20261115', obligation: { ...obligation, status: 'done' } },
      { id: 'c', stage: 'lead-3@20261115', obligation: { ...obligation, current: false } },
      // Extended to 30/11: its stages counted from the 15th are stale.
      {
        id: 'd',
        stage: 'lead-3@20261115',
        obligation: { ...obligation, extendedTo: new Date('2026-11-30T10:00:00Z') },
      },
      {
        id: 'e',
        stage: 'lead-3@20261130',
        obligation: { ...obligation, extendedTo: new Date('2026-11-30T10:00:00Z') },
      },
      // 17:30 UTC on the 15th is the 16th in Hanoi: the stage of the 15th no longer counts from it.
      { id: 'f', stage: 'lead-3@20261115', obligation: { ...obligation, dueAt: new Date('2026-11-15T17:30:00Z') } },
    ];
    const { live, dropped } = partitionStale(items, ZONE);
    expect(live.map((i) => i.id)).toEqual(['a', 'e']);
    expect(dropped.map((d) => [d.item.id, d.reason])).toEqual([
      ['b', 'done'],
      ['c', 'retired'],
      ['d', 'due date moved'],
      ['f', 'due date moved'],
    ]);
    expect(partitionStale(items, 'UTC').live.map((i) => i.id)).toEqual(['a', 'e', 'f']);
  });

  it('drop a day’s message whose window closed or whose contact left; a nudge goes whenever asked', () => {
    const at = new Date('2026-11-16T01:00:00Z'); // 08:00 in Hanoi
    const s = { contactActive: true, slot: DAY_SLOT, scheduledAt: at, windowEnd: '17:00', zone: ZONE };
    expect(bundleStaleness({ ...s, now: new Date('2026-11-16T09:59:00Z') })).toBeNull();
    expect(bundleStaleness({ ...s, now: new Date('2026-11-16T10:01:00Z') })).toBe('missed its sending window');
    expect(bundleStaleness({ ...s, slot: 'nudge-x', now: new Date('2026-11-16T12:00:00Z') })).toBeNull();
    expect(bundleStaleness({ ...s, contactActive: false, now: at })).toBe('contact inactive');
  });

  it('shortens a long title at a word’s end where one is near', () => {
    expect(shorten('Báo cáo tình hình bảo đảm an toàn thông tin mạng quý III năm 2026', 60)).toBe(
      'Báo cáo tình hình bảo đảm an toàn thông tin mạng quý III…',
    );
    expect(shorten('Tổ chức tuyên truyền, phổ biến kiến thức', 24)).toBe('Tổ chức tuyên truyền…');
  });

  it('shorten a long title by characters, not bytes', () => {
    expect(shorten('ngắn')).toBe('ngắn');
    const out = shorten('đ'.repeat(500), 10);
    expect([...out]).toHaveLength(10);
    expect(out.endsWith('…')).toBe(true);
  });
});
