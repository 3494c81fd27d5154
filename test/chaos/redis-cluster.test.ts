import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { REMINDERS_QUEUE, type SendJobData } from '#jobs/queues.js';
import { createRedisTelegramLimiter } from '#root/channels/telegram/limiter.js';
import { loadConfig } from '#root/config.js';
import { createRedis, redisTargetOf, type Redis } from '#root/redis.js';
import { workerOfClaim } from '#root/services/delivery/claims.js';
import { linkExpiry, signLink } from '#root/services/links.js';
import { Queue } from 'bullmq';
import { buildTelegramReminders, type SeededReminder } from '../helpers/builders.js';
import { tallyMessages } from '../helpers/chaos.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { bundleTally, outboxTally, queueSandboxFanOut, remindersByStatus } from '../helpers/fan-out.js';
import { startProgram, waitFor, waitForProgress, type ProgramProcess } from '../helpers/processes.js';
import { redisCli, startCluster, type ClusterSet } from '../helpers/redis-ha.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

/**
 * 2,000 sandbox reminders (CHAOS_REMINDERS to change), four to a contact (500 messages), and two
 * Telegram reminders to each of 20 chats (one message per chat).
 */
const REMINDERS = Number(process.env.CHAOS_REMINDERS ?? 2000);
const CHATS = 20;
const PER_CHAT = 2;
const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const SECRET_KEY = 'cluster-test-key-of-at-least-32-characters';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A Redis Cluster of three primaries under the whole program: the scheduler's job schedulers, the
 * planner and dispatch, sends by two worker processes (the sandbox, and Telegram through the limits
 * they share in Redis), a confirmation through the web role. BullMQ's and the limits' Lua scripts
 * each touch several keys: on a Cluster they must all be in one slot, or Redis refuses (CROSSSLOT).
 */
