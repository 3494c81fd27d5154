import net from 'node:net';
import os from 'node:os';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { REMINDERS_QUEUE, type SendJobData } from '#jobs/queues.js';
import { createRedis } from '#root/redis.js';
import { workerOfClaim } from '#root/services/delivery/claims.js';
import { CLAIM_LOST } from '#root/services/delivery/context.js';
import { buildTelegramReminders, type SeededReminder } from '../helpers/builders.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startPrivateRedis, startProgram, waitFor, type ProgramProcess } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
/**
 * The claim's lease as the reclaimer (B) applies it: short, so that a frozen worker outlives it in
 * seconds, yet long beside a send to the test's Bot API server (B's own claim must not lapse while
 * its call is held, even on a busy machine).
 */
const LEASE_SECONDS = 20;
/**
 * B's call timeout (and A's, where A is configured as B is): under the lease with the record's margin.
 * B's call is held while A acts: A has this long to do so before B would give its call up.
 */
const TIMEOUT_SECONDS = 15;
/** A's call timeout where A must resume with its answer: the most the configuration allows. */
const A_TIMEOUT_SECONDS = 90;
/** Generous: a loaded machine starts a program in tens of seconds. */
const WAIT_MS = 120_000;

const PREFIX = 'lease';
const RECLAIMED = 'claim without outcome reclaimed: possibly delivered twice';

/** A port nobody listens on now, for a program's METRICS_PORT. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

/** `promise`, or an error naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON lines a program has logged (pino). */
const lines = (p: ProgramProcess) =>
  p
    .output()
    .split('\n')
    .flatMap((l): Record<string, unknown>[] => {
      try {
        return l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : [];
      } catch {
        return []; // a line still being written
      }
    });

/** A program's worker id, which its claim tokens start with (src/composition.ts: host and process id). */
const workerIdOf = (p: ProgramProcess) => `${os.hostname()}-${p.child.pid}`;
/** The worker that took a claim, from its token (`claimed_by`). */
const claimerOf = (row: { claimedBy: string | null }) => (row.claimedBy ? workerOfClaim(row.claimedBy) : null);

/**
 * A worker (A) frozen (SIGSTOP) past the claim's lease while it sends a bundle: the bundle is
 * reclaimed, counted as of unknown outcome, and claimed again by another worker (B). A, resumed while
 * B's call is on its way (the Bot API test server holds it), must write nothing over B's claim —
 * neither its record (the bundle would point at A's message: ✅ edits to the wrong one, and B's own
 * record refused), nor a release (B's claim undone: a third message), nor a failure (B's bundle
 * failed, and sent again by the next channel). Then B's call is answered and B records. Real worker
 * processes, the real reclaim (B's planner pass), the Bot API test server; only the lease is short
 * (CLAIM_LEASE_SECONDS). A resumed after B's record would prove less: a record, release or failure
 * also asks for `claimed`, which a sent bundle is not; only B's claim in flight tells the owner
 * check (`claimed_by`) apart.
 *
 * A is frozen the moment the server receives its call; the server then handles it (the message
 * delivered, or refused) and answers into A's socket while A is stopped — or, in the first test,
 * delivers the message and never answers (a lost reply): A, configured as the reclaimer is (the
 * same short lease, a timeout under it), resumes past its call's timeout with nothing to read, gives
 * the call up as unanswered and releases the bundle. (An answer waiting in A's socket would race
 * that timeout: which of the two A's event loop sees first on resuming depends on what it was doing
 * when it was stopped, and on a busy machine it read the answer.) To have A resume holding the
 * server's answer — accepted, a 500, a 400 — its timeout must outlast the freeze:
 * A then runs with the default lease (120 s) and a 90 s timeout while the reclaimer applies the short
 * one, which is what the reclaimer sees when its clock runs ahead of A's (a claim's time is written
 * by its worker's clock) or when a deployment shortens the lease while old workers still run.
 */
