import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nudge } from '#root/services/nudge.js';
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
});
