import type { Job } from 'bullmq';
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaintenanceProcessor, planPass } from '#jobs/maintenance.js';
import { JOB_RECONCILE, type OrgJobData } from '#jobs/queues.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);
const day = (d: Date) => formatInTimeZone(d, ZONE, 'yyyy-MM-dd');

/**
 * Duties due on the last day of a year and the first day of the next: a one-off 31/12/2026, a
 * one-off 01/01/2027, a yearly 31/12 and an ongoing duty's quarterly check-in (Q4 2026 due on
 * Thursday 31/12/2026, its last working day). Two units lead each.
 */
async function buildBoundaryOrg(db: TestDatabase['prisma'], code: string, now: Date) {
  const mini = await buildMiniOrg(db, {
    code,
    units: 2,
    duties: [
      { code: 'A', due: '2026-12-31' },
      { code: 'B', due: '2027-01-01' },
    ],
    now,
  });
  const orgId = mini.org.id;
  for (const [position, s] of [
    { code: 'C', kind: 'yearly' as const, due: '12-31' },
    { code: 'D', kind: 'ongoing' as const, checkInMonths: 3 },
  ].entries()) {
    const duty = await db.duty.create({
      data: {
        orgId,
        planId: mini.plan.id,
        code: s.code,
        title: `Nhiệm vụ ${s.code}`,
        timeframe: s.kind,
        position: 10 + position,
      },
    });
    await db.schedule.create({
      data: {
        orgId,
        dutyId: duty.id,
        kind: s.kind,
        raw: s.kind,
        ...(s.due ? { due: s.due } : {}),
        ...(s.checkInMonths ? { checkInMonths: s.checkInMonths } : {}),
      },
    });
    await db.assignment.createMany({
      data: mini.units.map((u, i) => ({
        orgId,
        dutyId: duty.id,
        role: 'lead' as const,
        unitId: u.id,
        target: `u:${u.id}`,
        rawName: u.name,
        position: i,
      })),
    });
  }
  return mini;
}

/** The current obligations of an organisation as "duty period due-day", sorted. */
async function currentKeys(db: TestDatabase['prisma'], orgId: string) {
  const rows = await db.obligation.findMany({ where: { orgId, current: true }, include: { duty: true } });
  return rows.map((r) => `${r.duty.code} ${r.periodKey} ${day(r.dueAt)}`).sort();
}

describe('reconciling obligations across a year boundary', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('never retires another year’s obligations, and counts are the same in any order', async () => {
    const now = local('2026-12-11T08:00:00');
    const orders = [
      [2026, 2027, 2026, 2027],
      [2027, 2026, 2027, 2026],
    ];
    const finals: string[][] = [];
    for (const [i, order] of orders.entries()) {
      const mini = await buildBoundaryOrg(t.prisma, `yb${i}`, now);
      const seen = new Set<number>();
      for (const year of order) {
        const r = await reconcileObligations(t.prisma, mini.org.id, yearWindow(year), now);
        expect(r.retired, `${order.join('→')}: reconciling ${year}`).toBe(0);
        seen.add(year);
        // Every obligation of every year reconciled so far is still current.
        const keys = await currentKeys(t.prisma, mini.org.id);
        const years = [...new Set(keys.map((k) => Number(k.split(' ')[2]!.slice(0, 4))))].sort();
        expect(years).toEqual([...seen].sort());
      }
      finals.push(await currentKeys(t.prisma, mini.org.id));
    }
    // Both units, for: A once 31/12/2026, C 2026 and D 2026-Q4 on 31/12; B once 01/01/2027.
    const dec31 = finals[0]!.filter((k) => k.endsWith(' 2026-12-31'));
    expect(dec31).toEqual([
      'A once 2026-12-31',
      'A once 2026-12-31',
      'C 2026 2026-12-31',
      'C 2026 2026-12-31',
      'D 2026-Q4 2026-12-31',
      'D 2026-Q4 2026-12-31',
    ]);
    expect(finals[0]!.filter((k) => k.endsWith(' 2027-01-01'))).toEqual(['B once 2027-01-01', 'B once 2027-01-01']);
    expect(finals[1]).toEqual(finals[0]);
  });

  it('the hourly job reconciles the organisation’s year, not UTC’s: 01:00 on 1/1/2027 in Hanoi reconciles 2027 and 2028', async () => {
    const mini = await buildBoundaryOrg(t.prisma, 'ybzone', local('2026-12-11T08:00:00'));
    const at = local('2027-01-01T01:00:00'); // 2026-12-31T18:00Z
    const deps = {
      db: t.prisma,
      clock: { now: () => at },
      logger: (await import('#root/logger.js')).createLogger({ level: 'silent' }),
    };
    const processor = createMaintenanceProcessor(deps, { reclaimStale: async () => 0 }, null as never, 0);
    const results = await processor({ id: 'r', name: JOB_RECONCILE, data: { orgId: mini.org.id } } as Job<OrgJobData>);
    expect(results).toHaveLength(2);
    const periods = (await currentKeys(t.prisma, mini.org.id))
      .filter((k) => k.startsWith('C '))
      .map((k) => k.split(' ')[1]);
    expect(periods).toEqual(['2027', '2027', '2028', '2028']);
  });

  describe('with the hourly job and the planner running from 11/12/2026 08:00', () => {
    let s: TestApp;
    afterAll(async () => s?.stop());

    it('keeps the 31/12 obligations current and sends their reminders', async () => {
      const start = local('2026-12-11T08:00:00');
      const mini = await buildBoundaryOrg(t.prisma, 'ybrun', start);
      const orgId = mini.org.id;
      s = await startTestApp(t, { start });
      const queue = s.app.sendQueue();
      const maintenance = createMaintenanceProcessor(s.deps, s.app.delivery, queue, 0);
      const reconcileJob = { id: 'reconcile-test', name: JOB_RECONCILE, data: { orgId } } as Job<OrgJobData>;
      for (let d = start; day(d) <= '2027-01-01'; d = new Date(d.getTime() + 86_400_000)) {
        for (const time of ['07:00', '08:00', '10:00', '17:30']) {
          s.clock.set(local(`${day(d)}T${time}:00`));
          if (s.clock.now() < start) continue;
          await maintenance(reconcileJob);
          await planPass(s.deps, s.app.delivery, queue, orgId, 0);
          await drained(queue);
        }
      }
      const dec31 = await t.prisma.obligation.findMany({
        where: { orgId, dueAt: local('2026-12-31T23:59:59') },
        include: { reminders: true },
      });
      expect(dec31).toHaveLength(6);
      for (const o of dec31) {
        expect(o.current).toBe(true);
        const byStatus = (st: string) => o.reminders.filter((r) => r.status === st).length;
        expect(byStatus('cancelled')).toBe(0);
        // The lead reminders from 11/12 on and the due-day reminder on 31/12, each sent.
        expect(byStatus('sent')).toBeGreaterThanOrEqual(2);
        expect(o.reminders.some((r) => r.status === 'sent' && r.stage.startsWith('due@'))).toBe(true);
      }
      const jan1 = await t.prisma.obligation.findMany({ where: { orgId, dueAt: local('2027-01-01T23:59:59') } });
      expect(jan1.map((o) => o.current)).toEqual([true, true]);
      expect(await t.prisma.reminder.count({ where: { orgId, status: 'cancelled' } })).toBe(0);
    }, 300_000);
  });
});
