import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createZaloChannel, zaloDeliveryError, type ZaloChannelOptions } from '#root/channels/zalo/index.js';
import { createZaloLimiter, runLimited, ZALO_LIMITS } from '#root/channels/zalo/limiter.js';
import { DeliveryError, type OutgoingMessage, type Recipient } from '#root/channels/types.js';
import { ZaloApiError, ZaloNetworkError } from '#root/channels/zalo/client.js';
import { createChannels } from '#root/channels/index.js';
import { ZALO_CALLS_PER_SEND } from '#root/channels/send-bounds.js';
import { loadConfig } from '#root/config.js';
import { createLogger } from '#root/logger.js';
import { startZaloServer, type FakeZalo, type StartZaloServerOptions } from '../helpers/zalo-server.js';

let fake: FakeZalo | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function recipient(zaloUserId: string | null, contactId = `c-${zaloUserId ?? 'none'}`): Recipient {
  return { contactId, name: 'Nguyễn Thị Lan', locale: 'vi', email: null, telegramChatId: null, zaloUserId };
}

function reminder(text: string, reminderId = 'r1'): OutgoingMessage {
  return { orgId: 'org1', ref: { reminderId }, subject: 'Nhắc hạn', text };
}

/** The channel against a fake server; its own limiter (never the process-wide one) unless given. */
async function start(server: StartZaloServerOptions = {}, channel: Partial<ZaloChannelOptions> = {}) {
  fake = await startZaloServer(server);
  const zalo = createZaloChannel({
    token: fake.token,
    apiRoot: fake.apiRoot,
    limiter: createZaloLimiter({ perSecond: 50, perChatIntervalMs: 0 }),
    ...channel,
  });
  return { fake, zalo };
}

/** pace then send, as the delivery service does. */
async function deliver(zalo: ReturnType<typeof createZaloChannel>, to: Recipient, message: OutgoingMessage) {
  await zalo.pace?.(to);
  return zalo.send(to, message);
}

async function deliveryError(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}

/** A long reminder in Vietnamese: `n` numbered paragraphs of about 300 characters. */
function longReminder(n: number): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `${i + 1}. Đơn vị chủ trì báo cáo kết quả thực hiện nhiệm vụ bảo đảm an toàn thông tin mạng năm 2025, gửi Sở Thông tin và Truyền thông trước ngày 15/11 để tổng hợp báo cáo Ủy ban nhân dân Thành phố. Gõ /xong ${i + 1} khi đã hoàn thành, hoặc /giahan ${i + 1} để xin gia hạn. ✅`,
  ).join('\n\n');
}

