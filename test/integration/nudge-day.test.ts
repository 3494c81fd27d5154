import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { planPass } from '#jobs/maintenance.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { nudge } from '#root/services/nudge.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/run-cli.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);

/**
 * Two units lead duty 4.2, due Friday 13/11/2026 (overdue on Monday 16/11), and duty 1.1, due
 * Thursday 19/11 (its 3-working-day reminder is on 16/11), and 7.7, due 31/12 (far ahead). On 16/11
 * each contact's day's message is planned for 08:00. The first unit is nudged at 07:30, before it;
 * the second at 10:00, after its day's message went.
 */
describe('a nudge and the day’s message', () => {
  let t: TestDatabase;
  let s: TestApp;
  let orgId: string;
  let units: { id: string; name: string }[];
  let contacts: { id: string }[];
  let early: Awaited<ReturnType<typeof nudge>>;
  let late: Awaited<ReturnType<typeof nudge>>;

  beforeAll(async () => {
    t = await createTestDatabase();
    const start = local('2026-11-01T07:00:00');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'nd',
      units: 2,
      duties: [
        { code: '4.2', due: '2026-11-13' },
        { code: '1.1', due: '2026-11-19' },
        { code: '7.7', due: '2026-12-31' },
      ],
      now: start,
    });
    orgId = mini.org.id;
    units = mini.units;
    contacts = mini.contacts;
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), start);
    s = await startTestApp(t, { start });
    const queue = s.app.sendQueue();
    const pass = async (at: string) => {
      s.clock.set(local(at));
      await planPass(s.deps, s.app.delivery, queue, orgId, 0);
      await drained(queue);
    };
    const nudgeNow = async (unitId: string) => {
      const r = await nudge(t.prisma, orgId, { unitId, actor: 'admin', now: s.clock.now() });
      await dispatchDue(t.prisma, queue, orgId, s.clock.now(), 0);
      await drained(queue);
      return r;
    };
    await pass('2026-11-16T07:30:00');
    early = await nudgeNow(units[0]!.id);
    await pass('2026-11-16T08:00:00');
    await pass('2026-11-16T10:00:00');
    late = await nudgeNow(units[1]!.id);
  }, 180_000);

  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  const sentOn16 = (contactId: string) =>
    t.prisma.bundle.findMany({
      where: { contactId, day: new Date('2026-11-16T00:00:00Z'), status: 'sent' },
      include: { items: { include: { obligation: { include: { duty: true } } } }, outbox: true },
      orderBy: { sentAt: 'asc' },
    });

  it('sends the nudge as one message with what is overdue and due soon only', async () => {
    expect(early).toMatchObject({ obligations: 2, reminders: 2, contacts: 1, alreadyReminded: 0 });
    const [first] = await sentOn16(contacts[0]!.id);
    expect(first!.slot).toMatch(/^nudge-/);
    expect(first!.items.map((i) => i.obligation.duty.code).sort()).toEqual(['1.1', '4.2']);
  });

  it('does not send the nudged items again in the day’s message later that day', async () => {
    const bundles = await sentOn16(contacts[0]!.id);
    expect(bundles).toHaveLength(1);
    const day = await t.prisma.reminder.findMany({
      where: {
        contactId: contacts[0]!.id,
        NOT: { stage: { startsWith: 'nudge-' } },
        scheduledAt: { gte: local('2026-11-16T00:00:00'), lt: local('2026-11-17T00:00:00') },
      },
    });
    expect(day.length).toBeGreaterThan(0);
    for (const r of day) expect([r.status, r.lastError]).toEqual(['cancelled', 'sent with a nudge']);
    // Each obligation reached the contact once that day.
    const items = bundles.flatMap((b) => b.items.map((i) => i.obligationId));
    expect(new Set(items).size).toBe(items.length);
  });

  it('still nudges a contact whose day’s message went, and says how many had been reminded today', async () => {
    expect(late).toMatchObject({ obligations: 2, contacts: 1, alreadyReminded: 1 });
    const bundles = await sentOn16(contacts[1]!.id);
    expect(bundles.map((b) => (b.slot === 'day' ? 'day' : 'nudge'))).toEqual(['day', 'nudge']);
    const audit = await t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId, action: 'obligation.nudge', entityId: units[1]!.id },
    });
    expect(audit.data).toMatchObject({ alreadyReminded: 1 });
  });

  it('keeps the preview’s contract: one message per contact, channel and day', async () => {
    const r = await runCli(['preview', '--org', 'nd', '--from', '2026-11-16', '--to', '2026-11-20', '--json'], {
      DATABASE_URL: t.url,
    });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      at: string;
      contact: string;
      channel: string;
      kind: string;
      message: string;
    }[];
    expect(rows.length).toBeGreaterThan(0);
    const perDay = new Map<string, Set<string>>();
    for (const row of rows.filter((x) => x.kind !== 'digest')) {
      const key = `${row.contact}|${row.channel}|${new Date(row.at).toLocaleDateString('en-CA', { timeZone: ZONE })}`;
      perDay.set(key, (perDay.get(key) ?? new Set()).add(row.message));
    }
    for (const [key, messages] of perDay) expect(messages.size, key).toBe(1);
  });
});
