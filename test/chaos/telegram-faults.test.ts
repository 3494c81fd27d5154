import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createChannels } from '#root/channels/index.js';
import { loadConfig } from '#root/config.js';
import { createLogger } from '#root/logger.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { buildTelegramReminders, type SeededReminder } from '../helpers/builders.js';
import { tallyMessages } from '../helpers/chaos.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

/**
 * Private chats, and reminders spread evenly over them (rounded up): each chat's reminders go out
 * as one message, so there are as many sendMessage calls to fail as chats (400 by default, as many
 * as when each reminder was a message of its own); a bigger run: CHAOS_REMINDERS=10000 CHAOS_CHATS=2000.
 */
const CHATS = Number(process.env.CHAOS_CHATS ?? 400);
const PER_CHAT = Math.max(1, Math.ceil(Number(process.env.CHAOS_REMINDERS ?? 800) / CHATS));
const REMINDERS = CHATS * PER_CHAT;
/** Seed of the fault generator: the same seed draws the same faults for the same sequence of calls. */
const SEED = Number(process.env.CHAOS_SEED ?? 20261125);
const TOKEN = '123456:TEST-token_abcdefghijklmnop';
/** A held call is given up after this long (TELEGRAM_TIMEOUT_SECONDS; 30 in production). */
const TIMEOUT_SECONDS = 3;

const counter = async (s: TestApp, name: string) =>
  (await s.app.metrics.registry.getSingleMetric(name)?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;

/**
 * A Bot API server that fails a share of sendMessage calls at random: 10 % answered 500, 5 % never
 * answered (half of those after the message went out: the client cannot know), 2 % answered 429
 * with retry_after. Through a real worker every reminder still arrives, in its chat's one message;
 * a message arrives twice only where it went out and the answer was lost, and the program counts
 * each such send as of unknown outcome.
 */
describe('Telegram reminders through a Bot API server that fails at random', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  let orgId: string;
  let reminders: SeededReminder[];

  beforeAll(async () => {
    t = await createTestDatabase();
    // The workers run on BullMQ's real time: the test's clock starts at it.
    const start = wallClockStart();
    ({ orgId, reminders } = await buildTelegramReminders(t.prisma, {
      code: 'tg-faults',
      chats: CHATS,
      perChat: PER_CHAT,
      firstChat: 400_000_000,
      now: start,
    }));
    tg = await startFakeTelegram({ limits: true, latencyMs: 20 });
    const env = {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      WORKER_CONCURRENCY: '64',
      // The planner queues again a reminder whose send job used up its attempts.
      PLAN_EVERY_SECONDS: '2',
    };
    // The channels as the program builds them, from its configuration.
    const channels = await createChannels(loadConfig(env), createLogger({ level: 'silent' }));
    s = await startTestApp(t, { start, roles: ['scheduler', 'worker'], channels, env });
  });
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await t?.close();
  });

  it('delivers every reminder, twice only where a reply was lost, and counts those as of unknown outcome', async () => {
    const started = Date.now();
    tg.faults({ serverError: 0.1, timeout: 0.025, lostReply: 0.025, tooMany: 0.02, retryAfter: 1, seed: SEED });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, s.clock.now(), 0);

    const sent = () => t.prisma.reminder.count({ where: { orgId, status: 'sent' } });
    await waitFor(async () => (await sent()) === REMINDERS, 150_000, 'every reminder sent');
    const seconds = Math.round((Date.now() - started) / 1000);
    await drained(s.app.sendQueue());
    tg.faults(null);

    // No stuck row: every one sent, none left claimed or pending.
    const groups = await t.prisma.reminder.groupBy({ by: ['status'], where: { orgId }, _count: true });
    expect(Object.fromEntries(groups.map((g) => [g.status, g._count]))).toEqual({ sent: REMINDERS });

    const injected = tg.injected();
    const sendCalls = tg.calls.filter((c) => c.method === 'sendMessage');
    const limited = sendCalls.filter((c) => c.status === 429 && c.fault === undefined).length;
    const tally = tallyMessages(tg, reminders);
    const unknown = await counter(s, 'dondoc_reminders_unknown_outcome_total');
    const retried = await counter(s, 'dondoc_reminders_retried_total');
    console.log(
      `[chaos] telegram faults: ${REMINDERS} reminders to ${CHATS} chats in ${seconds} s; ${sendCalls.length} sendMessage calls, ` +
        `injected 500 ${injected.serverError}, timeout ${injected.timeout}, lost reply ${injected.lostReply}, 429 ${injected.tooMany} ` +
        `(+${limited} from the limits); messages ${tally.messages}, duplicates ${tally.duplicates}; ` +
        `unknown outcomes ${unknown}, retried ${retried} (seed ${SEED})`,
    );

    // The run did meet each kind of fault.
    for (const kind of ['serverError', 'timeout', 'lostReply', 'tooMany'] as const)
      expect(injected[kind], kind).toBeGreaterThan(0);
    expect(tally.missing).toEqual([]);
    // A message (with its PER_CHAT reminders) arrives twice only where it went out and the answer
    // never came…
    expect(tally.duplicates).toBeLessThanOrEqual((injected.timeout + injected.lostReply) * PER_CHAT);
    expect(tally.duplicates).toBe(injected.lostReply * PER_CHAT);
    // …and the program counted every call left unanswered as of unknown outcome, and nothing else.
    expect(unknown).toBe(injected.timeout + injected.lostReply);
    expect(tally.duplicates).toBeLessThanOrEqual(unknown * PER_CHAT);
    // One message per chat, each reminder in exactly one bundle.
    const bundles = await t.prisma.bundle.findMany({
      where: { orgId },
      include: { _count: { select: { items: true } } },
    });
    expect(bundles.length).toBe(CHATS);
    expect(bundles.every((b) => b.status === 'sent' && b._count.items === PER_CHAT)).toBe(true);
  }, 240_000);
});