describe('the Zalo reminders channel', () => {
  it('is a non-transactional channel named zalo', async () => {
    const { zalo } = await start({}, { perSecond: 7 });
    expect(zalo).toMatchObject({ name: 'zalo', transactional: false, maxInFlight: 7 });
    const defaults = createZaloChannel({ token: '1:x-secret' });
    expect(defaults.maxInFlight).toBe(ZALO_LIMITS.perSecond);
    expect(defaults.client.apiRoot).toBe('https://bot-api.zaloplatforms.com');
  });

  describe('sending a reminder', () => {
    it('sends the text to the contact’s Zalo user, the message id as external id', async () => {
      const { fake: f, zalo } = await start();
      const text = 'Nhắc hạn: báo cáo an toàn thông tin năm 2025 trước 15/11.\nGõ /xong 4.2 khi đã hoàn thành.';
      const result = await deliver(zalo, recipient('u-lan'), reminder(text));
      expect(f.sent('u-lan')).toEqual([expect.objectContaining({ kind: 'text', text })]);
      expect(result.externalId).toBe(f.sent('u-lan')[0]!.message_id);
    });

    it('splits a long text into parts of at most 2,000 characters, sent in order; the first part’s id is the external id', async () => {
      const { fake: f, zalo } = await start({ limits: false });
      const text = longReminder(20);
      expect(text.length).toBeGreaterThan(4_000);
      const result = await deliver(zalo, recipient('u1'), reminder(text));
      const parts = f.sent('u1');
      expect(parts.length).toBeGreaterThanOrEqual(3);
      for (const p of parts) expect(p.text!.length).toBeLessThanOrEqual(2_000);
      // In order, nothing lost: the parts are the paragraphs, cut between them.
      expect(parts.map((p) => p.text).join('\n\n')).toBe(text);
      expect(result.externalId).toBe(parts[0]!.message_id);
    });

    it('spaces the parts of one message per the chat interval', async () => {
      const { fake: f, zalo } = await start(
        { limits: { perSecond: 10, perChatMs: 300 } },
        { limiter: createZaloLimiter({ perSecond: 10, perChatIntervalMs: 400 }) },
      );
      await deliver(zalo, recipient('u1'), reminder(longReminder(15)));
      const calls = f.calls.filter((c) => c.method === 'sendMessage');
      expect(calls.every((c) => c.status === 200)).toBe(true);
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(300);
    });
  });

  describe('when the message cannot be delivered', () => {
    it('fails permanently, without calling Zalo, for a contact with no Zalo user', async () => {
      const { fake: f, zalo } = await start();
      const e = await deliveryError(deliver(zalo, recipient(null), reminder('x')));
      expect(e.permanent).toBe(true);
      expect(f.calls).toEqual([]);
    });

    it('fails permanently when the user blocked the bot (the fake’s 404)', async () => {
      const { fake: f, zalo } = await start();
      f.block('u-blocked');
      const e = await deliveryError(deliver(zalo, recipient('u-blocked'), reminder('x')));
      expect(e.permanent).toBe(true);
      expect(e.message).toMatch(/^Zalo 404: /);
      expect(e.cause).toBeInstanceOf(ZaloApiError);
    });

    it('fails permanently on a 403 or 400 whose description says the user blocked the bot or is unknown', async () => {
      const { fake: f, zalo } = await start();
      f.block('u2', { errorCode: 403, description: 'User has blocked the bot' });
      expect((await deliveryError(deliver(zalo, recipient('u2'), reminder('x')))).permanent).toBe(true);
      f.fail('sendMessage', { status: 400, description: 'Bad request: chat_id is invalid', chatId: 'u3' });
      expect((await deliveryError(deliver(zalo, recipient('u3'), reminder('x')))).permanent).toBe(true);
      f.fail('sendMessage', { status: 400, description: 'Người dùng không tồn tại', chatId: 'u4' });
      expect((await deliveryError(deliver(zalo, recipient('u4'), reminder('x')))).permanent).toBe(true);
    });

    it('does not disable on an unknown 403: Zalo documents 403 as its internal server error', async () => {
      const { fake: f, zalo } = await start();
      f.fail('sendMessage', { status: 403, description: 'Internal server error' });
      expect((await deliveryError(deliver(zalo, recipient('u1'), reminder('x')))).permanent).toBe(false);
    });

    it('does not disable on a bad bot token (401): it is no contact’s fault', async () => {
      const { fake: f } = await start();
      const zalo = createZaloChannel({
        token: '42:not-the-token',
        apiRoot: f.apiRoot,
        limiter: createZaloLimiter({ perChatIntervalMs: 0 }),
      });
      const e = await deliveryError(deliver(zalo, recipient('u1'), reminder('x')));
      expect(e.permanent).toBe(false);
      expect(e.message).toBe('Zalo 401: Unauthorized');
      expect(e.message).not.toContain('not-the-token');
    });

    it('retries later on 5xx, timeouts, cut connections and a 429 that lasts; a 400 fails this message for good, the chat kept', async () => {
      const { fake: f, zalo } = await start(
        {},
        { timeoutMs: 300, maxRateRetries: 1, limiter: createZaloLimiter({ perSecond: 50, perChatIntervalMs: 0 }) },
      );
      f.fail('sendMessage', { status: 500, chatId: 'a' });
      f.fail('sendMessage', { status: 502, description: 'Bad gateway', chatId: 'b' });
      f.fail('sendMessage', { status: 'timeout', chatId: 'c' });
      f.fail('sendMessage', { status: 'reset', chatId: 'd' });
      f.fail('sendMessage', {
        status: 400,
        description: 'Bad request: text must be from 1 to 2000 characters',
        chatId: 'e',
      });
      f.fail('sendMessage', { status: 429, description: 'Quota exceeded', retryAfter: 0, times: 2, chatId: 'f' });
      f.fail('sendMessage', { status: 408, description: 'Request timeout', chatId: 'g' });
      for (const chat of ['a', 'b', 'c', 'd', 'f', 'g']) {
        const e = await deliveryError(deliver(zalo, recipient(chat), reminder('x')));
        expect(e.permanent, `chat ${chat}: ${e.message}`).toBe(false);
      }
      // A text Zalo refuses would be refused again on every retry (it was retried forever).
      expect(await deliveryError(deliver(zalo, recipient('e'), reminder('x')))).toMatchObject({
        permanent: true,
        scope: 'message',
      });
      expect(f.sent()).toEqual([]);
    });

    it('resumes after the parts already delivered when a later part failed', async () => {
      const { fake: f, zalo } = await start({ limits: false });
      const text = longReminder(15);
      f.fail('sendMessage', { status: 'reset', after: 1 }); // the second part's connection is cut, once
      const to = recipient('u1');
      const e = await deliveryError(deliver(zalo, to, reminder(text)));
      expect(e.permanent).toBe(false);
      expect(f.sent('u1')).toHaveLength(1);
      const firstId = f.sent('u1')[0]!.message_id;

      const result = await deliver(zalo, to, reminder(text));
      expect(result.externalId).toBe(firstId);
      const parts = f.sent('u1');
      expect(parts.map((p) => p.text).join('\n\n')).toBe(text); // each part once, in order
      // Another message to the same contact starts from its first part.
      await deliver(zalo, to, reminder('Tin khác', 'r2'));
      expect(f.sent('u1').at(-1)?.text).toBe('Tin khác');
      await zalo.close?.();
    });
    it('gives a call up after ZALO_TIMEOUT_SECONDS, the channel built from the configuration', async () => {
      fake = await startZaloServer();
      const config = loadConfig({ ZALO_BOT_TOKEN: fake.token, ZALO_API_ROOT: fake.apiRoot, ZALO_TIMEOUT_SECONDS: '1' });
      const channels = await createChannels(config, createLogger({ level: 'silent' }));
      const zalo = channels.zalo as ReturnType<typeof createZaloChannel>;
      try {
        fake.fail('sendMessage', { status: 'timeout', chatId: 'slow' });
        const e = await deliveryError(deliver(zalo, recipient('slow'), reminder('x')));
        // No answer: the message may have arrived.
        expect(e).toMatchObject({ permanent: false, outcomeUnknown: true });
        expect(e.cause).toMatchObject({ timedOut: true, message: 'Zalo sendMessage: no answer in time (1000 ms)' });
      } finally {
        for (const channel of Object.values(channels)) if ('close' in channel) await channel.close?.();
      }
    });
  });

  describe('under its claim’s lease', () => {
    it('makes one call a send, a 429 given back to the queue and waited out by the next pace, before its claim', async () => {
      fake = await startZaloServer({ limits: false });
      // The shortest lease with the largest timeout that fits it (1 s + 0.3 s to record ≤ 2 s): the
      // check counts ZALO_CALLS_PER_SEND calls of ZALO_TIMEOUT_SECONDS, so a send must make no more.
      const config = loadConfig({
        ZALO_BOT_TOKEN: fake.token,
        ZALO_API_ROOT: fake.apiRoot,
        ZALO_TIMEOUT_SECONDS: '1',
        WEBHOOK_TIMEOUT_SECONDS: '1',
        CLAIM_LEASE_SECONDS: '2',
      });
      expect(ZALO_CALLS_PER_SEND).toBe(1);
      const channels = await createChannels(config, createLogger({ level: 'silent' }));
      const zalo = channels.zalo as ReturnType<typeof createZaloChannel>;
      try {
        fake.fail('sendMessage', { status: 429, description: 'Quota exceeded', retryAfter: 1, chatId: 'quota' });
        const t0 = Date.now();
        const e = await deliveryError(deliver(zalo, recipient('quota'), reminder('x')));
        // Zalo refused it: nothing went out, and the send did not wait for the hint under its claim.
        expect(e).toMatchObject({ permanent: false, outcomeUnknown: false, message: 'Zalo 429: Quota exceeded' });
        expect(fake.calls.filter((c) => c.chatId === 'quota')).toHaveLength(ZALO_CALLS_PER_SEND);
        // The retry's pace (before its claim) waits the hint out; its send is again one call.
        await zalo.pace?.(recipient('quota'));
        expect(Date.now() - t0).toBeGreaterThanOrEqual(990); // the hint's 1 s, from before the 429
        await zalo.send(recipient('quota'), reminder('x'));
        expect(fake.calls.filter((c) => c.chatId === 'quota').map((c) => c.status)).toEqual([429, 200]);
        expect(fake.sent('quota')).toHaveLength(1);
      } finally {
        for (const channel of Object.values(channels)) if ('close' in channel) await channel.close?.();
      }
    });
  });

  describe('pacing', () => {
    it('spaces reminders to one chat by the interval, before Zalo has to say 429', async () => {
      const { fake: f, zalo } = await start(
        { limits: { perSecond: 10, perChatMs: 300 } },
        { limiter: createZaloLimiter({ perSecond: 10, perChatIntervalMs: 400 }) },
      );
      await Promise.all(
        Array.from({ length: 4 }, (_, i) => deliver(zalo, recipient('busy'), reminder(`nhắc ${i}`, `r${i}`))),
      );
      const calls = f.calls.filter((c) => c.chatId === 'busy');
      expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(300);
    });

    it('does not hold up other chats behind a busy one', async () => {
      const { fake: f, zalo } = await start(
        { limits: false },
        { limiter: createZaloLimiter({ perSecond: 50, perChatIntervalMs: 1_000 }) },
      );
      const busy = Promise.all(
        Array.from({ length: 3 }, (_, i) => deliver(zalo, recipient('busy'), reminder(`nhắc ${i}`, `r${i}`))),
      );
      const t0 = Date.now();
      await Promise.all(['o1', 'o2', 'o3'].map((chat) => deliver(zalo, recipient(chat), reminder('x'))));
      const others = Date.now() - t0;
      await busy;
      const busyCalls = f.calls.filter((c) => c.chatId === 'busy');
      const busySpan = busyCalls.at(-1)!.at - busyCalls[0]!.at;
      expect(busySpan).toBeGreaterThanOrEqual(1_800);
      expect(others).toBeLessThan(busySpan / 2); // a ratio, not a wall-clock bound
    });

    it('keeps the bot under perSecond across chats', async () => {
      // Our 5 a second against the fake's 6: room for requests that travel unevenly.
      const { fake: f, zalo } = await start(
        { limits: { perSecond: 6, perChatMs: 0 } },
        { limiter: createZaloLimiter({ perSecond: 5, perChatIntervalMs: 0 }) },
      );
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 10 }, (_, i) => deliver(zalo, recipient(`u${i}`), reminder('x'))));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500); // 10 messages at 5 a second
      expect(f.calls.filter((c) => c.status === 429)).toEqual([]);
      expect(f.sent()).toHaveLength(10);
    });
  });
});