describe('Redis Cluster: the whole pipeline on three primaries', () => {
  let t: TestDatabase;
  let cluster: ClusterSet;
  let tg: FakeTelegram;
  const processes: ProgramProcess[] = [];
  const connections: Redis[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    cluster = await startCluster();
    tg = await startFakeTelegram({ limits: true, latencyMs: 5 });
  }, 120_000);
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    for (const c of connections) c.disconnect();
    await tg?.close();
    await cluster?.stop();
    await t?.close();
  });

  const env = () => ({
    DATABASE_URL: t.url,
    REDIS_CLUSTER_NODES: cluster.nodes,
    REDIS_PREFIX: 'clu',
    SECRET_KEY,
    PLAN_EVERY_SECONDS: '1',
    SCHEDULER_RESYNC_SECONDS: '2',
    WORKER_LOCK_SECONDS: '5',
    WORKER_CONCURRENCY: '16',
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: tg.apiRoot,
    TELEGRAM_LIMITS: 'on',
  });

  it('hash-tags the prefix, and keeps the Telegram limits scripts in one slot (an untagged key is refused)', async () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_PREFIX: 'clu' });
    expect(config.REDIS_PREFIX).toBe('{clu}');
    const redis = createRedis(redisTargetOf(config));
    connections.push(redis);
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    const errors: Error[] = [];
    const tagged = createRedisTelegramLimiter(redis, `${config.REDIS_PREFIX}:tg-limits:1`, {
      onError: (e) => errors.push(e),
    });
    for (const chat of [7, 7, 8, -100]) {
      await tagged.acquire(chat);
      const answered = await tagged.depart(chat);
      answered();
    }
    tagged.backOff(9, 1);
    await tagged.reserve(10);
    expect(errors).toEqual([]);
    // Without the tag, the same scripts touch keys of several slots.
    const untagged = createRedisTelegramLimiter(redis, 'clu:tg-limits:1');
    await expect(untagged.reserve(7)).rejects.toThrow(/CROSSSLOT/);
  });

  it('plans, dispatches, sends and confirms: 0 duplicates, 0 lost, Telegram under its limits', async () => {
    const config = loadConfig(env());
    const connection = createRedis(redisTargetOf(config));
    connections.push(connection);
    const { orgId, bundles, itemsPerBundle } = await queueSandboxFanOut(
      t.prisma,
      connection,
      config.REDIS_PREFIX,
      'cluster',
      REMINDERS,
    );
    // The program under test runs in other processes, on the wall clock: the test starts at it.
    const now = wallClockStart();
    const telegram: { orgId: string; reminders: SeededReminder[] } = await buildTelegramReminders(t.prisma, {
      code: 'cluster-tg',
      chats: CHATS,
      perChat: PER_CHAT,
      firstChat: 500_000_000,
      now,
    });
    const queue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix: config.REDIS_PREFIX });
    await dispatchDue(t.prisma, queue, telegram.orgId, now, 0);
    await queue.close();

    // Two processes schedule, plan and send; a third serves the web.
    const port = await freePort();
    const started = Date.now();
    for (let i = 0; i < 2; i++) processes.push(startProgram({ ...env(), ROLES: 'scheduler,worker' }));
    const web = startProgram({ ...env(), ROLES: 'web', PORT: String(port) });
    processes.push(web);

    const sent = (org: string) => t.prisma.reminder.count({ where: { orgId: org, status: 'sent' } });
    await waitForProgress(
      async () => (await sent(orgId)) + (await sent(telegram.orgId)),
      (n) => n === REMINDERS + CHATS * PER_CHAT,
      300_000,
      'every reminder sent',
    );
    const seconds = (Date.now() - started) / 1000;

    // Exactly once, nothing stuck: every reminder in one bundle, one bundle per contact, one
    // message per bundle.
    expect(await remindersByStatus(t.prisma, orgId)).toEqual({ sent: REMINDERS });
    expect(await remindersByStatus(t.prisma, telegram.orgId)).toEqual({ sent: CHATS * PER_CHAT });
    const bt = await bundleTally(t.prisma, orgId);
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
    const tally = await outboxTally(t.prisma, orgId);
    expect(tally).toEqual({ messages: bundles, distinct: bundles, duplicates: 0 });
    // Telegram: one message per chat with both its reminders, each reminder in one message, once.
    const tgTally = tallyMessages(tg, telegram.reminders);
    expect(tgTally.missing).toEqual([]);
    expect(tgTally.duplicates).toBe(0);
    expect(tgTally.messages).toBe(CHATS);
    const tgBundles = await bundleTally(t.prisma, telegram.orgId);
    expect(tgBundles).toMatchObject({
      bundles: { sent: CHATS },
      contacts: CHATS,
      perContact: [1],
      itemsPerBundle: [PER_CHAT],
      unbundled: 0,
    });
    // The two workers shared one budget: Telegram never had to refuse a message.
    const refused = tg.calls.filter((c) => c.method === 'sendMessage' && c.status === 429).length;
    expect(refused).toBe(0);
    // Both workers sent.
    const tokens = await t.prisma.bundle.groupBy({ by: ['claimedBy'], where: { orgId } });
    const claimers = new Set(tokens.map((c) => c.claimedBy && workerOfClaim(c.claimedBy)));
    expect(claimers.size).toBe(2);

    // The web role on the Cluster: ready, and a confirmation link works.
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200,
      60_000,
      'the web role ready',
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ postgres: 'ok', redis: 'ok' });
    const reminder = await t.prisma.reminder.findFirstOrThrow({ where: { orgId } });
    const token = signLink(
      { obligationId: reminder.obligationId, contactId: reminder.contactId, exp: linkExpiry(now) },
      SECRET_KEY,
    );
    const confirmed = await fetch(`http://127.0.0.1:${port}/c/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=cluster',
    });
    expect(confirmed.status).toBe(200);
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: reminder.obligationId } })).status).toBe('done');

    // Every key the program wrote, on every node, carries the hash tag: one slot for all.
    const keys = (
      await Promise.all(cluster.ports.map(async (p) => (await redisCli(p, '--scan')).split('\n').filter(Boolean)))
    ).flat();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.startsWith('{clu}:'))).toEqual([]);
    expect(keys.some((k) => k.startsWith('{clu}:tg-limits:'))).toBe(true);

    const logs = processes.flatMap((p) => p.output().split('\n').filter(Boolean));
    console.log(
      `[chaos] cluster: ${REMINDERS} sandbox + ${CHATS * PER_CHAT} Telegram reminders by 2 worker processes in ${seconds.toFixed(1)} s; ` +
        `sent ${REMINDERS} + ${CHATS * PER_CHAT} reminders in ${bt.bundles.sent} + ${tgBundles.bundles.sent} bundles; ` +
        `messages ${tally.messages} + ${tgTally.messages} Telegram, duplicates ${tally.duplicates} + ${tgTally.duplicates}, ` +
        `lost ${bundles - bt.outboxBundles} + ${tgTally.missing.length}; Telegram 429 ${refused}; ` +
        `${keys.length} keys, all {clu}; log lines ${logs.length}`,
    );
    expect(logs.filter((l) => /CROSSSLOT|"level":50/.test(l))).toEqual([]);

    for (const p of processes) p.child.kill('SIGTERM');
    expect(await Promise.all(processes.map((p) => p.exited))).toEqual(processes.map(() => 0));
  }, 1_800_000);
});
