import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { systemClock } from '#root/deps.js';
import { createLogger } from '#root/logger.js';
import { loadTemplates } from '#root/messages/templates.js';
import { createMetrics } from '#root/metrics.js';
import { bundlePending } from '#root/services/bundles.js';
import { createDelivery } from '#root/services/delivery.js';
import { loadBundles, type LoadedBundle } from '#root/services/delivery/load.js';
import { buildTelegramReminders } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';

/**
 * A worker's first bundles of a burst find its organisation caches cold: the organisation's
 * policy, calendar and edited templates are asked for as soon as the batch's bundles are read,
 * while their items are (src/services/delivery/send-bundle.ts, load.ts), not one after another once
 * the items are in: three round trips fewer ahead of the first message. Seen from PostgreSQL: with
 * the reminders (the items' table) and the organisation tables locked by another transaction, the
 * worker's reads of all four wait at the same time.
 */
describe('the organisation data of a batch of bundles, read beside its items', () => {
  let t: TestDatabase;
  let fake: FakeTelegram;
  /** The transaction holding the locks, and the connection looking at who waits for them. */
  let locker: pg.Client;
  let watcher: pg.Client;

  beforeAll(async () => {
    t = await createTestDatabase();
    fake = await startFakeTelegram({ limits: false });
    locker = new pg.Client({ connectionString: t.url });
    watcher = new pg.Client({ connectionString: t.url });
    await locker.connect();
    await watcher.connect();
  }, 60_000);
  afterAll(async () => {
    await locker?.end();
    await watcher?.end();
    await fake?.close();
    await t?.close();
  });

  const seed = async (code: string, firstChat: number) => {
    const now = new Date();
    const { orgId } = await buildTelegramReminders(t.prisma, { code, chats: 2, perChat: 2, firstChat, now });
    await bundlePending(t.prisma, orgId, now);
    return (await t.prisma.bundle.findMany({ where: { orgId }, orderBy: { contactId: 'asc' } })).map((b) => b.id);
  };

  /** The tables whose locks another session of this database is waiting for now. */
  const awaited = async () => {
    const r = await watcher.query<{ relname: string }>(
      `SELECT DISTINCT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE NOT l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return new Set(r.rows.map((x) => x.relname));
  };

  /** Runs `during` with `tables` locked against every read, then lets go. */
  const withLocked = async <T>(tables: string[], during: () => Promise<T>): Promise<T> => {
    await locker.query('BEGIN');
    try {
      await locker.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      return await during();
    } finally {
      await locker.query('ROLLBACK');
    }
  };

  it('tells the bundles read before their items are read', async () => {
    const ids = await seed('early-load', 710_000_000);
    let told: LoadedBundle[] | undefined;
    // (In an object: a promise returned as it is would be awaited before the locks are let go.)
    const { loading } = await withLocked(['reminders'], async () => {
      const loading = loadBundles(t.prisma, ids, (bundles) => (told = bundles));
      // Told while the items' read waits for the lock.
      await waitFor(async () => told !== undefined && (await awaited()).has('reminders'), 60_000, 'the bundles told');
      expect(told!.map((b) => b.id).sort()).toEqual([...ids].sort());
      expect(told!.every((b) => b.items.length === 0)).toBe(true);
      return { loading };
    });
    const loaded = await loading;
    expect(loaded.every((b) => b.items.length === 2)).toBe(true);
  }, 90_000);

  it('asks for the organisation’s policy, calendar and templates while the items are read', async () => {
    const ids = await seed('early-send', 720_000_000);
    const delivery = createDelivery({
      db: t.prisma,
      config: { SECRET_KEY: randomBytes(32).toString('base64url'), PORT: 3000 },
      templates: loadTemplates(),
      channels: { telegram: createTelegramChannel({ token: TOKEN, apiRoot: fake.apiRoot }) },
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      workerId: 'early',
    });
    const tables = ['reminders', 'reminder_policies', 'holidays', 'template_overrides'];
    const { sending } = await withLocked(tables, async () => {
      const sending = Promise.all(ids.map((id) => delivery.deliverBundle(id)));
      await waitFor(
        async () => {
          const waiting = await awaited();
          return tables.every((x) => waiting.has(x));
        },
        60_000,
        'reads of the items and of the organisation’s data waiting together',
      );
      return { sending };
    });
    const sent = await sending;
    expect(sent.map((r) => r.outcome)).toEqual(['sent', 'sent']);
  }, 90_000);
});
