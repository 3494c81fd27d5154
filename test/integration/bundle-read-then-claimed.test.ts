import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePending } from '#root/services/bundles.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildTelegramReminders } from '../helpers/builders.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';

/**
 * Two sends of one bundle at once — its batch's job and a job of its own, two batches queued by two
 * dispatches, or two workers — where one reads the bundle as pending and, by the time it reads its
 * items, the other has claimed them. The late one must leave the bundle to the one that holds it:
 * not cancel it as "nothing left" (which left its items claimed under a cancelled bundle, never
 * recorded as sent nor reclaimed), nor as stale.
 *
 * The moment between the two reads is made to last: a transaction holds the reminders table, so that
 * the late send's read of the items waits; the other send's claim is then written in that same
 * transaction, and committed.
 */
describe('a send that read a bundle just before another send claimed it', () => {
  let t: TestDatabase;
  let s: TestApp;
  let other: pg.Client;

  beforeAll(async () => {
    t = await createTestDatabase();
    s = await startTestApp(t, { start: wallClockStart() });
    other = new pg.Client({ connectionString: t.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await s?.stop();
    await t?.close();
  });

  /** Sends (a backend of this test's database) waiting for a lock on the reminders table. */
  const waitingOnReminders = async () => {
    const r = await t.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE NOT l.granted AND c.relname = 'reminders'
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return r.rows[0]!.n;
  };

  /** The other send claims the bundle and its items, in the transaction holding the lock, and commits. */
  const claimAsTheOther = async (bundleId: string, itemIds: string[]) => {
    await other.query(
      `UPDATE bundles SET status = 'claimed', claimed_at = now(), claimed_by = 'the-other', attempts = attempts + 1
        WHERE id = $1::uuid`,
      [bundleId],
    );
    await other.query(
      `UPDATE reminders SET status = 'claimed', bundle_id = $1::uuid, claimed_at = now(), claimed_by = 'the-other'
        WHERE id = ANY($2::uuid[])`,
      [bundleId, itemIds],
    );
    await other.query('COMMIT');
  };

  /** The bundle and its items are still the other's claim, untouched by the late send. */
  const expectHeldByTheOther = async (bundleId: string, itemIds: string[]) => {
    const after = await t.prisma.bundle.findUniqueOrThrow({ where: { id: bundleId } });
    expect({ status: after.status, claimedBy: after.claimedBy }).toEqual({ status: 'claimed', claimedBy: 'the-other' });
    const items = await t.prisma.reminder.findMany({ where: { id: { in: itemIds } } });
    expect(items.map((i) => [i.status, i.bundleId])).toEqual(itemIds.map(() => ['claimed', bundleId]));
  };

  it.each([
    { case: 'with its items gone', code: 'race-empty', stale: false },
    { case: 'as stale (its contact deactivated)', code: 'race-stale', stale: true },
  ])(
    'leaves the bundle claimed by the other, not cancelled $case',
    async ({ code, stale }) => {
      const now = s.clock.now();
      const { orgId, reminders } = await buildTelegramReminders(t.prisma, {
        code,
        chats: 1,
        perChat: 2,
        firstChat: stale ? 510_000_000 : 500_000_000,
        now,
      });
      await bundlePending(t.prisma, orgId, now);
      const bundle = await t.prisma.bundle.findFirstOrThrow({ where: { orgId } });
      if (stale) await t.prisma.contact.update({ where: { id: bundle.contactId }, data: { active: false } });
      const itemIds = reminders.map((r) => r.id);

      await other.query('BEGIN');
      await other.query('LOCK TABLE reminders IN ACCESS EXCLUSIVE MODE');
      // The late send reads the bundle (pending), then waits to read its items.
      const late = s.deps.delivery.deliverBundle(bundle.id);
      await waitFor(async () => (await waitingOnReminders()) > 0, 60_000, 'the late send reading the items');
      // Meanwhile the other send claims the bundle and its items.
      await claimAsTheOther(bundle.id, itemIds);

      expect(await late).toMatchObject({ outcome: 'skipped' });
      await expectHeldByTheOther(bundle.id, itemIds);
    },
    120_000,
  );

  it('fails nothing when it has no channel for the bundle and the other claimed it meanwhile', async () => {
    // This app has no Telegram channel (sandbox only): its send fails a Telegram bundle as
    // undeliverable, as a worker configured without that channel does. Its read of the bundle and
    // items is let through; its failing of them (an update) waits until the other has claimed them.
    const now = s.clock.now();
    const { orgId, reminders } = await buildTelegramReminders(t.prisma, {
      code: 'race-no-channel',
      chats: 1,
      perChat: 2,
      firstChat: 520_000_000,
      now,
    });
    await bundlePending(t.prisma, orgId, now);
    const bundle = await t.prisma.bundle.findFirstOrThrow({ where: { orgId } });
    const itemIds = reminders.map((r) => r.id);

    await other.query('BEGIN');
    // Reads go on; updates of reminders wait.
    await other.query('LOCK TABLE reminders IN EXCLUSIVE MODE');
    const late = s.deps.delivery.deliverBundle(bundle.id);
    await waitFor(async () => (await waitingOnReminders()) > 0, 60_000, 'the late send failing the items');
    await claimAsTheOther(bundle.id, itemIds);

    expect(await late).toMatchObject({ outcome: 'skipped' });
    await expectHeldByTheOther(bundle.id, itemIds);
  }, 120_000);
});
