import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '#root/errors/index.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { seedDemo } from '#root/services/demo.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** The test's instant: 09:00 on Monday 16/11/2026 in Hanoi (no process here reads the wall clock). */
const NOW = new Date('2026-11-16T02:00:00Z');

/** Confirmations made at the same moment share one statement; each still counts once, for its own unit only. */
describe('confirming at the same moment', () => {
  let t: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: NOW, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
  });
  afterAll(() => t?.close());

  it('records one confirmation when ten people of the unit press at once, and refuses another unit', async () => {
    const yte = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Y tế' } });
    const other = await t.prisma.contact.findFirstOrThrow({ where: { orgId, unit: { name: 'Sở Tài chính' } } });
    const people = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.prisma.contact.create({ data: { orgId, unitId: yte.id, name: `Cán bộ ${i}`, channels: ['sandbox'] } }),
      ),
    );
    const [a, b] = await t.prisma.obligation.findMany({
      where: { unitId: yte.id, status: 'open' },
      take: 2,
      include: { duty: true },
    });
    await t.prisma.reminder.create({
      data: {
        orgId,
        obligationId: a!.id,
        contactId: people[0]!.id,
        channel: 'sandbox',
        kind: 'lead',
        stage: 'lead-1@20991231',
        scheduledAt: new Date(NOW.getTime() + 86_400_000),
      },
    });
    const now = NOW;
    const results = await Promise.allSettled([
      ...people.map((p) =>
        confirmObligation(t.prisma, {
          obligationId: a!.id,
          contactId: p.id,
          actor: `contact:${p.id}`,
          via: 'chat',
          note: 'xong',
          now,
        }),
      ),
      confirmObligation(t.prisma, { obligationId: b!.id, contactId: other.id, actor: 'x', via: 'chat', now }),
      confirmObligation(t.prisma, { obligationId: b!.id, contactId: people[3]!.id, actor: 'y', via: 'chat', now }),
    ]);
    const outcomes = results.map((r) =>
      r.status === 'fulfilled' ? r.value.status : r.reason instanceof UserError ? 'refused' : 'error',
    );
    expect(outcomes.slice(0, 10).filter((o) => o === 'confirmed')).toHaveLength(1);
    expect(outcomes.slice(0, 10).filter((o) => o === 'already-done')).toHaveLength(9);
    expect(outcomes.slice(10)).toEqual(['refused', 'confirmed']);
    expect(await t.prisma.confirmation.count({ where: { obligationId: a!.id } })).toBe(1);
    expect(await t.prisma.confirmation.count({ where: { obligationId: b!.id } })).toBe(1);
    expect((await t.prisma.confirmation.findFirstOrThrow({ where: { obligationId: b!.id } })).contactId).toBe(
      people[3]!.id,
    );
    expect(await t.prisma.reminder.count({ where: { obligationId: a!.id, status: 'pending' } })).toBe(0);
    const audits = await t.prisma.auditEvent.findMany({ where: { orgId, action: 'obligation.confirm' } });
    expect(audits).toHaveLength(2);
    expect(audits.find((x) => x.entityId === a!.id)!.data).toEqual({
      via: 'chat',
      cancelledReminders: 1,
      note: 'xong',
    });
    const first = results[0]!;
    expect(first.status === 'fulfilled' && first.value.duty.code).toBe(a!.duty.code);
  });

  it('says so for an obligation that does not exist', async () => {
    await expect(
      confirmObligation(t.prisma, {
        obligationId: '00000000-0000-0000-0000-000000000000',
        contactId: null,
        actor: 'x',
        via: 'cli',
        now: NOW,
      }),
    ).rejects.toThrow(/Không tìm thấy nghĩa vụ/);
  });
});
