import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { loadTemplates } from '#root/messages/templates.js';
import { createMetrics } from '#root/metrics.js';
import { bundlePending } from '#root/services/bundles.js';
import { createDelivery } from '#root/services/delivery.js';
import { nudge } from '#root/services/nudge.js';
import { answerOutbox } from '#root/services/outbox.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** A manual nudge: one reminder per open obligation and contact; two at the same instant are one (found by fuzzing). */
describe('a manual nudge', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('queues one reminder per contact, and twice at the same instant still one, without an error', async () => {
    // A fixed instant before the duty's due date (30/06/2027), whatever the day the test runs.
    const now = new Date('2027-03-01T02:00:00Z');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'nudge',
      units: 2,
      duties: [{ code: 'A', due: '2027-06-30' }],
      now,
    });
    await reconcileObligations(t.prisma, mini.org.id, { from: '2027-01-01', to: '2027-12-31' }, now);
    const unitId = mini.contacts[0]!.unitId;
    const first = await nudge(t.prisma, mini.org.id, { unitId, dutyCode: 'A', actor: 'test', now });
    expect(first.reminders).toBe(1);
    const again = await Promise.all([
      nudge(t.prisma, mini.org.id, { unitId, dutyCode: 'A', actor: 'test', now }),
      nudge(t.prisma, mini.org.id, { unitId, dutyCode: 'A', actor: 'test', now }),
    ]);
    expect(again.map((r) => r.reminders)).toEqual([0, 0]);
    expect(await t.prisma.reminder.count({ where: { orgId: mini.org.id } })).toBe(1);
    const later = await nudge(t.prisma, mini.org.id, {
      unitId,
      dutyCode: 'A',
      actor: 'test',
      now: new Date(now.getTime() + 1),
    });
    expect(later.reminders).toBe(1);
  });

  it('sends a unit one message per contact with what is overdue and due soon, not what is months ahead', async () => {
    // A fixed instant: Monday 01/03/2027, 09:00 in Hanoi.
    const now = new Date('2027-03-01T02:00:00Z');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'nudge-unit',
      units: 1,
      duties: [
        { code: 'LATE', due: '2027-02-22' },
        { code: 'SOON', due: '2027-03-10' },
        { code: 'FAR', due: '2027-06-30' },
      ],
      now,
    });
    const orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, { from: '2027-01-01', to: '2027-12-31' }, now);
    const unitId = mini.units[0]!.id;
    const r = await nudge(t.prisma, orgId, { unitId, actor: 'test', now });
    expect(r.obligations).toBe(2);
    await bundlePending(t.prisma, orgId, now);
    const bundles = await t.prisma.bundle.findMany({ where: { orgId } });
    expect(bundles).toHaveLength(1);
    const delivery = createDelivery({
      db: t.prisma,
      config: { SECRET_KEY: 'k'.repeat(32), PUBLIC_URL: 'http://dondoc.test', PORT: 3000 },
      templates: loadTemplates(),
      channels: { sandbox: createSandboxChannel() },
      clock: { now: () => now },
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      workerId: 'test',
    });
    expect((await delivery.deliverBundle(bundles[0]!.id)).outcome).toBe('sent');
    const messages = await t.prisma.outboxMessage.findMany({ where: { orgId } });
    expect(messages).toHaveLength(1);
    const body = messages[0]!.body;
    // Most urgent first, each with its code and the words to type.
    expect(body).toMatch(/QUÁ HẠN\n• LATE «[^»]*» — hạn thứ Hai, 22\/02\/2027 \(quá hạn 5 ngày làm việc\)/);
    expect(body).toMatch(/SẮP ĐẾN HẠN\n• SOON «[^»]*» — hạn thứ Tư, 10\/03\/2027 \(còn 7 ngày làm việc\)/);
    expect(body.indexOf('LATE')).toBeLessThan(body.indexOf('SOON'));
    expect(body).toContain('/xong LATE');
    expect(body).not.toContain('FAR');
    // Answered as the contact: "xong" alone is ambiguous here; "xong <code>" confirms that item.
    const id = messages[0]!.id.toString();
    await expect(answerOutbox(t.prisma, orgId, id, 'xong', null, now)).rejects.toThrow(
      /Thư này có 2 việc: trả lời «xong <mã>», mã là một trong: LATE, SOON/,
    );
    expect((await answerOutbox(t.prisma, orgId, id, 'xong', 'SOON đã gửi báo cáo', now)).status).toBe('confirmed');
    const soon = await t.prisma.obligation.findFirstOrThrow({ where: { orgId, duty: { code: 'SOON' } } });
    expect(soon.status).toBe('done');
    expect((await t.prisma.confirmation.findFirstOrThrow({ where: { obligationId: soon.id } })).note).toBe(
      'đã gửi báo cáo',
    );
    // Both items went out in it, once.
    const items = await t.prisma.reminder.findMany({ where: { orgId } });
    expect(items.map((i) => [i.status, i.bundleId])).toEqual([
      ['sent', bundles[0]!.id],
      ['sent', bundles[0]!.id],
    ]);
  });
});
