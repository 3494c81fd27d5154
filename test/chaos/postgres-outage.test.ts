import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { REMINDERS_QUEUE, type SendJobData } from '#jobs/queues.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { createPool, createPrisma, type Db } from '#root/db/client.js';
import { migrate } from '#root/db/migrate.js';
import { DEFAULT_CLAIM_LEASE_MS } from '#root/services/delivery.js';
import { createRedis, type Redis } from '#root/redis.js';
import { buildTelegramReminders, type SeededReminder } from '../helpers/builders.js';
import { tallyMessages } from '../helpers/chaos.js';
import { wallClockStart } from '../helpers/clock.js';
import {
  startPrivatePostgres,
  startPrivateRedis,
  startProgram,
  waitFor,
  type PrivatePostgres,
  type ProgramProcess,
} from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

/** Private chats, and reminders spread evenly over them (rounded up); a bigger run: CHAOS_REMINDERS=10000 CHAOS_CHATS=1000. */
const CHATS = Number(process.env.CHAOS_CHATS ?? 100);
const PER_CHAT = Math.max(1, Math.ceil(Number(process.env.CHAOS_REMINDERS ?? 400) / CHATS));
const REMINDERS = CHATS * PER_CHAT;
/** How long PostgreSQL stays down (at least 10 s: longer than a send job's first retries). */
const OUTAGE_SECONDS = Math.max(10, Number(process.env.CHAOS_OUTAGE_SECONDS ?? 20));
const WORKERS = 2;
const PREFIX = 'chaos';
const TOKEN = '123456:TEST-token_abcdefghijklmnop';
/**
 * Real elapsed time on purpose: the outage must last longer than a send job's first retries and
 * the workers' reconnect attempts, which run on their own (real) clocks in other processes. A
 * machine under load only makes the outage longer, which the test tolerates.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * PostgreSQL stopped for real (fast shutdown: every connection cut) while two worker processes fan
 * reminders out to Telegram, each chat's reminders as one message (a bundle), then started again: the workers stay up, no job or row is left stuck,
 * and every reminder arrives. Sends in flight at the stop keep Telegram's answer and write it once
 * the database is back; a reminder could arrive twice only where an outcome was lost (an outage
 * outlasting the claim's lease), at most once per claim in flight, each counted as such.
 */