describe('zaloDeliveryError', () => {
  const api = (errorCode: number, description: string) =>
    new ZaloApiError({ method: 'sendMessage', errorCode, description, httpStatus: errorCode });
  it('disables the channel only when the contact’s address is at fault', () => {
    expect(zaloDeliveryError(api(404, 'Not found'))).toMatchObject({ permanent: true, scope: 'address' });
    expect(zaloDeliveryError(api(403, 'The user blocked this bot'))).toMatchObject({
      permanent: true,
      scope: 'address',
    });
    expect(zaloDeliveryError(api(400, 'Bad request: user not found'))).toMatchObject({
      permanent: true,
      scope: 'address',
    });
  });
  it('fails a message Zalo refuses with another 400 for good, without disabling the chat (a retry cannot succeed)', () => {
    expect(zaloDeliveryError(api(400, 'Bad request: invalid API name'))).toMatchObject({
      permanent: true,
      scope: 'message',
    });
    expect(zaloDeliveryError(api(400, 'Bad request: text is too long'))).toMatchObject({
      permanent: true,
      scope: 'message',
    });
  });
  it('retries what may succeed later: Zalo’s internal 403, the token, quotas, server errors', () => {
    expect(zaloDeliveryError(api(403, 'Internal server error'))?.permanent).toBe(false);
    expect(zaloDeliveryError(api(401, 'Unauthorized'))?.permanent).toBe(false);
    expect(zaloDeliveryError(api(429, 'Quota exceeded'))?.permanent).toBe(false);
    expect(zaloDeliveryError(api(500, 'Internal server error'))?.permanent).toBe(false);
    expect(zaloDeliveryError(new Error('other'))).toBeUndefined();
  });
  it('counts a call that may have arrived (timed out, connection cut) as of unknown outcome, and one never made as not', () => {
    const net = (timedOut: boolean, code: string) =>
      new ZaloNetworkError({ method: 'sendMessage', timedOut, code, detail: code });
    expect(zaloDeliveryError(net(true, 'ETIMEDOUT'))).toMatchObject({ permanent: false, outcomeUnknown: true });
    expect(zaloDeliveryError(net(false, 'ECONNRESET'))).toMatchObject({ permanent: false, outcomeUnknown: true });
    expect(zaloDeliveryError(net(false, 'ECONNREFUSED'))).toMatchObject({ permanent: false, outcomeUnknown: false });
    expect(zaloDeliveryError(api(500, 'Internal server error'))?.outcomeUnknown).toBe(false);
  });
});

