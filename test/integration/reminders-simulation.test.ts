import { fromZonedTime, formatInTimeZone } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPass } from '#jobs/maintenance.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { seedDemo } from '#root/services/demo.js';
import { setHoliday } from '#root/services/holidays.js';
import { planWindow, type Plan } from '#root/services/planner.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);
const day = (d: Date) => formatInTimeZone(d, ZONE, 'yyyy-MM-dd');
const hm = (d: Date) => formatInTimeZone(d, ZONE, 'HH:mm');

/**
 * A whole season of reminders, 20/10–05/12/2026, over the imported HCMC plan with its demo units and
 * contacts, on the real PostgreSQL and Redis, the clock moved by hand: what the policy implies is
 * exactly what is sent.
 */
describe('a simulated 20/10–05/12/2026 run over the HCMC plan', () => {
  let t: TestDatabase;
  let s: TestApp;
  let orgId: string;
  let preview: Plan;
  let confirmed: { obligationId: string; at: Date };

  beforeAll(async () => {
    t = await createTestDatabase();
    const start = local('2026-10-20T00:00:00');
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: ZONE, now: start, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    // The head of Sở TTTT receives escalations; an extra day off announced by the government.
    const sotttt = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Thông tin và Truyền thông' } });
    await t.prisma.contact.create({
      data: { orgId, unitId: sotttt.id, name: 'Giám đốc Sở TTTT', role: 'head', channels: ['sandbox'] },
    });
    await setHoliday(t.prisma, orgId, { date: '2026-11-20', name: 'Nghỉ bù (thử nghiệm)', kind: 'holiday' }, 'test');

    preview = await planWindow(t.prisma, orgId, local('2026-10-20T00:00:00'), local('2026-12-06T00:00:00'));

    s = await startTestApp(t, { start });
    const queue = s.app.sendQueue();
    const yte = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Y tế' } });
    const yteContact = await t.prisma.contact.findFirstOrThrow({ where: { unitId: yte.id } });
    const duty47 = await t.prisma.duty.findFirstOrThrow({ where: { orgId, code: '4.7' } });
    const obligation47 = await t.prisma.obligation.findFirstOrThrow({
      where: { dutyId: duty47.id, unitId: yte.id, periodKey: '2026' },
    });

    for (
      let d = local('2026-10-20T00:00:00');
      d < local('2026-12-06T00:00:00');
      d = new Date(d.getTime() + 86_400_000)
    ) {
      const date = day(d);
      for (const time of ['07:00', '08:00', '10:00', '17:30']) {
        s.clock.set(local(`${date}T${time}:00`));
        if (date === '2026-11-05' && time === '10:00') {
          confirmed = { obligationId: obligation47.id, at: s.clock.now() };
          await confirmObligation(t.prisma, {
            obligationId: obligation47.id,
            contactId: yteContact.id,
            actor: 'test',
            via: 'sandbox',
            note: 'Đã gửi báo cáo',
            now: s.clock.now(),
          });
        }
        await planPass(s.deps, s.app.delivery, queue, orgId, 0);
        await drained(queue);
      }
    }
  }, 600_000);

  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  const sent = () =>
    t.prisma.reminder.findMany({
      where: { orgId, status: 'sent' },
      include: { contact: { include: { unit: true } }, obligation: { include: { duty: true, unit: true } } },
    });

  it('sends exactly what the preview listed, less what the confirmation cancelled', async () => {
    const key = (r: { obligationId: string; contactId: string; stage: string }) =>
      `${r.obligationId}|${r.contactId}|${r.stage}`;
    const expected = preview.reminders
      .filter((r) => r.channel !== null)
      .filter((r) => !(r.obligationId === confirmed.obligationId && r.at >= confirmed.at))
      .map(key)
      .sort();
    const actual = (await sent()).map(key).sort();
    expect(actual.length).toBeGreaterThan(100);
    expect(actual).toEqual(expected);
    // Each exactly once, in one day's message: one sandbox message per bundle, at most one a day
    // per person (issue 14: one message a day per person).
    const rows = await sent();
    expect(rows.every((r) => r.bundleId !== null)).toBe(true);
    const bundles = new Set(rows.map((r) => r.bundleId));
    const messages = await t.prisma.outboxMessage.findMany({ where: { bundleId: { not: null } } });
    expect(messages.length).toBe(bundles.size);
    expect(new Set(messages.map((m) => m.bundleId))).toEqual(bundles);
    const perDay = new Map<string, Set<string>>();
    for (const r of rows) {
      const k = `${r.contactId}|${r.channel}|${day(r.sentAt!)}`;
      perDay.set(k, (perDay.get(k) ?? new Set()).add(r.bundleId!));
    }
    for (const [k, ids] of perDay) expect(ids.size, k).toBe(1);
    expect(messages.length).toBeLessThan(actual.length);
  });

  it('sends nothing on weekends, holidays or outside 08:00–17:00', async () => {
    const calendar = workingCalendarForYears([2026], [{ date: '2026-11-20', kind: 'holiday', name: 'x' }]);
    const rows = await sent();
    const digests = await t.prisma.digest.findMany({ where: { orgId, status: 'sent' } });
    for (const at of [...rows.map((r) => r.sentAt!), ...digests.map((d) => d.sentAt!)]) {
      expect(calendar.isWorkingDay(day(at)), day(at)).toBe(true);
      expect(hm(at) >= '08:00' && hm(at) <= '17:00', `${day(at)} ${hm(at)}`).toBe(true);
    }
    expect(rows.filter((r) => day(r.sentAt!) === '2026-11-20')).toEqual([]);
  });

  it('reminds Sở TTTT of drill 4.2 (due Sunday 15/11) at each stage of the policy', async () => {
    const rows = (await sent()).filter((r) => r.obligation.duty.code === '4.2' && r.contact.role === 'contact');
    const byStage = Object.fromEntries(rows.map((r) => [r.stage.split('@')[0], day(r.sentAt!)]));
    expect(byStage).toEqual({
      // The ladder counts back from Friday 13/11, the last working day on or before Sunday 15/11.
      'lead-14': '2026-10-26',
      'lead-7': '2026-11-04',
      'lead-3': '2026-11-10',
      'lead-1': '2026-11-12',
      due: '2026-11-13',
      'overdue-1': '2026-11-16',
      'overdue-2': '2026-11-19',
      // 20/11 is a day off: three working days after 19/11 is 25/11.
      'overdue-3': '2026-11-25',
      'overdue-4': '2026-11-30',
      'overdue-5': '2026-12-03',
    });
    for (const r of rows) expect(r.stage.endsWith('@20261115')).toBe(true);
  });

  it('escalates 3 working days overdue to the unit head, then to the administrators', async () => {
    const rows = (await sent()).filter((r) => r.obligation.duty.code === '4.2' && r.kind === 'escalation');
    const esc1 = rows.filter((r) => r.stage.startsWith('escalation-1'));
    const esc2 = rows.filter((r) => r.stage.startsWith('escalation-2'));
    expect(esc1.map((r) => [r.contact.role, day(r.sentAt!)])).toEqual([['head', '2026-11-18']]);
    expect(esc2.map((r) => [r.contact.role, day(r.sentAt!)])).toEqual([['admin', '2026-11-24']]);
  });

  it('gives an administrator one escalation message a day, listing the late units and items', async () => {
    const rows = (await sent()).filter((r) => r.kind === 'escalation' && r.contact.role === 'admin');
    const byDay = new Map<string, typeof rows>();
    for (const r of rows) byDay.set(day(r.sentAt!), [...(byDay.get(day(r.sentAt!)) ?? []), r]);
    const busiest = [...byDay.values()].sort((a, b) => b.length - a.length)[0]!;
    expect(busiest.length).toBeGreaterThan(3);
    expect(new Set(busiest.map((r) => r.bundleId)).size).toBe(1);
    const m = await t.prisma.outboxMessage.findUniqueOrThrow({ where: { bundleId: busiest[0]!.bundleId! } });
    expect(m.body).toContain('ĐƠN VỊ CHẬM');
    // Each late unit named once, with how many items it has late and each of them under it (the
    // sandbox takes them all); the administrator's own unit's items are theirs to act on, the
    // others' listed for information, and the greeting counts them apart.
    const others = busiest.filter((r) => r.obligation.unitId !== r.contact.unitId);
    const own = new Set(busiest.filter((r) => !others.includes(r)).map((r) => r.obligationId)).size;
    const othersCount = new Set(others.map((r) => r.obligationId)).size;
    expect(own).toBeGreaterThan(0);
    expect(m.body).toContain(
      `có ${own} việc cần anh/chị, kèm ${othersCount} việc chậm của đơn vị khác để anh/chị theo dõi:`,
    );
    const units = new Map<string, Set<string>>();
    for (const r of others)
      units.set(r.obligation.unit.name, (units.get(r.obligation.unit.name) ?? new Set()).add(r.obligationId));
    expect(units.size).toBeGreaterThan(1);
    expect(m.body).toContain(
      `ĐƠN VỊ CHẬM (${units.size} đơn vị, ${new Set(others.map((r) => r.obligationId)).size} việc)`,
    );
    const lines = m.body.split('\n');
    for (const [unit, items] of units) {
      const header = `• ${unit} (${items.size} việc):`;
      expect(lines.filter((l) => l === header)).toHaveLength(1);
      const at = lines.indexOf(header);
      const codes = busiest
        .filter((r) => items.has(r.obligationId))
        .map((r) => obligationCode(r.obligation.duty.code, r.obligation.periodKey));
      for (const l of lines.slice(at + 1, at + 1 + items.size))
        expect(codes.some((c) => l.startsWith(`  – ${c} «`))).toBe(true);
    }
    expect(lines.filter((l) => l.startsWith('  – '))).toHaveLength(new Set(others.map((r) => r.obligationId)).size);
    expect(m.body).not.toContain('/tonghop');
  });

  it('tells cooperating units once per duty and period, for information', async () => {
    const rows = (await sent()).filter((r) => r.kind === 'cooperating' && r.obligation.duty.code === '4.2');
    expect(rows.length).toBeGreaterThan(0);
    const perContactStage = new Set(rows.map((r) => `${r.contactId}|${r.stage}`));
    expect(perContactStage.size).toBe(rows.length);
    for (const r of rows) expect(r.contact.unitId).not.toBe(r.obligation.unitId);
  });

  it('stops reminding the moment an obligation is confirmed', async () => {
    const rows = (await sent()).filter((r) => r.obligationId === confirmed.obligationId);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.sentAt!.getTime()).toBeLessThan(confirmed.at.getTime());
    const later = await t.prisma.reminder.count({
      where: { obligationId: confirmed.obligationId, status: { in: ['pending', 'claimed'] } },
    });
    expect(later).toBe(0);
  });

  it('sends administrators one digest per working day with news, and none on days without', async () => {
    const digests = await t.prisma.digest.findMany({ where: { orgId, status: 'sent' }, include: { outbox: true } });
    const days = digests.map((d) => d.day.toISOString().slice(0, 10)).sort();
    expect(new Set(days).size).toBe(days.length);
    // 06/11: Sở Y tế's confirmation of 05/11; 16/11: the yearly duties due 15/11; 01/12: the 30/11 report.
    for (const d of ['2026-11-06', '2026-11-16', '2026-12-01']) expect(days).toContain(d);
    expect(days).not.toContain('2026-10-21');
    const nov16 = digests.find((d) => d.day.toISOString().startsWith('2026-11-16'))!;
    // Grouped by duty: 4.2, then its late units with their period and working days overdue.
    expect(nov16.outbox?.body).toMatch(
      /\n4\.2 «[^»]+» — \d+ đơn vị trễ:\n(• .+\n)*• Sở Thông tin và Truyền thông, năm 2026: quá hạn 1 ngày làm việc \(hạn 15\/11\/2026\) — mới\n/,
    );
    const nov6 = digests.find((d) => d.day.toISOString().startsWith('2026-11-06'))!;
    expect(nov6.outbox?.body).toMatch(/Đã hoàn thành:\n- Sở Y tế: 4\.7/);
  });

  it('writes the reminder in Vietnamese with the due date and working days left', async () => {
    const r = (await sent()).find(
      (x) =>
        x.obligation.duty.code === '4.2' &&
        x.kind === 'lead' &&
        x.stage.startsWith('lead-3@') &&
        x.contact.role === 'contact',
    )!;
    // The day's message of Sở TTTT's contact lists it among the others, with its code and its command.
    const m = await t.prisma.outboxMessage.findUniqueOrThrow({ where: { bundleId: r.bundleId! } });
    expect(m.body).toContain('SẮP ĐẾN HẠN');
    expect(m.body).toMatch(/• 4\.2-2026 «[^»]+» — hạn Chủ nhật, 15\/11\/2026 \(còn 3 ngày làm việc\)/);
    expect(m.body).toContain('/xong 4.2-2026');
  });

  it('says on Friday 13/11 that the report is due on Sunday 15/11 and today is the last working day before it', async () => {
    const r = (await sent()).find(
      (x) => x.obligation.duty.code === '4.2' && x.kind === 'due' && x.contact.role === 'contact',
    )!;
    expect(day(r.sentAt!)).toBe('2026-11-13');
    const m = await t.prisma.outboxMessage.findUniqueOrThrow({ where: { bundleId: r.bundleId! } });
    expect(m.body).toMatch(
      /• 4\.2-2026 «[^»]+» — hạn Chủ nhật, 15\/11\/2026 \(hôm nay là ngày làm việc cuối cùng trước hạn\)/,
    );
    expect(m.body).not.toContain('hạn là hôm nay');
  });
});