describe('a worker frozen past its claim’s lease', () => {
  let t: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let tg: FakeTelegram;
  let chat = 610_000_000;
  const processes: ProgramProcess[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = await startPrivateRedis();
    tg = await startFakeTelegram({ limits: false });
  });
  // A test that failed half-way leaves its programs running (one frozen): they would take the next
  // test's bundle.
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });
  afterAll(async () => {
    await tg?.close();
    await redis?.stop();
    await t?.close();
  });

  const start = (env: Record<string, string>) => {
    const p = startProgram({
      DATABASE_URL: t.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: PREFIX,
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_LIMITS: 'off',
      TELEGRAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      WEBHOOK_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      CLAIM_LEASE_SECONDS: String(LEASE_SECONDS),
      // A frozen worker's job goes to another within seconds (its lock lapses).
      WORKER_LOCK_SECONDS: '2',
      WORKER_CONCURRENCY: '8',
      ...env,
    });
    processes.push(p);
    return p;
  };
  const stop = async (p: ProgramProcess) => {
    p.child.kill('SIGCONT');
    p.child.kill('SIGTERM');
    await p.exited;
  };

  /** One contact (a chat of its own) with two items due now: one bundle, one message. */
  async function seed(code: string, channels: ('telegram' | 'sandbox')[]) {
    chat += 1;
    const { orgId, reminders } = await buildTelegramReminders(t.prisma, {
      code,
      chats: 1,
      perChat: 2,
      firstChat: chat - 1,
      now: wallClockStart(),
    });
    const contactId = (await t.prisma.contact.findFirstOrThrow({ where: { orgId } })).id;
    await t.prisma.contact.update({ where: { id: contactId }, data: { channels } });
    expect(reminders.every((r: SeededReminder) => r.chatId === chat)).toBe(true);
    return { orgId, contactId, reminders };
  }

  /** Queues the org's due bundles, as the planner would; the one bundle's id. */
  async function dispatch(orgId: string): Promise<string> {
    const connection = createRedis(redis.url);
    const queue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix: PREFIX });
    await dispatchDue(t.prisma, queue, orgId, new Date(), 0);
    await queue.close();
    await connection.quit();
    return (await t.prisma.bundle.findFirstOrThrow({ where: { orgId } })).id;
  }

  const sendsTo = (chatId: number) => tg.calls.filter((c) => c.method === 'sendMessage' && c.chatId === String(chatId));
  const bundleRow = (id: string) => t.prisma.bundle.findUniqueOrThrow({ where: { id } });

  /** Waits until A, resumed, has acted on its send: any of its lines about the bundle. */
  async function outcomeOfA(a: ProgramProcess, bundleId: string) {
    const said = () =>
      lines(a).find(
        (l) =>
          l.bundle === bundleId &&
          [
            CLAIM_LOST,
            'delivered',
            'delivery failed, will retry',
            'no answer from the channel: outcome unknown, will retry (possibly delivered twice)',
            'delivery failed for good; channel disabled for this contact',
          ].includes(String(l.msg)),
      );
    await waitFor(async () => said() !== undefined, WAIT_MS, 'A, resumed, to act on its send');
    return said()!;
  }

  /**
   * The whole run: A claims the bundle and calls Telegram, and is frozen the moment the server has
   * the call, which the server then handles (`fault`: refused so) and answers into A's socket. B
   * (scheduler and worker) is started: its planner's pass reclaims A's lapsed claim and queues the
   * bundle again, B claims it and calls Telegram, and the server holds B's call. A is resumed and
   * acts on its send while B's claim is in flight, which must stand as B made it; B's call is
   * answered, and B records.
   */
  async function run(code: string, options: { a: Record<string, string>; fault?: 500 | 400 | 'lostReply' }) {
    const seeded = await seed(code, options.fault === 400 ? ['telegram', 'sandbox'] : ['telegram']);
    if (options.fault) tg.fail({ status: options.fault, method: 'sendMessage', chatId: chat });
    const toChat = (c: { method: string; chatId?: string }) => c.method === 'sendMessage' && c.chatId === String(chat);
    const aCall = tg.hold(toChat);
    const a = start({ ROLES: 'worker', LOG_LEVEL: 'info', ...options.a });
    const aFrozen = aCall.received.then(() => {
      a.child.kill('SIGSTOP');
      aCall.release();
    });
    const bundleId = await dispatch(seeded.orgId);
    await within(aFrozen, WAIT_MS, "A's call");
    const frozenAt = Date.now();
    if (options.fault === 'lostReply')
      // The server has delivered A's message and will never answer.
      await waitFor(async () => tg.sent(chat).length === 1, WAIT_MS, "A's message, delivered");
    // The server has answered A; A, stopped, has not read it.
    else await waitFor(async () => sendsTo(chat)[0]!.status !== 0, WAIT_MS, "the server's answer to A");
    const claimedByA = await bundleRow(bundleId);
    expect(claimedByA.status).toBe('claimed');
    expect(claimerOf(claimedByA)).toBe(workerIdOf(a));

    const bCall = tg.hold(toChat);
    const metricsPort = await freePort();
    const b = start({ ROLES: 'scheduler,worker', PLAN_EVERY_SECONDS: '1', METRICS_PORT: String(metricsPort) });
    await within(bCall.received, WAIT_MS, "B's call, once the lease lapsed");
    // A's claim, then B's: the second attempt (a claim made again after a release would be a third).
    // B's claim token: another than A's, and B's.
    const bToken = (await bundleRow(bundleId)).claimedBy;
    expect(claimerOf({ claimedBy: bToken })).toBe(workerIdOf(b));
    const claimedByB = { status: 'claimed', claimedBy: bToken, externalId: null, attempts: 2 };
    expect(await bundleRow(bundleId)).toMatchObject(claimedByB);
    // A's claim was found lapsed and counted as a send of unknown outcome (the README's rule).
    const reclaims = () => lines(b).filter((l) => l.msg === RECLAIMED && l.bundle === bundleId);
    await waitFor(async () => reclaims().length > 0, WAIT_MS, "B's warning of the reclaim (its output read)");
    expect(reclaims()).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^dondoc_reminders_unknown_outcome_total\{channel="telegram"\} 1$/m);

    const frozenMs = Date.now() - frozenAt;
    a.child.kill('SIGCONT');
    const said = await outcomeOfA(a, bundleId);
    // Whatever A did, B's claim stands as B made it.
    expect(await bundleRow(bundleId)).toMatchObject(claimedByB);
    const items = await t.prisma.reminder.findMany({ where: { id: { in: seeded.reminders.map((r) => r.id) } } });
    expect(items.map((i) => [i.status, i.bundleId, i.claimedBy])).toEqual(
      items.map(() => ['claimed', bundleId, bToken]),
    );

    bCall.release();
    await waitFor(async () => (await bundleRow(bundleId)).status !== 'claimed', WAIT_MS, "B's record");
    const bMessage = tg.sent(chat).at(-1)!;
    await expectSentByB(bundleId, bToken, seeded.reminders, bMessage.message_id);
    return { ...seeded, a, b, bundleId, said, frozenMs };
  }

  /** The bundle as B left it: sent, B's message and layout, both items once, with it. */
  async function expectSentByB(
    bundleId: string,
    bToken: string | null,
    reminders: SeededReminder[],
    bMessageId: number,
  ) {
    const row = await bundleRow(bundleId);
    expect(row).toMatchObject({ status: 'sent', claimedBy: bToken, externalId: `${chat}:${bMessageId}` });
    // B's layout: the two items of B's message, with their ✅ buttons.
    expect((row.layout as { o: string }[]).map((x) => x.o).sort()).toEqual(reminders.map((r) => r.obligationId).sort());
    const items = await t.prisma.reminder.findMany({ where: { id: { in: reminders.map((r) => r.id) } } });
    expect(items.map((i) => [i.status, i.bundleId, i.externalId])).toEqual(
      items.map(() => ['sent', bundleId, `${chat}:${bMessageId}`]),
    );
    // Nothing else for this contact: no second bundle, no fallback on another channel.
    expect(await t.prisma.bundle.count({ where: { orgId: row.orgId } })).toBe(1);
    expect(await t.prisma.outboxMessage.count({ where: { orgId: row.orgId } })).toBe(0);
  }

  /** A configured as B: resumed past its call's timeout, with no answer to read, it gives the call up. */
  const likeB = {};
  /** A whose call's timeout outlasts the freeze (under its own, default, lease): it reads its answer. */
  const answered = { CLAIM_LEASE_SECONDS: '120', TELEGRAM_TIMEOUT_SECONDS: String(A_TIMEOUT_SECONDS) };
  /** A's premise with `answered`: resumed before its call's timeout. */
  const beforeItsTimeout = (frozenMs: number) =>
    expect(frozenMs, 'A frozen for less than its call timeout').toBeLessThan(A_TIMEOUT_SECONDS * 1000);

  it('frozen as its call reaches Telegram: resumed, its call times out and its release does not undo B’s claim', async () => {
    const { a, b, said } = await run('lease-call', { a: likeB, fault: 'lostReply' });
    // A's message (delivered while A was stopped) and B's: the one duplicate the lease allows,
    // counted; not a third.
    expect(tg.sent(chat).map((m) => m.message_id)).toEqual([1, 2]);
    // A said so: its outcome dropped (not counted again: the reclaim counted it).
    expect(said).toMatchObject({ msg: CLAIM_LOST, outcome: 'unknown' });
    await stop(a);
    await stop(b);
    expect(sendsTo(chat)).toHaveLength(2);
  }, 300_000);

  it('frozen with Telegram’s acceptance in hand: its late record does not land on B’s claim', async () => {
    const { a, b, said, frozenMs } = await run('lease-record', { a: answered });
    beforeItsTimeout(frozenMs);
    // Two messages; the bundle points at B's (✅ edits go to the message its record names).
    expect(tg.sent(chat).map((m) => m.message_id)).toEqual([1, 2]);
    expect(said).toMatchObject({ msg: CLAIM_LOST, outcome: 'sent' });
    await stop(a);
    await stop(b);
    expect(sendsTo(chat)).toHaveLength(2);
  }, 300_000);

  it('frozen with a temporary error (500) in hand: its release does not give B’s claim back', async () => {
    const { a, b, said, frozenMs } = await run('lease-release', { a: answered, fault: 500 });
    beforeItsTimeout(frozenMs);
    // A's call was refused (nothing delivered): B's message is the only one, and no third send follows.
    expect(tg.sent(chat)).toHaveLength(1);
    expect(said).toMatchObject({ msg: CLAIM_LOST, outcome: 'retry' });
    await stop(a);
    await stop(b);
    expect(tg.sent(chat)).toHaveLength(1);
    expect(sendsTo(chat)).toHaveLength(2);
  }, 300_000);

  it('frozen with a permanent error (400 chat not found) in hand: its failure neither fails B’s claim nor moves it on', async () => {
    const { a, b, said, frozenMs, contactId } = await run('lease-fail', { a: answered, fault: 400 });
    beforeItsTimeout(frozenMs);
    expect(tg.sent(chat)).toHaveLength(1);
    // Nothing of the failure landed: Telegram still enabled for the contact, nothing for the sandbox.
    expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).disabledChannels).toEqual([]);
    expect(said).toMatchObject({ msg: CLAIM_LOST, outcome: 'failed' });
    await stop(a);
    await stop(b);
    expect(await t.prisma.outboxMessage.count({ where: { contactId } })).toBe(0);
    expect(sendsTo(chat)).toHaveLength(2);
  }, 300_000);
});
