import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPass } from '#jobs/maintenance.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { materialize, planWindow, unitsWithoutHead } from '#root/services/planner.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/run-cli.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);

/**
 * Two units lead duty 4.2, due Friday 13/11/2026, and neither confirms it. The first unit has no
 * head; the second has one. Escalation 1 is 3 working days overdue: Wednesday 18/11.
 */
describe('the first escalation of a unit without a head', () => {
  let t: TestDatabase;
  let s: TestApp;
  let orgId: string;
  let headless: { id: string; name: string };
  let withHead: { id: string; name: string };
  let admin: { id: string };
  let supervisor: { id: string };
  let head: { id: string };

  beforeAll(async () => {
    t = await createTestDatabase();
    const start = local('2026-11-01T07:00:00');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'esc',
      units: 2,
      duties: [{ code: '4.2', due: '2026-11-13' }],
      admin: true,
      now: start,
    });
    orgId = mini.org.id;
    headless = mini.units[0]!;
    withHead = mini.units[1]!;
    admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    supervisor = await t.prisma.contact.create({
      data: { orgId, unitId: withHead.id, name: 'Giám sát', role: 'supervisor', channels: ['sandbox'] },
    });
    head = await t.prisma.contact.create({
      data: { orgId, unitId: withHead.id, name: 'Lãnh đạo 2', role: 'head', channels: ['sandbox'] },
    });
    // A head who left does not count.
    await t.prisma.contact.create({
      data: { orgId, unitId: headless.id, name: 'Lãnh đạo cũ', role: 'head', channels: ['sandbox'], active: false },
    });
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), start);
    s = await startTestApp(t, { start });
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  const escalation1 = () =>
    t.prisma.reminder.findMany({
      where: { orgId, stage: 'escalation-1@20261113' },
      include: { obligation: true, outbox: true },
    });

  it('plans it for the administrators and supervisors; the unit with a head escalates to its head', async () => {
    const plan = await planWindow(t.prisma, orgId, local('2026-11-18T00:00:00'), local('2026-11-19T00:00:00'));
    const esc = plan.reminders.filter((r) => r.stage === 'escalation-1@20261113');
    const to = (unitId: string) =>
      esc
        .filter((r) => r.unit === (unitId === headless.id ? headless.name : withHead.name))
        .map((r) => r.contactId)
        .sort();
    expect(to(headless.id)).toEqual([admin.id, supervisor.id].sort());
    expect(to(withHead.id)).toEqual([head.id]);
  });

  it('reaches each administrator and supervisor exactly once, however many passes plan it', async () => {
    const queue = s.app.sendQueue();
    for (const time of ['07:00', '08:00', '08:00', '10:00']) {
      s.clock.set(local(`2026-11-18T${time}:00`));
      await planPass(s.deps, s.app.delivery, queue, orgId, 0);
      await drained(queue);
    }
    // A second materialisation of the same plan writes nothing new.
    const plan = await planWindow(t.prisma, orgId, local('2026-11-18T00:00:00'), local('2026-11-19T00:00:00'));
    await materialize(t.prisma, orgId, plan, s.clock.now(), {
      from: local('2026-11-18T00:00:00'),
      to: local('2026-11-19T00:00:00'),
    });

    const rows = await escalation1();
    const ofHeadless = rows.filter((r) => r.obligation.unitId === headless.id);
    expect(ofHeadless.map((r) => r.contactId).sort()).toEqual([admin.id, supervisor.id].sort());
    for (const r of ofHeadless) {
      expect(r.status).toBe('sent');
      expect(r.kind).toBe('escalation');
    }
    const messages = await t.prisma.outboxMessage.findMany({
      where: { reminderId: { in: ofHeadless.map((r) => r.id) } },
    });
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m.body).toContain(`${headless.name} chưa xác nhận hoàn thành nhiệm vụ 4.2`);
    expect(rows.filter((r) => r.obligation.unitId === withHead.id).map((r) => [r.contactId, r.status])).toEqual([
      [head.id, 'sent'],
    ]);
  });

  it('lists the unit without a head in `dondoc flags`', async () => {
    expect(await unitsWithoutHead(t.prisma, orgId)).toEqual([{ id: headless.id, name: headless.name }]);
    const r = await runCli(['flags', '--org', 'esc'], { DATABASE_URL: t.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`? đơn vị chưa có lãnh đạo nhận chuyển cấp: ${headless.name}`);
    expect(r.stdout).not.toContain(`escalations: ${withHead.name}`);
  });
});
