import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPass } from '#jobs/maintenance.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);

/**
 * Three units lead duty 1.1, due Friday 06/11/2026, and duty 4.2, due Friday 13/11/2026; nobody
 * confirms. The third unit was granted an extension of 4.2 to 30/11. On Monday 16/11 the
 * administrator and the supervisor each get one digest: what is late, grouped by duty, the most
 * overdue first, with the period and the working days overdue — and not the extended obligation.
 */
describe('the administrators’ and supervisors’ digest', () => {
  let t: TestDatabase;
  let s: TestApp;
  let orgId: string;
  let admin: { id: string };
  let supervisor: { id: string };

  beforeAll(async () => {
    t = await createTestDatabase();
    const start = local('2026-11-01T07:00:00');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'dg',
      units: 3,
      duties: [
        { code: '1.1', due: '2026-11-06' },
        { code: '4.2', due: '2026-11-13' },
      ],
      admin: true,
      now: start,
    });
    orgId = mini.org.id;
    admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    supervisor = await t.prisma.contact.create({
      data: { orgId, unitId: mini.units[1]!.id, name: 'Giám sát', role: 'supervisor', channels: ['sandbox'] },
    });
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), start);
    const extended = await t.prisma.obligation.findFirstOrThrow({
      where: { orgId, unitId: mini.units[2]!.id, duty: { code: '4.2' } },
    });
    await t.prisma.obligation.update({
      where: { id: extended.id },
      data: { extendedTo: new Date(extended.dueAt.getTime() + 17 * 86_400_000) },
    });
    s = await startTestApp(t, { start });
    s.clock.set(local('2026-11-16T08:00:00'));
    const queue = s.app.sendQueue();
    await planPass(s.deps, s.app.delivery, queue, orgId, 0);
    await drained(queue);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  const digestOf = async (contactId: string) => {
    const rows = await t.prisma.digest.findMany({ where: { orgId, contactId }, include: { outbox: true } });
    expect(rows.map((r) => [r.day.toISOString().slice(0, 10), r.status])).toEqual([['2026-11-16', 'sent']]);
    return rows[0]!.outbox!.body;
  };

  it('sends one each to the administrator and the supervisor', async () => {
    expect(await digestOf(admin.id)).toBe(await digestOf(supervisor.id).then((b) => b.replace('Giám sát', 'Quản trị')));
  });

  it('groups what is late by duty, the most overdue first, each unit with its period and working days overdue', async () => {
    const body = await digestOf(admin.id);
    // 1.1: three units, 6 working days overdue (9, 10, 11, 12, 13 and 16/11); 4.2: two, 1 day, new.
    expect(body).toContain('5 việc đang trễ hạn (2 việc mới trễ)');
    expect(body).toContain('Đang trễ hạn: 5 việc của 2 nhiệm vụ, trễ lâu nhất trước.');
    const first = body.indexOf('1.1 «Nhiệm vụ 1.1» — 3 đơn vị trễ:');
    const second = body.indexOf('4.2 «Nhiệm vụ 4.2» — 2 đơn vị trễ:');
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(body).toContain('• Đơn vị thử 1, một lần: quá hạn 6 ngày làm việc (hạn 06/11/2026)\n');
    expect(body).toContain('• Đơn vị thử 2, một lần: quá hạn 1 ngày làm việc (hạn 13/11/2026) — mới\n');
  });

  it('leaves out an obligation whose extension has not run out', async () => {
    const body = await digestOf(admin.id);
    const section = body.slice(body.indexOf('4.2 «Nhiệm vụ 4.2»'));
    expect(section).not.toContain('Đơn vị thử 3');
    expect(body.slice(body.indexOf('1.1 «'), body.indexOf('4.2 «'))).toContain('Đơn vị thử 3');
  });
});
