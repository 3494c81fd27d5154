import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { createTelegramLimiter } from '#root/channels/telegram/limiter.js';
import { DeliveryError, type OutgoingMessage, type Recipient } from '#root/channels/types.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const BLOCKED_CHAT = 6001;
const FLAKY_CHAT = 6002;
const BUSY_CHAT = 6003;

/**
 * The Telegram reminders channel through a real worker and a Bot API server that keeps Telegram's
 * limits: a blocked bot falls back to the contact's next channel, a server error is retried into a
 * single message, and several reminders to one chat are paced before Telegram has to say 429.
 */
describe('the Telegram reminders channel', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  let orgId: string;
  /** Per chat: the contact and the obligation of its unit. */
  const units = new Map<number, { contactId: string; obligationId: string }>();
  /** The duty's due date: next year, whatever day this runs. */
  let next: ReturnType<typeof dueNextYear>;

  beforeAll(async () => {
    t = await createTestDatabase();
    // The worker runs on BullMQ and PostgreSQL's real time: the test's clock starts at it.
    const now = wallClockStart();
    next = dueNextYear(now);
    const mini = await buildMiniOrg(t.prisma, {
      units: 3,
      duties: [{ code: 'A', due: next.due }],
      channels: ['telegram', 'sandbox'],
      now,
    });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, next.window, now);
    for (const [i, chat] of [BLOCKED_CHAT, FLAKY_CHAT, BUSY_CHAT].entries()) {
      const contact = await t.prisma.contact.update({
        where: { id: mini.contacts[i]!.id },
        data: { telegramChatId: BigInt(chat) },
      });
      const obligation = await t.prisma.obligation.findFirstOrThrow({ where: { orgId, unitId: contact.unitId } });
      units.set(chat, { contactId: contact.id, obligationId: obligation.id });
    }
    tg = await startFakeTelegram({ limits: true });
    s = await startTestApp(t, {
      start: now,
      roles: ['worker'],
      channels: {
        sandbox: createSandboxChannel(),
        telegram: createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot }),
      },
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await t?.close();
  });

  /** `count` Telegram reminders due now to the contact of `chat`, queued. */
  async function remind(chat: number, tag: string, count = 1): Promise<string[]> {
    const { contactId, obligationId } = units.get(chat)!;
    const now = s.clock.now();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const r = await t.prisma.reminder.create({
        data: {
          orgId,
          obligationId,
          contactId,
          channel: 'telegram',
          kind: 'overdue',
          stage: `nudge-${tag}${i}@${next.stageDay}`,
          scheduledAt: new Date(now.getTime() - count + i),
        },
      });
      ids.push(r.id);
    }
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, now, 0);
    return ids;
  }
  const sendsTo = (chat: number) => tg.calls.filter((c) => c.method === 'sendMessage' && c.chatId === String(chat));

  it('disables Telegram for a contact whose chat blocked the bot, and delivers on the next channel', async () => {
    tg.block(BLOCKED_CHAT);
    const [id] = await remind(BLOCKED_CHAT, 'blocked');
    await waitFor(
      async () => (await t.prisma.reminder.findUniqueOrThrow({ where: { id: id! } })).status === 'failed',
      10_000,
      'the Telegram reminder failed',
    );
    const { contactId, obligationId } = units.get(BLOCKED_CHAT)!;
    expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).disabledChannels).toContain(
      'telegram',
    );
    const failed = await t.prisma.reminder.findUniqueOrThrow({ where: { id: id! } });
    expect(failed.lastError).toMatch(/blocked by the user/);

    await waitFor(
      async () =>
        (await t.prisma.reminder.findFirst({
          where: { obligationId, contactId, channel: 'sandbox', status: 'sent' },
        })) !== null,
      10_000,
      'the fallback on the sandbox delivered',
    );
    const fallback = await t.prisma.reminder.findFirstOrThrow({
      where: { obligationId, contactId, channel: 'sandbox' },
    });
    expect(fallback.stage).toBe(failed.stage);
    expect(await t.prisma.outboxMessage.count({ where: { reminderId: fallback.id } })).toBe(1);
    expect(tg.sent(BLOCKED_CHAT)).toHaveLength(0);
    expect(sendsTo(BLOCKED_CHAT).map((c) => c.status)).toEqual([403]);
  });

  it('retries a 500 from Telegram and delivers the reminder exactly once', async () => {
    tg.fail({ status: 500, method: 'sendMessage', chatId: FLAKY_CHAT });
    const [id] = await remind(FLAKY_CHAT, 'flaky');
    await waitFor(
      async () => (await t.prisma.reminder.findUniqueOrThrow({ where: { id: id! } })).status === 'sent',
      15_000,
      'the reminder sent after a retry',
    );
    const row = await t.prisma.reminder.findUniqueOrThrow({ where: { id: id! } });
    expect(row.attempts).toBe(2);
    expect(sendsTo(FLAKY_CHAT).map((c) => c.status)).toEqual([500, 200]);
    const sent = tg.sent(FLAKY_CHAT);
    expect(sent).toHaveLength(1);
    expect(row.externalId).toBe(`${FLAKY_CHAT}:${sent[0]!.message_id}`);
    // Nothing else goes out later (the job is done, not queued again).
    await drained(s.app.sendQueue());
    expect(tg.sent(FLAKY_CHAT)).toHaveLength(1);
    expect(
      await t.prisma.reminder.count({ where: { contactId: units.get(FLAKY_CHAT)!.contactId, channel: 'sandbox' } }),
    ).toBe(0);
  }, 30_000);

  it('paces five reminders to one private chat a second apart, before Telegram says 429', async () => {
    const ids = await remind(BUSY_CHAT, 'busy', 5);
    await waitFor(
      async () => (await t.prisma.reminder.count({ where: { id: { in: ids }, status: 'sent' } })) === 5,
      20_000,
      'five reminders sent',
    );
    expect(tg.sent(BUSY_CHAT)).toHaveLength(5);
    const calls = sendsTo(BUSY_CHAT);
    expect(calls.filter((c) => c.status === 429)).toHaveLength(0);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_000);
  }, 30_000);
});

