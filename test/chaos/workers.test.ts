import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { REMINDERS_QUEUE, type SendJobData } from '#jobs/queues.js';
import { createRedis } from '#root/redis.js';
import { workerOfClaim } from '#root/services/delivery/claims.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startPrivateRedis, startProgram, waitFor, type ProgramProcess } from '../helpers/processes.js';

/** 2,000 in the full run (CHAOS_REMINDERS=2000); fewer by default to keep CI short. */
const REMINDERS = Number(process.env.CHAOS_REMINDERS ?? 1200);

/**
 * Sandbox messages are claimed, written and recorded in one transaction: whatever happens to the
 * worker processes or to Redis, each is delivered exactly once. Each contact has four reminders
 * due now: they go out as one message (a bundle), each reminder in exactly one. These tests run the
 * real program as separate processes and kill them with SIGKILL mid-send.
 */
describe('sandbox reminders when workers die and Redis is lost', () => {
  let t: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let orgId: string;
  const processes: ProgramProcess[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await redis?.stop();
    await t?.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'chaos',
    WORKER_LOCK_SECONDS: '2',
    WORKER_CONCURRENCY: '8',
    ...extra,
  });
  const start = (extra?: Record<string, string>) => {
    const p = startProgram(env(extra));
    processes.push(p);
    return p;
  };

  /** `count` reminders due now, for a fresh set of obligations (a manual nudge each). */
  async function queueReminders(code: string, count: number): Promise<string[]> {
    // The programs under test are other processes, on the wall clock: so is `now`, and the
    // obligations are due next year whatever day this runs.
    const now = wallClockStart();
    const { due, window, stageDay } = dueNextYear(now);
    const mini = await buildMiniOrg(t.prisma, {
      code,
      units: count / 4,
      duties: ['A', 'B', 'C', 'D'].map((c) => ({ code: c, due })),
      now,
    });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, window, now);
    const obligations = await t.prisma.obligation.findMany({
      where: { orgId },
      include: { unit: { include: { contacts: true } } },
    });
    await t.prisma.reminder.createMany({
      data: obligations.map((o) => ({
        orgId,
        obligationId: o.id,
        contactId: o.unit.contacts[0]!.id,
        channel: 'sandbox' as const,
        kind: 'lead' as const,
        stage: `nudge-chaos@${stageDay}`,
        scheduledAt: now,
      })),
    });
    const connection = createRedis(redis.url);
    const queue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix: 'chaos' });
    await dispatchDue(t.prisma, queue, orgId, now, 0);
    await queue.close();
    await connection.quit();
    return obligations.map((o) => o.id);
  }

  const sentCount = () => t.prisma.reminder.count({ where: { orgId, status: 'sent' } });
  /**
   * Every reminder sent, each in exactly one bundle; one bundle (and one sandbox message) per
   * contact, carrying all four of its reminders; no bundle sent twice.
   */
  async function expectExactlyOnce(total: number) {
    expect(await t.prisma.reminder.count({ where: { orgId } })).toBe(total);
    expect(await sentCount()).toBe(total);
    const rows = await t.prisma.reminder.findMany({ where: { orgId }, select: { contactId: true, bundleId: true } });
    expect(rows.every((r) => r.bundleId !== null)).toBe(true);
    const contacts = new Set(rows.map((r) => r.contactId));
    const bundles = await t.prisma.bundle.findMany({
      where: { orgId },
      include: { _count: { select: { items: true } } },
    });
    expect(bundles.length).toBe(contacts.size);
    expect(bundles.every((b) => b.status === 'sent' && b._count.items === total / contacts.size)).toBe(true);
    const messages = await t.prisma.outboxMessage.findMany({ where: { orgId }, select: { bundleId: true } });
    expect(messages.length).toBe(contacts.size);
    expect(new Set(messages.map((m) => m.bundleId)).size).toBe(contacts.size);
  }

  it('delivers every reminder exactly once though a worker is SIGKILLed three times mid-run', async () => {
    await queueReminders('crash', REMINDERS);
    for (let kill = 1; kill <= 3; kill++) {
      const worker = start({ ROLES: 'worker' });
      await waitFor(async () => (await sentCount()) >= REMINDERS * 0.2 * kill, 90_000, `the sends before kill ${kill}`);
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    expect(await sentCount()).toBeLessThan(REMINDERS);
    const last = start({ ROLES: 'worker' });
    await waitFor(async () => (await sentCount()) === REMINDERS, 120_000, 'every reminder');
    await expectExactlyOnce(REMINDERS);
    expect(await t.prisma.reminder.count({ where: { orgId, status: { in: ['pending', 'claimed'] } } })).toBe(0);
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
  }, 300_000);

  it('rebuilds what is pending from PostgreSQL after FLUSHALL, and delivers each exactly once', async () => {
    await queueReminders('flush', REMINDERS);
    // The scheduler re-creates its recurring jobs and the planner re-queues what is pending.
    const p = start({ ROLES: 'scheduler,worker', SCHEDULER_RESYNC_SECONDS: '1', PLAN_EVERY_SECONDS: '1' });
    await waitFor(async () => (await sentCount()) >= REMINDERS * 0.2, 60_000, 'the first sends');
    const r = createRedis(redis.url);
    await r.flushall();
    await r.quit();
    expect(await sentCount()).toBeLessThan(REMINDERS);
    await waitFor(async () => (await sentCount()) === REMINDERS, 90_000, 'every reminder after FLUSHALL');
    await expectExactlyOnce(REMINDERS);
    p.child.kill('SIGTERM');
    await p.exited;
  }, 180_000);

  it('never sends a reminder twice with three worker processes at once', async () => {
    await queueReminders('three', REMINDERS);
    const workers = [start({ ROLES: 'worker' }), start({ ROLES: 'worker' }), start({ ROLES: 'worker' })];
    await waitFor(async () => (await sentCount()) === REMINDERS, 90_000, 'every reminder');
    await expectExactlyOnce(REMINDERS);
    // More than one worker claimed (a claim token starts with its worker's id).
    const tokens = await t.prisma.bundle.groupBy({ by: ['claimedBy'], where: { orgId } });
    const claimers = new Set(tokens.map((c) => c.claimedBy && workerOfClaim(c.claimedBy)));
    expect(claimers.size).toBeGreaterThan(1);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }, 180_000);
});