describe('Telegram reminders when PostgreSQL goes away mid-fan-out', () => {
  let pg: PrivatePostgres;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let tg: FakeTelegram;
  let pool: ReturnType<typeof createPool>;
  let db: Db;
  let connection: Redis;
  let queue: Queue<SendJobData>;
  let orgId: string;
  /** When the reminders were seeded, by the wall clock the worker processes run on. */
  let seededAt: Date;
  let reminders: SeededReminder[];
  const workers: ProgramProcess[] = [];

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    redis = await startPrivateRedis();
    // Limits off at the server: the workers keep Telegram's pace on their side anyway (30/s each).
    // A round trip of 250 ms, as Telegram's, keeps sends in flight when the database goes away.
    tg = await startFakeTelegram({ limits: false, latencyMs: 250 });
    await migrate(pg.url);
    // The test's own connections are cut by the outage too: the pool must survive that.
    pool = createPool({ url: pg.url, poolMax: 4, connectTimeoutMs: 2_000, onIdleError: () => undefined });
    db = createPrisma(pool);
    seededAt = wallClockStart();
    ({ orgId, reminders } = await buildTelegramReminders(db, {
      code: 'pg-outage',
      chats: CHATS,
      perChat: PER_CHAT,
      firstChat: 300_000_000,
      // The workers are other processes, on the wall clock: the reminders are due by it.
      now: seededAt,
    }));
    connection = createRedis(redis.url);
    queue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix: PREFIX });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await queue?.close();
    await connection?.quit();
    await db?.$disconnect();
    await pool?.end();
    await tg?.close();
    await redis?.stop();
    await pg?.stop();
  });

  const countBy = async () => {
    const groups = await db.reminder.groupBy({ by: ['status'], where: { orgId }, _count: true });
    return Object.fromEntries(groups.map((g) => [g.status, g._count])) as Partial<Record<string, number>>;
  };
  const sentCount = () => db.reminder.count({ where: { orgId, status: 'sent' } });
  const alive = (w: ProgramProcess) => w.child.exitCode === null && w.child.signalCode === null;

  it(
    'delivers every reminder after a PostgreSQL outage, repeating only sends whose outcome was lost',
    async () => {
      const started = Date.now();
      await dispatchDue(db, queue, orgId, seededAt, 0);
      const env = {
        DATABASE_URL: pg.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: PREFIX,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        WORKER_CONCURRENCY: '64',
        DB_CONNECT_TIMEOUT_MS: '2000',
        // The planner queues again what a send job gave up on during the outage.
        PLAN_EVERY_SECONDS: '2',
        SCHEDULER_RESYNC_SECONDS: '5',
      };
      workers.push(startProgram({ ...env, ROLES: 'scheduler,worker' }), startProgram({ ...env, ROLES: 'worker' }));

      await waitFor(async () => (await sentCount()) >= REMINDERS * 0.25, 60_000, 'a quarter of the reminders sent');
      const before = await countBy();
      const messagesAtStop = tg.sent().length;
      const downAt = Date.now();
      await pg.stopServer();
      await sleep(OUTAGE_SECONDS * 1_000);
      const messagesDuringOutage = tg.sent().length - messagesAtStop;
      for (const w of workers) expect(alive(w), `a worker exited during the outage:\n${w.output()}`).toBe(true);
      await pg.startServer();
      const upAt = Date.now();

      // A claim whose outcome was lost comes back only when its lease ends (DEFAULT_CLAIM_LEASE_MS after it
      // was claimed, before the stop), then waits for a planner pass and a send: wait past the lease
      // with room for a busy machine (usually all is sent ~15 s after the restart).
      await waitFor(
        async () => (await sentCount()) === REMINDERS,
        DEFAULT_CLAIM_LEASE_MS + 120_000,
        'every reminder sent after the outage',
      );
      const recoveredAt = Date.now();
      // No stuck job: the send queue drains (what is left would be retried forever or lost).
      await waitFor(
        async () =>
          Object.values(
            await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
          ).every((n) => n === 0),
        30_000,
        'the send queue drained',
      );
      const after = await countBy();
      const tally = tallyMessages(tg, reminders);
      const output = workers.map((w) => w.output()).join('\n');
      const lines = (text: string) => output.split('\n').filter((l) => l.includes(text)).length;
      // Reminders sent again under the lease rule (their outcome was lost), and sends whose outcome
      // was written only once the database was back.
      const unknown = lines('claim without outcome reclaimed');
      const recordedLate = lines('could not record the outcome');
      // A send's outcome can be lost only for a claim in flight when the database went away: at most
      // the Telegram sends in flight of each worker (the channel's maxInFlight).
      const inFlightBound = WORKERS * (createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot }).maxInFlight ?? 8);
      console.log(
        `[chaos] postgres outage: ${REMINDERS} reminders to ${CHATS} chats, ${WORKERS} workers; ` +
          `sent before the stop ${before.sent ?? 0} (claimed ${before.claimed ?? 0}); down ${Math.round((upAt - downAt) / 1000)} s ` +
          `(${messagesDuringOutage} messages went out from the stop on); all sent ${Math.round((recoveredAt - upAt) / 1000)} s after restart; ` +
          `${recordedLate} outcomes written late; messages ${tally.messages}, duplicates ${tally.duplicates} (bound ${inFlightBound}), ` +
          `unknown outcomes ${unknown}; total ${Math.round((Date.now() - started) / 1000)} s`,
      );

      // No stuck row, no lost reminder.
      expect(after).toEqual({ sent: REMINDERS });
      expect(tally.missing).toEqual([]);
      // Every row points at a message that is at the server, in its own chat.
      const rows = await db.reminder.findMany({ where: { orgId }, select: { id: true, externalId: true } });
      const byId = new Map(reminders.map((r) => [r.id, r]));
      for (const row of rows) {
        const [chat, messageId] = (row.externalId ?? '').split(':').map(Number);
        expect(chat).toBe(byId.get(row.id)!.chatId);
        expect(tg.sent(chat).some((m) => m.message_id === messageId)).toBe(true);
      }
      // The outage did catch sends in flight: claimed before it, accepted by Telegram, written after.
      expect(recordedLate).toBeGreaterThan(0);
      // One message per chat (its reminders bundled), each reminder in exactly one bundle.
      const bundles = await db.bundle.findMany({ where: { orgId }, include: { _count: { select: { items: true } } } });
      expect(bundles.length).toBe(CHATS);
      expect(bundles.every((b) => b.status === 'sent' && b._count.items === PER_CHAT)).toBe(true);
      // Duplicates only where an outcome was lost, each counted as such: a bundle sent again
      // repeats its PER_CHAT reminders.
      expect(tally.duplicates).toBeLessThanOrEqual(inFlightBound * PER_CHAT);
      expect(tally.duplicates).toBeLessThanOrEqual(unknown * PER_CHAT);
      // The workers kept what Telegram answered and wrote it once the database was back: an outage
      // well within the claim's lease loses no outcome, so nothing arrives twice.
      if (OUTAGE_SECONDS * 1_000 < DEFAULT_CLAIM_LEASE_MS / 2) expect(tally.duplicates).toBe(0);

      // No crash loop: both processes are the ones started, still up, and stop cleanly.
      expect(output).not.toMatch(/unhandled|uncaught|^dondoc:/im);
      // The outage is reported, not a line per failed job (there are hundreds): once, then every 30 s.
      const failedLines = output
        .split('\n')
        .filter((l) => l.includes('"msg":"job failed"') || l.includes('PostgreSQL unreachable')).length;
      expect(failedLines, output.slice(-3_000)).toBeLessThanOrEqual(
        workers.length * (Math.ceil(OUTAGE_SECONDS / 30) + 4),
      );
      for (const w of workers) {
        expect(alive(w)).toBe(true);
        w.child.kill('SIGTERM');
        expect(await w.exited).toBe(0);
      }
    },
    (OUTAGE_SECONDS + 60) * 1_000 + DEFAULT_CLAIM_LEASE_MS + 120_000 + 60_000,
  );
});