/**
 * A send Telegram never answers may have gone out: the channel says the outcome is unknown, so that
 * the retry is counted as a possible duplicate. A server that cannot be reached took nothing.
 */
describe('a Telegram send without an answer', () => {
  const to: Recipient = {
    contactId: 'c',
    name: 'Người 1',
    locale: 'vi',
    email: null,
    telegramChatId: 42n,
    zaloUserId: null,
  };
  const message: OutgoingMessage = { orgId: 'o', ref: { reminderId: 'r' }, subject: 'Nhắc', text: 'Nhắc hạn' };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => expect.unreachable(),
      (e: unknown) => e as DeliveryError,
    );

  it('gives up after its timeout, as a temporary failure of unknown outcome', async () => {
    const tg = await startFakeTelegram({ limits: false });
    try {
      const channel = createTelegramChannel({
        token: TOKEN,
        apiRoot: tg.apiRoot,
        timeoutSeconds: 1,
        limiter: createTelegramLimiter(),
      });
      tg.fail({ status: 'timeout', method: 'sendMessage' });
      const error = await failure(channel.send(to, message));
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false, outcomeUnknown: true });
      expect(tg.calls.at(-1)).toMatchObject({ method: 'sendMessage', status: 0 });
    } finally {
      await tg.close();
    }
  });

  it('knows nothing went out when the server refuses the connection', async () => {
    const tg = await startFakeTelegram({ limits: false });
    await tg.close();
    const channel = createTelegramChannel({
      token: TOKEN,
      apiRoot: tg.apiRoot,
      timeoutSeconds: 1,
      limiter: createTelegramLimiter(),
    });
    const error = await failure(channel.send(to, message));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ permanent: false, outcomeUnknown: false });
  });

  it('knows nothing went out on a 500 answer', async () => {
    const tg = await startFakeTelegram({ limits: false });
    try {
      const channel = createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot, limiter: createTelegramLimiter() });
      tg.fail({ status: 500, method: 'sendMessage' });
      expect(await failure(channel.send(to, message))).toMatchObject({ permanent: false, outcomeUnknown: false });
    } finally {
      await tg.close();
    }
  });
});
