import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#root/config.js';
import { createRedis, redisTargetOf, type Redis } from '#root/redis.js';
import { workerOfClaim } from '#root/services/delivery/claims.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { bundlesSent, bundleTally, outboxTally, queueSandboxFanOut, remindersByStatus } from '../helpers/fan-out.js';
import { startProgram, waitFor, waitForProgress, type ProgramProcess } from '../helpers/processes.js';
import { startSentinelSet, type SentinelSet } from '../helpers/redis-ha.js';

/** 2,000 sandbox reminders (CHAOS_REMINDERS to change): four to a contact, so 500 messages. */
const REMINDERS = Number(process.env.CHAOS_REMINDERS ?? 2000);
const PROCESSES = 3;
const CONCURRENCY = 8;
/**
 * How long the count of sent reminders may stand still before the test calls it stuck: beyond a
 * bundle's claim lease (120 s by default), which is how long a send cut off by the failover holds
 * its bundle.
 * The test as a whole gets half an hour: at load average 20 the fan-out took more than 4 minutes.
 */
const STALL_MS = 300_000;
const PREFIX = 'ha';

/**
 * Redis behind Sentinel, the primary SIGKILLed in the middle of a fan-out: the sentinels promote the
 * replica, and the same worker processes (never restarted) follow it and finish. What the lost
 * primary had not yet passed to its replica (jobs, completions) is rebuilt from PostgreSQL by the
 * planner, and the claims in PostgreSQL keep every message (a contact's bundle of four reminders)
 * to one, and every reminder to one bundle.
 */
describe('Redis Sentinel: the primary killed during a fan-out', () => {
  let t: TestDatabase;
  let set: SentinelSet;
  const processes: ProgramProcess[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    set = await startSentinelSet({ downAfterMs: 1_000 });
  }, 120_000);
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await set?.stop();
    await t?.close();
  });

  it('sends every reminder exactly once, the workers carrying on through the failover, the outage logged once', async () => {
    const env = {
      DATABASE_URL: t.url,
      REDIS_SENTINELS: set.sentinels,
      REDIS_SENTINEL_NAME: set.name,
      REDIS_PREFIX: PREFIX,
      SECRET_KEY: 'sentinel-test-key-of-at-least-32-characters',
      ROLES: 'scheduler,worker',
      // The planner re-queues what the lost primary forgot; the scheduler re-creates its schedulers.
      PLAN_EVERY_SECONDS: '1',
      SCHEDULER_RESYNC_SECONDS: '2',
      WORKER_LOCK_SECONDS: '2',
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    const config = loadConfig(env);
    const connection: Redis = createRedis(redisTargetOf(config));
    const { orgId, bundles, itemsPerBundle } = await queueSandboxFanOut(
      t.prisma,
      connection,
      config.REDIS_PREFIX,
      'sentinel',
      REMINDERS,
    );
    await connection.quit();

    for (let i = 0; i < PROCESSES; i++) processes.push(startProgram(env));
    const sent = () => t.prisma.reminder.count({ where: { orgId, status: 'sent' } });
    await waitForProgress(sent, (n) => n >= REMINDERS * 0.25, STALL_MS, 'a quarter of the fan-out sent');

    await set.killPrimary();
    const killedAt = Date.now();
    const sentAtKill = await sent();
    const bundlesAtKill = await bundlesSent(t.prisma, orgId);
    expect(sentAtKill).toBeLessThan(REMINDERS);
    await waitFor(async () => (await set.currentPrimary()) === set.replicaPort, 60_000, 'the replica promoted');
    const promotedMs = Date.now() - killedAt;
    // Sends (bundles) already under way when the primary died may still be recorded; past those,
    // the workers took new jobs from the new primary.
    const inFlight = PROCESSES * CONCURRENCY;
    let recoveredMs = 0;
    await waitForProgress(
      async () => {
        const b = await bundlesSent(t.prisma, orgId);
        if (!recoveredMs && b > Math.min(bundles - 1, bundlesAtKill + inFlight)) recoveredMs = Date.now() - killedAt;
        return sent();
      },
      (n) => n === REMINDERS,
      STALL_MS,
      'every reminder sent after the failover',
    );
    const totalMs = Date.now() - killedAt;

    // Exactly once, nothing stuck (no reminder left pending or claimed): every reminder in one
    // bundle, one bundle per contact, one message per bundle.
    const statuses = await remindersByStatus(t.prisma, orgId);
    expect(statuses).toEqual({ sent: REMINDERS });
    const bt = await bundleTally(t.prisma, orgId);
    const tally = await outboxTally(t.prisma, orgId);
    const lost = bundles - bt.outboxBundles;

    // The same processes carried on: none exited, and more than one sent after the failover.
    for (const p of processes) expect(p.child.exitCode, p.output()).toBeNull();
    const after = await t.prisma.bundle.groupBy({
      by: ['claimedBy'],
      where: { orgId, sentAt: { gt: new Date(killedAt + promotedMs) } },
    });
    expect(new Set(after.map((c) => c.claimedBy && workerOfClaim(c.claimedBy))).size).toBeGreaterThan(1);

    // Each process said the outage once (then once every 30 s while it lasts), nothing else.
    const lines = processes.map((p) => p.output().split('\n').filter(Boolean));
    const down = lines.map((l) => l.filter((s) => s.includes('Redis unreachable')).length);
    const leases = lines.map((l) => l.filter((s) => s.includes('Redis lost the lease')).length);
    const other = lines.flat().filter((s) => !s.includes('Redis unreachable') && !s.includes('Redis lost the lease'));
    console.log(
      `[chaos] sentinel failover: ${REMINDERS} reminders, ${PROCESSES} worker processes; primary SIGKILLed at ${sentAtKill} sent; ` +
        `replica promoted in ${promotedMs} ms, sends resumed in ${recoveredMs} ms, all sent ${totalMs} ms after the kill; ` +
        `sent ${statuses.sent} reminders in ${bt.bundles.sent ?? 0} bundles (${bundlesAtKill} at the kill); ` +
        `messages ${tally.messages}, duplicates ${tally.duplicates}, lost ${lost}; outage lines ${down.join('/')}, lost-lease lines ${leases.join('/')}; ` +
        `other log lines ${other.length}${other.length ? `:\n${other.slice(0, 8).join('\n').slice(0, 4000)}` : ''}`,
    );

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
    // Once, and once more for every 30 s it may have lasted (the reporters' rhythm): on a busy
    // machine a send cut off by the failover can finish, and say so, half a minute later.
    const saidAtMost = 1 + Math.floor((Date.now() - killedAt) / 30_000);
    for (const [i, n] of down.entries()) expect(n, lines[i]!.join('\n')).toBeLessThanOrEqual(saidAtMost);
    expect(down.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    for (const [i, n] of leases.entries()) expect(n, lines[i]!.join('\n')).toBeLessThanOrEqual(saidAtMost);
    expect(other).toEqual([]);

    for (const p of processes) p.child.kill('SIGTERM');
    expect(await Promise.all(processes.map((p) => p.exited))).toEqual(processes.map(() => 0));
  }, 1_800_000);
});
