import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePending } from '#root/services/bundles.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The dispatch's first step (services/bundles.ts): pending reminders gathered into the day's
 * messages, one per contact, channel and local day; a reminder whose day's message has already left
 * is cancelled, not put in a second message.
 */
describe('gathering pending reminders into the day’s messages', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('makes one message per contact and day, moves it to an earlier item, and cancels items of a message gone', async () => {
    // Fixed instants: Monday 01/03/2027, 09:00 in Hanoi (the organisation's zone), before the duties' due dates.
    const nine = new Date('2027-03-01T02:00:00Z');
    const at = (minutes: number) => new Date(nine.getTime() + minutes * 60_000);
    const mini = await buildMiniOrg(t.prisma, {
      code: 'bundle-pending',
      units: 2,
      duties: ['A', 'B', 'C', 'D'].map((code) => ({ code, due: '2027-06-30' })),
      now: nine,
    });
    const orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, { from: '2027-01-01', to: '2027-12-31' }, nine);
    const [ann, bob] = mini.contacts;
    const obligation = async (code: string, unitId: string) =>
      (await t.prisma.obligation.findFirstOrThrow({ where: { orgId, unitId, duty: { code } } })).id;
    const remind = async (code: string, contact: { id: string; unitId: string }, scheduledAt: Date) =>
      t.prisma.reminder.create({
        data: {
          orgId,
          obligationId: await obligation(code, contact.unitId),
          contactId: contact.id,
          channel: 'sandbox',
          kind: 'lead',
          stage: 'lead-14@20270630',
          scheduledAt,
        },
      });
    const annA = await remind('A', ann!, at(0));
    const annB = await remind('B', ann!, at(1));
    const bobA = await remind('A', bob!, at(2));
    // Beyond the horizon (at(5)): left alone.
    const annLater = await remind('D', ann!, at(30));

    expect(await bundlePending(t.prisma, orgId, at(5))).toBe(2);
    const bundles = async () =>
      new Map(
        (await t.prisma.bundle.findMany({ where: { orgId } })).map((b) => [
          b.contactId,
          { id: b.id, status: b.status, at: b.scheduledAt.toISOString(), day: b.day.toISOString().slice(0, 10) },
        ]),
      );
    const made = await bundles();
    expect(made.get(ann!.id)).toMatchObject({ status: 'pending', at: at(0).toISOString(), day: '2027-03-01' });
    expect(made.get(bob!.id)).toMatchObject({ status: 'pending', at: at(2).toISOString(), day: '2027-03-01' });
    // Nothing new: nothing made, nothing moved.
    expect(await bundlePending(t.prisma, orgId, at(5))).toBe(0);
    expect(await bundles()).toEqual(made);

    // Ann's message leaves; then an item of hers is planned for the same day, and one of Bob's earlier than his message.
    await t.prisma.bundle.update({ where: { id: made.get(ann!.id)!.id }, data: { status: 'sent' } });
    await t.prisma.reminder.updateMany({ where: { id: { in: [annA.id, annB.id] } }, data: { status: 'sent' } });
    const annC = await remind('C', ann!, at(3));
    const bobB = await remind('B', bob!, at(1));

    expect(await bundlePending(t.prisma, orgId, at(5))).toBe(1);
    const after = await bundles();
    expect(after.size).toBe(2);
    expect(after.get(ann!.id)).toEqual({ ...made.get(ann!.id), status: 'sent' });
    expect(after.get(bob!.id)).toEqual({ ...made.get(bob!.id), at: at(1).toISOString() });
    const status = async (id: string) => t.prisma.reminder.findUniqueOrThrow({ where: { id } });
    expect(await status(annC.id)).toMatchObject({ status: 'cancelled', lastError: "the day's message had gone" });
    for (const r of [bobA, bobB, annLater]) expect((await status(r.id)).status).toBe('pending');
  });
});