describe('the Zalo limiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** When each acquire resolves, in fake ms from the start. */
  async function times(chats: string[], limiter = createZaloLimiter()): Promise<number[]> {
    const start = Date.now();
    const out = new Array<number>(chats.length);
    const all = Promise.all(chats.map((chat, i) => limiter.acquire(chat).then(() => (out[i] = Date.now() - start))));
    await vi.advanceTimersByTimeAsync(120_000);
    await all;
    return out;
  }
  const maxInAnySecond = (ts: number[]) => Math.max(...ts.map((t) => ts.filter((u) => u >= t && u < t + 1_000).length));

  it('lets at most 10 messages a second leave the bot by default, and no fewer than it may', async () => {
    const ts = await times(Array.from({ length: 30 }, (_, i) => `u${i}`));
    expect(maxInAnySecond(ts)).toBeLessThanOrEqual(10);
    expect(Math.max(...ts)).toBeLessThan(3_100);
  });

  it('spaces one chat a second apart by default, without holding up the others', async () => {
    const ts = await times(['a', 'a', 'a', 'b', 'c']);
    expect(ts[1]! - ts[0]!).toBeGreaterThanOrEqual(1_000);
    expect(ts[2]! - ts[1]!).toBeGreaterThanOrEqual(1_000);
    expect(ts[3]).toBeLessThan(500);
    expect(ts[4]).toBeLessThan(500);
  });

  it('takes custom limits', async () => {
    const ts = await times(['a', 'a', 'b', 'c', 'd'], createZaloLimiter({ perSecond: 2, perChatIntervalMs: 3_000 }));
    expect(ts[1]! - ts[0]!).toBeGreaterThanOrEqual(3_000);
    expect(maxInAnySecond(ts)).toBeLessThanOrEqual(2);
  });

  it('after a 429, holds the chat and the bot for the hint', async () => {
    const limiter = createZaloLimiter();
    limiter.backOff('a', 5);
    const ts = await times(['a', 'b'], limiter);
    expect(ts[0]).toBeGreaterThanOrEqual(5_000);
    expect(ts[1]).toBeGreaterThanOrEqual(5_000); // Zalo's 429 is the bot's quota
  });

  it('runLimited retries a rate-limited call after the hint, a bounded number of times', async () => {
    const limiter = createZaloLimiter();
    const rateLimitOf = (e: unknown) =>
      e instanceof Error && e.message === '429' ? { retryAfterSeconds: 2 } : undefined;
    let calls = 0;
    const start = Date.now();
    const ok = runLimited(
      limiter,
      'a',
      async () => {
        if (++calls < 3) throw new Error('429');
        return Date.now() - start;
      },
      rateLimitOf,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await ok).toBeGreaterThanOrEqual(4_000);
    expect(calls).toBe(3);

    let failing = 0;
    const alwaysLimited = () => {
      failing++;
      return Promise.reject(new Error('429'));
    };
    const gaveUp = runLimited(limiter, 'b', alwaysLimited, rateLimitOf, { maxRetries: 2 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await gaveUp).toBeInstanceOf(Error);
    expect(failing).toBe(3);

    const other = runLimited(limiter, 'c', () => Promise.reject(new Error('boom')), rateLimitOf).catch(
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(((await other) as Error).message).toBe('boom');
  });
});
