import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, effectivePolicy, type ReminderPolicy } from '#root/domain/policy.js';
import { fromZonedTime } from 'date-fns-tz';
import { atLocalTime, parseStageId, reminderStages, stageId } from '#root/domain/stages.js';
import type { CalendarDay } from '#root/domain/types.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const policy: ReminderPolicy = { ...DEFAULT_POLICY, overdueMax: 2 };

/** The days of the stages before and on the due date, by step. */
function ladder(dueDate: string, days: CalendarDay[] = [], p: ReminderPolicy = policy) {
  const calendar = workingCalendarForYears([Number(dueDate.slice(0, 4)) - 1, Number(dueDate.slice(0, 4))], days);
  const stages = reminderStages(dueDate, p, calendar, ZONE);
  return {
    stages,
    day: Object.fromEntries(stages.map((s) => [s.step, s.day])),
    left: Object.fromEntries(stages.map((s) => [s.step, s.workingDaysLeft])),
  };
}

describe('the reminder ladder', () => {
  describe('when the due date is a weekday', () => {
    it('puts the due stage on the due date and counts the leads back from it', () => {
      const { day, left } = ladder('2026-11-13'); // Friday
      expect(day).toMatchObject({
        'lead-14': '2026-10-26',
        'lead-7': '2026-11-04',
        'lead-3': '2026-11-10',
        'lead-1': '2026-11-12',
        due: '2026-11-13',
      });
      expect(left).toMatchObject({ 'lead-1': 1, 'lead-3': 3, due: 0 });
      expect(day['overdue-1']).toBe('2026-11-16');
    });
  });

  describe('when the due date is a Sunday', () => {
    it('sends the due stage on Friday and lead-1 on Thursday (report due 15/11/2026)', () => {
      const { day, left } = ladder('2026-11-15');
      expect(day.due).toBe('2026-11-13');
      expect(day['lead-1']).toBe('2026-11-12');
      expect(day['lead-3']).toBe('2026-11-10');
      expect(day['lead-7']).toBe('2026-11-04');
      expect(day['lead-14']).toBe('2026-10-26');
      expect(left['lead-1']).toBe(1);
      expect(day['overdue-1']).toBe('2026-11-16');
    });
  });

  describe('when the due date is a Saturday', () => {
    it('counts from Friday, the last working day before it', () => {
      const { day } = ladder('2026-11-14');
      expect(day).toMatchObject({ 'lead-1': '2026-11-12', due: '2026-11-13', 'overdue-1': '2026-11-16' });
    });
  });

  describe('when the due date is a public holiday', () => {
    it('counts from the working day before the holidays (Quốc khánh, Wednesday 2/9/2026)', () => {
      const { day } = ladder('2026-09-02');
      expect(day.due).toBe('2026-08-31');
      expect(day['lead-1']).toBe('2026-08-28');
      expect(day['lead-3']).toBe('2026-08-26');
      expect(day['overdue-1']).toBe('2026-09-03');
    });
  });

  describe('when the due date falls in Tết', () => {
    it('counts from the last working day before the Tết break (due mùng 3, Monday 8/2/2027)', () => {
      // Tết 2027: Friday 5/2 (the last day of the lunar year) to Thursday 11/2 with the days in lieu.
      const { day } = ladder('2027-02-08');
      expect(day.due).toBe('2027-02-04');
      expect(day['lead-1']).toBe('2027-02-03');
      expect(day['lead-3']).toBe('2027-02-01');
      expect(day['overdue-1']).toBe('2027-02-12');
    });
  });

  describe('when a Saturday is worked', () => {
    const worked: CalendarDay[] = [{ date: '2026-11-14', kind: 'workday', name: 'Làm bù' }];
    it('keeps the due stage on a worked Saturday due date', () => {
      const { day } = ladder('2026-11-14', worked);
      expect(day).toMatchObject({ 'lead-1': '2026-11-13', 'lead-3': '2026-11-11', due: '2026-11-14' });
    });
    it('counts from the worked Saturday when the report is due on the Sunday after it', () => {
      const { day } = ladder('2026-11-15', worked);
      expect(day).toMatchObject({ 'lead-1': '2026-11-13', due: '2026-11-14' });
    });
  });

  describe('when lead days collide', () => {
    it('keeps every lead of the policy, each on a day of its own before the due stage', () => {
      for (const due of ['2026-11-13', '2026-11-14', '2026-11-15', '2026-09-02', '2027-02-08', '2027-01-01']) {
        const p = effectivePolicy({ leadDays: [1, 2, 3, 4, 5] });
        const { stages, day } = ladder(due, [], { ...p, overdueMax: 0 });
        const leads = stages.filter((s) => s.kind === 'lead');
        expect(
          leads.map((s) => s.step),
          due,
        ).toEqual(['lead-5', 'lead-4', 'lead-3', 'lead-2', 'lead-1']);
        expect(new Set(leads.map((s) => s.day)).size, due).toBe(5);
        for (const s of leads) expect(s.day < day.due!, `${due} ${s.step}`).toBe(true);
      }
    });

    it('keeps one stage for a lead day given twice', () => {
      const { stages } = ladder('2026-11-15', [], { ...policy, leadDays: [3, 3, 1] });
      expect(stages.filter((s) => s.kind === 'lead').map((s) => s.step)).toEqual(['lead-3', 'lead-1']);
    });

    it('keeps lead-1 when the policy sends nothing on the due day', () => {
      const { day } = ladder('2026-11-15', [], { ...policy, onDue: false });
      expect(day['lead-1']).toBe('2026-11-12');
      expect(day.due).toBeUndefined();
    });
  });

  it('sends every stage at the start of the sending window, in the organisation’s zone', () => {
    const { stages } = ladder('2026-11-15');
    const due = stages.find((s) => s.step === 'due')!;
    expect(due.at.toISOString()).toBe('2026-11-13T01:00:00.000Z');
  });

  it('names the due date itself in the stage id (rows already stored keep their meaning)', () => {
    expect(stageId('lead-1', '2026-11-15')).toBe('lead-1@20261115');
  });
});

describe('a local time on a day in a zone', () => {
  it('is the instant date-fns-tz reads, asked once or again, across changes of offset', () => {
    for (const zone of ['Asia/Ho_Chi_Minh', 'Europe/Paris', 'America/New_York', 'Asia/Kathmandu'])
      for (const day of ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01', '2026-12-31'])
        for (const hhmm of ['00:00', '01:30', '02:30', '03:00', '17:00', '23:59'])
          for (const _ of [1, 2])
            expect(atLocalTime(day, hhmm, zone).getTime()).toBe(fromZonedTime(`${day}T${hhmm}:00`, zone).getTime());
  });

  it('is a new Date each time: changing one changes no other', () => {
    const a = atLocalTime('2026-11-16', '17:00', 'Asia/Ho_Chi_Minh');
    a.setTime(0);
    expect(atLocalTime('2026-11-16', '17:00', 'Asia/Ho_Chi_Minh').toISOString()).toBe('2026-11-16T10:00:00.000Z');
  });
});

describe('a stage id read back', () => {
  it('is read the same asked again, and null for what is not one', () => {
    for (const _ of [1, 2]) {
      expect(parseStageId('lead-7@20261115')).toEqual({ step: 'lead-7', kind: 'lead', n: 7, dueDate: '2026-11-15' });
      expect(parseStageId('nudge-m1x@20261115')).toEqual({
        step: 'nudge-m1x',
        kind: 'nudge',
        n: null,
        dueDate: '2026-11-15',
      });
      expect(parseStageId('due@2026111')).toBeNull();
    }
  });
});
