import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPass } from '#jobs/maintenance.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { seedDemo } from '#root/services/demo.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { cliTimeout, runCli } from '../helpers/run-cli.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);

interface Row {
  at: string;
  contact: string;
  channel: string;
  kind: string;
  unit: string | null;
  obligation: string | null;
  message: string;
}

/**
 * The demo as `npm start` seeds it, seeded on 05/01/2026 (so that the year's periods are tracked):
 * on 08/10/2026 the administrator's escalations of the periods due 30/09 come due (118 of them),
 * on 23/11 those due 13/11 (59). Issue 14: one escalation message a day, its late units grouped,
 * not one message per item.
 */
describe('the demo administrator’s day with many late units', () => {
  let t: TestDatabase;
  let s: TestApp;
  let orgId: string;
  let admin: { id: string; name: string; unitId: string };
  let rows: Row[];
  const day = (r: Row) => new Date(r.at).toLocaleDateString('en-CA', { timeZone: ZONE });

  beforeAll(
    async () => {
      t = await createTestDatabase();
      await seedDemo(t.prisma, {
        orgCode: 'hcm',
        timeZone: ZONE,
        now: local('2026-01-05T08:00:00'),
        actor: 'system:demo',
      });
      const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } });
      orgId = org.id;
      admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
      const r = await runCli(['preview', '--org', 'hcm', '--from', '2026-10-08', '--to', '2026-11-23', '--json'], {
        DATABASE_URL: t.url,
      });
      expect(r.code, r.stderr).toBe(0);
      rows = JSON.parse(r.stdout) as Row[];
      s = await startTestApp(t, { start: local('2026-10-08T07:00:00') });
      const queue = s.app.sendQueue();
      for (const at of ['2026-10-08T08:00:00', '2026-11-23T08:00:00']) {
        s.clock.set(local(at));
        await planPass(s.deps, s.app.delivery, queue, orgId, 0);
        await drained(queue, 300_000);
      }
    },
    cliTimeout(1) + 600_000,
  );

  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  it('keeps the preview’s contract over the period: one message per contact, channel and day', () => {
    expect(rows.length).toBeGreaterThan(0);
    const perDay = new Map<string, Set<string>>();
    for (const row of rows.filter((x) => x.kind !== 'digest')) {
      const key = `${row.contact}|${row.channel}|${day(row)}`;
      perDay.set(key, (perDay.get(key) ?? new Set()).add(row.message));
    }
    for (const [key, messages] of perDay) expect(messages.size, key).toBe(1);
  });

  for (const [d, escalations] of [
    ['2026-10-08', 118],
    ['2026-11-23', 59],
  ] as const) {
    it(`plans one escalation message and one digest for the administrator on ${d}`, () => {
      const mine = rows.filter((r) => r.contact === admin.name && day(r) === d);
      const items = mine.filter((r) => r.kind !== 'digest');
      expect(items.filter((r) => r.kind === 'escalation')).toHaveLength(escalations);
      expect(new Set(items.map((r) => r.message)).size).toBe(1);
      expect(mine.filter((r) => r.kind === 'digest')).toHaveLength(1);
    });

    it(`sends the administrator one message on ${d} listing every late unit once, with its items`, async () => {
      const bundles = await t.prisma.bundle.findMany({
        where: { contactId: admin.id, day: new Date(`${d}T00:00:00Z`), status: 'sent' },
        include: { outbox: true, items: { include: { obligation: { include: { duty: true } } } } },
      });
      expect(bundles).toHaveLength(1);
      const [bundle] = bundles;
      const body = bundle!.outbox!.body;
      const items = bundle!.items;
      const own = items.filter((i) => i.obligation.unitId === admin.unitId);
      const others = items.filter((i) => i.obligation.unitId !== admin.unitId);
      const units = await t.prisma.unit.findMany({
        where: { id: { in: [...new Set(others.map((i) => i.obligation.unitId))] } },
      });
      const heading = /ĐƠN VỊ CHẬM \((\d+) đơn vị, (\d+) việc\)/.exec(body);
      expect(heading?.slice(1).map(Number), body).toEqual([units.length, others.length]);
      const lines = body.split('\n');
      for (const u of units) {
        const header = lines.filter((l) => l.startsWith(`• ${u.name} (`));
        expect(header, u.name).toHaveLength(1);
        const count = others.filter((i) => i.obligation.unitId === u.id).length;
        expect(header[0]).toBe(`• ${u.name} (${count} việc):`);
        // Its items follow its header, each with its code.
        const at = lines.indexOf(header[0]!);
        const listed = lines.slice(at + 1, at + 1 + count);
        for (const l of listed) expect(l).toMatch(/^ {2}– \S+ «.+» — quá hạn \d+ ngày làm việc$/);
      }
      expect(lines.filter((l) => l.startsWith('  – '))).toHaveLength(others.length);
      // The items of the administrator's own unit are theirs to confirm: with what to type.
      expect(own.length).toBeGreaterThan(0);
      for (const i of own)
        expect(body).toContain(`Xong: /xong ${obligationCode(i.obligation.duty.code, i.obligation.periodKey)} ·`);
      expect(body).not.toContain('/tonghop');
    });

    it(`sends the administrator nothing else on ${d} but the digest, when it has news`, async () => {
      const digests = await t.prisma.digest.findMany({
        where: { contactId: admin.id, day: new Date(`${d}T00:00:00Z`) },
        include: { outbox: true },
      });
      expect(digests).toHaveLength(1);
      const messages = await t.prisma.outboxMessage.count({
        where: {
          contactId: admin.id,
          OR: [{ bundle: { day: new Date(`${d}T00:00:00Z`) } }, { digestId: digests[0]!.id }],
        },
      });
      expect(messages).toBe(digests[0]!.status === 'sent' ? 2 : 1);
    });
  }
});
