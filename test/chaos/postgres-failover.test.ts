import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, createPrisma, type Db } from '#root/db/client.js';
import { migrate } from '#root/db/migrate.js';
import { createRedis } from '#root/redis.js';
import { bundlesSent, bundleTally, outboxTally, queueSandboxFanOut, remindersByStatus } from '../helpers/fan-out.js';
import {
  startPrivatePostgres,
  startPrivateRedis,
  startProgram,
  waitFor,
  type PrivatePostgres,
  type ProgramProcess,
} from '../helpers/processes.js';

/** 2,000 sandbox reminders (CHAOS_REMINDERS to change): four to a contact, so 500 messages. */
const REMINDERS = Number(process.env.CHAOS_REMINDERS ?? 2000);
/** How long the address answers nothing, as during a Patroni/HAProxy or managed failover. */
const FAILOVER_SECONDS = Number(process.env.CHAOS_FAILOVER_SECONDS ?? 10);
const WORKERS = 2;
const PREFIX = 'pgfail';

/**
 * PostgreSQL's failover as the program sees it behind a stable address (HAProxy in front of
 * Patroni, a managed service's endpoint): every connection dies at once without a goodbye, the
 * address refuses connections for a while, then a server with the committed data answers at the
 * same address. Here: the server quits immediately (SIGQUIT, no checkpoint) and starts again after
 * FAILOVER_SECONDS, replaying its WAL — what a promoted standby holds of a synchronous primary.
 * The sandbox's claim, message and outcome are one transaction: every message (a contact's bundle
 * of four reminders) exactly once, every reminder in exactly one bundle.
 */
describe('PostgreSQL failover behind a stable address during a fan-out', () => {
  let pg: PrivatePostgres;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let pool: ReturnType<typeof createPool>;
  let db: Db;
  const workers: ProgramProcess[] = [];

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    redis = await startPrivateRedis();
    await migrate(pg.url);
    pool = createPool({ url: pg.url, poolMax: 4, connectTimeoutMs: 2_000, onIdleError: () => undefined });
    db = createPrisma(pool);
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await db?.$disconnect();
    await pool?.end();
    await redis?.stop();
    await pg?.stop();
  });

  it('loses nothing and sends nothing twice; the same workers carry on', async () => {
    const connection = createRedis(redis.url);
    const { orgId, bundles, itemsPerBundle } = await queueSandboxFanOut(
      db,
      connection,
      PREFIX,
      'pg-failover',
      REMINDERS,
    );
    await connection.quit();
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: PREFIX,
      SECRET_KEY: 'postgres-failover-test-key-of-32-characters',
      WORKER_CONCURRENCY: '8',
      DB_CONNECT_TIMEOUT_MS: '2000',
      PLAN_EVERY_SECONDS: '2',
      SCHEDULER_RESYNC_SECONDS: '5',
    };
    workers.push(startProgram({ ...env, ROLES: 'scheduler,worker' }), startProgram({ ...env, ROLES: 'worker' }));
    const sent = () => db.reminder.count({ where: { orgId, status: 'sent' } });
    await waitFor(async () => (await sent()) >= REMINDERS * 0.25, 120_000, 'a quarter of the fan-out sent');

    const sentAtDown = await sent();
    await pg.stopServer('immediate');
    const downAt = Date.now();
    // The address refuses connections for the failover's length (a bound of time, not a sleep on an event).
    await new Promise((r) => setTimeout(r, FAILOVER_SECONDS * 1_000));
    for (const w of workers) expect(w.child.exitCode, w.output()).toBeNull();
    await pg.startServer();
    const upAt = Date.now();
    // The test's own pool met the outage too: it reconnects.
    await waitFor(async () => (await sent().catch(() => -1)) >= 0, 60_000, 'the test reading the database again');
    const sentAtUp = await sent();
    const bundlesAtUp = await bundlesSent(db, orgId);
    let resumedMs = 0;
    await waitFor(
      async () => {
        if (!resumedMs && (await bundlesSent(db, orgId)) > bundlesAtUp) resumedMs = Date.now() - upAt;
        return (await sent()) === REMINDERS;
      },
      240_000,
      'every reminder sent after the failover',
    );
    const allSentMs = Date.now() - upAt;

    const statuses = await remindersByStatus(db, orgId);
    const bt = await bundleTally(db, orgId);
    const tally = await outboxTally(db, orgId);
    const output = workers.map((w) => w.output()).join('\n');
    expect(output).not.toMatch(/unhandled|uncaught|^dondoc:/im);
    const outageLines = output.split('\n').filter((l) => l.includes('PostgreSQL unreachable')).length;
    console.log(
      `[chaos] postgres failover: ${REMINDERS} sandbox reminders, ${WORKERS} workers; SIGQUIT at ${sentAtDown} sent (${sentAtUp} at restart), ` +
        `address dead ${Math.round((upAt - downAt) / 1000)} s; sends resumed ${resumedMs} ms and all sent ${allSentMs} ms after it answered; ` +
        `sent ${statuses.sent} reminders in ${bt.bundles.sent ?? 0} bundles; ` +
        `messages ${tally.messages}, duplicates ${tally.duplicates}, lost ${bundles - bt.outboxBundles}; outage lines ${outageLines}`,
    );
    // Exactly once, nothing stuck (no reminder left pending or claimed): every reminder in one
    // bundle, one bundle per contact, one message per bundle.
    expect(statuses).toEqual({ sent: REMINDERS });
    expect(bt).toEqual({
      bundles: { sent: bundles },
      contacts: bundles,
      perContact: [1],
      itemsPerBundle,
      unbundled: 0,
      outbox: bundles,
      outboxBundles: bundles,
      outboxUnbundled: 0,
    });
    expect(tally).toEqual({ messages: bundles, distinct: bundles, duplicates: 0 });
    // Said once per process (then every 30 s), not per failed job.
    expect(outageLines).toBeLessThanOrEqual(WORKERS * (Math.ceil(FAILOVER_SECONDS / 30) + 1));
    for (const w of workers) {
      expect(w.child.exitCode).toBeNull();
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    }
  }, 480_000);
});
