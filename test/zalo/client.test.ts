import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkZaloSecret,
  createZaloClient,
  parseZaloUpdate,
  ZaloApiError,
  ZaloNetworkError,
  type ZaloClient,
} from '#root/channels/zalo/client.js';
import { createZaloLimiter } from '#root/channels/zalo/limiter.js';
import { waitFor } from '../helpers/processes.js';
import { startZaloServer, type FakeZalo, type StartZaloServerOptions } from '../helpers/zalo-server.js';

let fake: FakeZalo | undefined;
const servers: http.Server[] = [];

afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function start(
  options?: StartZaloServerOptions,
  clientOptions: Partial<Parameters<typeof createZaloClient>[0]> = {},
): Promise<{ fake: FakeZalo; zalo: ZaloClient }> {
  fake = await startZaloServer(options);
  return { fake, zalo: createZaloClient({ token: fake.token, apiRoot: fake.apiRoot, ...clientOptions }) };
}

/** A plain HTTP server answering every request with `answer` (for answers the fake never gives). */
async function rawServer(answer: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

/** Every way an error can end up in a log: message, stack, util.inspect, JSON. */
function everythingAbout(error: unknown): string {
  const e = error as Error;
  return [e.message, e.stack ?? '', inspect(error, { depth: 5 }), JSON.stringify(error)].join('\n');
}

describe('the Zalo client', () => {
  it('checks the token with getMe', async () => {
    const { fake: f, zalo } = await start();
    expect(await zalo.getMe()).toEqual({
      id: f.botId,
      account_name: 'bot.DondocTest',
      account_type: 'BASIC',
      can_join_groups: false,
    });
    expect(f.calls[0]).toMatchObject({ method: 'getMe', httpMethod: 'POST', status: 200 });
  });

  it('sends a message and returns its id and date', async () => {
    const { fake: f, zalo } = await start();
    const sent = await zalo.sendMessage('u1', 'Nhắc hạn: báo cáo an toàn thông tin trước 15/11');
    expect(sent.message_id).toMatch(/^[0-9a-f]{20}$/);
    expect(f.sent('u1')).toEqual([
      expect.objectContaining({ message_id: sent.message_id, text: 'Nhắc hạn: báo cáo an toàn thông tin trước 15/11' }),
    ]);
    expect(f.calls.at(-1)?.params).toEqual({ chat_id: 'u1', text: 'Nhắc hạn: báo cáo an toàn thông tin trước 15/11' });
  });

  it('sends photos, stickers and the typing action', async () => {
    const { fake: f, zalo } = await start({ limits: false });
    await zalo.sendPhoto('u1', 'https://example.test/a.png', 'Biên bản');
    await zalo.sendPhoto('u1', 'https://example.test/b.png');
    await zalo.sendSticker('u1', '0e078a2fb66a5f34067b');
    expect(await zalo.sendChatAction('u1')).toBe(true);
    expect(f.sent('u1').map((m) => [m.kind, m.caption])).toEqual([
      ['photo', 'Biên bản'],
      ['photo', undefined],
      ['sticker', undefined],
    ]);
    expect(f.calls.at(-1)?.params).toEqual({ chat_id: 'u1', action: 'typing' });
  });

  describe('errors', () => {
    it('throws ZaloApiError with the method, code and description', async () => {
      const { zalo } = await start();
      const e = await failure(zalo.sendMessage('u1', 'x'.repeat(2_001)));
      expect(e).toBeInstanceOf(ZaloApiError);
      expect(e).toMatchObject({
        method: 'sendMessage',
        errorCode: 400,
        httpStatus: 400,
        description: 'Bad request: text must be from 1 to 2000 characters',
        retryAfter: undefined,
      });
      expect((e as Error).message).toBe('Zalo sendMessage 400: Bad request: text must be from 1 to 2000 characters');
    });

    it('treats ok:false as a failure even with HTTP 200', async () => {
      const { fake: f, zalo } = await start();
      f.fail('sendMessage', { status: 200, errorCode: 404, description: 'Not found' });
      expect(await failure(zalo.sendMessage('u1', 'x'))).toMatchObject({ errorCode: 404, httpStatus: 200 });
    });

    it('never shows the token: wrong token, echoed token, network failure, timeout', async () => {
      const { fake: f, zalo } = await start();
      const wrongToken = '999999:AnotherSecretThatMustNotLeak';
      const wrong = createZaloClient({ token: wrongToken, apiRoot: f.apiRoot });
      const unauthorized = await failure(wrong.getMe());
      expect(unauthorized).toMatchObject({ errorCode: 401, description: 'Unauthorized' });
      expect(everythingAbout(unauthorized)).not.toContain(wrongToken);

      // A server (or proxy) that echoes the URL in its description.
      f.fail('getMe', { status: 400, description: `cannot route /bot${f.token}/getMe (token ${f.token})` });
      const echoed = await failure(zalo.getMe());
      expect((echoed as ZaloApiError).description).toBe('cannot route /bot<token>/getMe (token <token>)');
      expect(everythingAbout(echoed)).not.toContain(f.token);

      f.fail('getMe', { status: 'timeout' });
      const slow = createZaloClient({ token: f.token, apiRoot: f.apiRoot, timeoutMs: 200 });
      const timedOut = await failure(slow.getMe());
      expect(timedOut).toBeInstanceOf(ZaloNetworkError);
      expect(timedOut).toMatchObject({ method: 'getMe', timedOut: true });
      expect(everythingAbout(timedOut)).not.toContain(f.token);

      f.fail('getMe', { status: 'reset' });
      const reset = await failure(zalo.getMe());
      expect(reset).toMatchObject({ name: 'ZaloNetworkError', timedOut: false });
      expect(everythingAbout(reset)).not.toContain(f.token);

      // A port nobody listens on (a fresh one: no pooled keep-alive socket points there).
      const vacant = http.createServer();
      await new Promise<void>((resolve) => vacant.listen(0, '127.0.0.1', () => resolve()));
      const { port } = vacant.address() as AddressInfo;
      await new Promise<void>((resolve) => vacant.close(() => resolve()));
      const refused = await failure(createZaloClient({ token: f.token, apiRoot: `http://127.0.0.1:${port}` }).getMe());
      expect(refused).toMatchObject({ name: 'ZaloNetworkError', code: 'ECONNREFUSED' });
      expect(everythingAbout(refused)).not.toContain(f.token);
    });

    it('reports an answer that is not Zalo’s JSON as a ZaloApiError with the HTTP status', async () => {
      const root = await rawServer((res) =>
        res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
      );
      const zalo = createZaloClient({ token: '1:abc-secret', apiRoot: root });
      expect(await failure(zalo.getMe())).toMatchObject({ name: 'ZaloApiError', errorCode: 502, httpStatus: 502 });
    });

    it('refuses to start without a token', () => {
      expect(() => createZaloClient({ token: ' ' })).toThrow(TypeError);
    });
  });

  describe('getUpdates', () => {
    it('returns the update a user sent, one per call, and [] when the long poll times out', async () => {
      const { fake: f, zalo } = await start();
      const poll = zalo.getUpdates({ timeout: 5 });
      // The user writes once the poll waits at the server.
      await waitFor(async () => f.polling() > 0, 10_000, 'the poll at the server');
      f.userSends('u5', '/trogiup');
      const [update] = await poll;
      expect(update).toMatchObject({
        event_name: 'message.text.received',
        message: { chat: { id: 'u5' }, text: '/trogiup' },
      });
      expect(f.calls.at(-1)?.params).toEqual({ timeout: '5' }); // a String, as the docs' table types it
      expect(await zalo.getUpdates({ timeout: 1 })).toEqual([]);
    });

    it('accepts an array of updates too', async () => {
      const update = {
        event_name: 'message.text.received',
        message: { message_id: 'm1', date: 1, from: { id: 'u1' }, chat: { id: 'u1', chat_type: 'PRIVATE' }, text: 'a' },
      };
      const root = await rawServer((res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, result: [update, { junk: true }] })),
      );
      const zalo = createZaloClient({ token: '1:abc-secret', apiRoot: root });
      expect(await zalo.getUpdates({ timeout: 1 })).toEqual([update]);
    });

    it('fails while a webhook is set', async () => {
      const { zalo } = await start();
      await zalo.setWebhook({ url: 'https://dondoc.example.vn/zalo/webhook', secret_token: 'mot-bi-mat-dai' });
      expect(await failure(zalo.getUpdates({ timeout: 1 }))).toMatchObject({ name: 'ZaloApiError', errorCode: 400 });
    });

    it('stops when the caller aborts, with the caller’s reason', async () => {
      const { fake: f, zalo } = await start();
      const controller = new AbortController();
      const poll = zalo.getUpdates({ timeout: 30 }, { signal: controller.signal });
      // Aborted while the poll waits at the server.
      await waitFor(async () => f.polling() > 0, 10_000, 'the poll at the server');
      controller.abort(new Error('shutting down'));
      const e = await failure(poll);
      expect((e as Error).message).toBe('shutting down');
    });
  });

  it('sets, reads and deletes the webhook', async () => {
    const { zalo } = await start();
    expect(await zalo.getWebhookInfo()).toMatchObject({ url: '' });
    expect(
      await zalo.setWebhook({ url: 'https://dondoc.example.vn/zalo/webhook', secret_token: 'mot-bi-mat-dai' }),
    ).toMatchObject({
      url: 'https://dondoc.example.vn/zalo/webhook',
    });
    expect((await zalo.getWebhookInfo()).url).toBe('https://dondoc.example.vn/zalo/webhook');
    expect(await failure(zalo.setWebhook({ url: 'https://dondoc.example.vn/z', secret_token: 'ngan' }))).toMatchObject({
      errorCode: 400,
    });
    expect(await zalo.deleteWebhook()).toMatchObject({ url: '' });
  });

  describe('rate limits', () => {
    it('without a limiter, throws the 429 at once with its retry hint', async () => {
      const { zalo } = await start();
      await zalo.sendMessage('u1', 'một');
      const e = await failure(zalo.sendMessage('u1', 'hai'));
      expect(e).toMatchObject({ errorCode: 429, description: 'Quota exceeded', retryAfter: 1 });
    });

    it('with a limiter, waits out a 429 for the hint and retries the call', async () => {
      // Our side does not pace this chat (0 ms), so the fake's 1 s per chat answers 429.
      const { fake: f, zalo } = await start(
        { limits: { perSecond: 10, perChatMs: 1_000 } },
        { limiter: createZaloLimiter({ perSecond: 100, perChatIntervalMs: 0 }) },
      );
      await zalo.sendMessage('u1', 'một');
      const t0 = Date.now();
      await zalo.sendMessage('u1', 'hai');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // retry_after: 1 s
      expect(f.calls.map((c) => c.status)).toEqual([200, 429, 200]);
      expect(f.sent('u1').map((m) => m.text)).toEqual(['một', 'hai']);
    });

    it('reads the hint from a Retry-After header, and backs off without any hint', async () => {
      const { fake: f, zalo } = await start(
        { limits: { perSecond: 10, perChatMs: 1_000, retryHint: 'header' } },
        { limiter: createZaloLimiter({ perSecond: 100, perChatIntervalMs: 0 }) },
      );
      await zalo.sendMessage('u1', 'một');
      await zalo.sendMessage('u1', 'hai');
      expect(f.calls.map((c) => c.status)).toEqual([200, 429, 200]);
      await f.close();

      const { fake: g, zalo: z } = await start(
        { limits: { perSecond: 10, perChatMs: 1_000, retryHint: 'none' } },
        {
          limiter: createZaloLimiter({ perSecond: 100, perChatIntervalMs: 0 }),
          retry: { fallbackRetryAfterSeconds: 0.6 },
        },
      );
      await z.sendMessage('u1', 'một');
      await z.sendMessage('u1', 'hai'); // 0.6 s, then 1.2 s: the second retry is past the fake's second
      expect(g.calls.filter((c) => c.status === 200)).toHaveLength(2);
      expect(g.calls.filter((c) => c.status === 429).length).toBeGreaterThanOrEqual(1);
    });

    it('gives up after maxRetries, and at once on a hint longer than it waits', async () => {
      const limiter = createZaloLimiter({ perSecond: 100, perChatIntervalMs: 0 });
      const { fake: f, zalo } = await start(
        { limits: false },
        { limiter, retry: { maxRetries: 2, fallbackRetryAfterSeconds: 0.05 } },
      );
      f.fail('sendMessage', { status: 429, description: 'Quota exceeded', times: 3 });
      expect(await failure(zalo.sendMessage('u1', 'x'))).toMatchObject({ errorCode: 429 });
      expect(f.calls.map((c) => c.status)).toEqual([429, 429, 429]); // the call and 2 retries

      f.fail('sendMessage', { status: 429, description: 'Quota exceeded', retryAfter: 3_600, times: 1 });
      const t0 = Date.now();
      expect(await failure(zalo.sendMessage('u2', 'x'))).toMatchObject({ errorCode: 429, retryAfter: 3_600 });
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(f.calls.filter((c) => c.chatId === 'u2')).toHaveLength(1);
    });
  });

  describe('webhook helpers', () => {
    const update = {
      event_name: 'message.text.received',
      message: { message_id: 'm', date: 1, from: { id: 'u1' }, chat: { id: 'u1', chat_type: 'PRIVATE' }, text: 'a' },
    };

    it('reads an update wrapped as the docs show, or bare', () => {
      expect(parseZaloUpdate({ ok: true, result: update })).toEqual(update);
      expect(parseZaloUpdate(update)).toEqual(update);
      expect(parseZaloUpdate({ ok: true, result: [update] })).toBeUndefined();
      expect(parseZaloUpdate({ event_name: 'x', message: { chat: {} } })).toBeUndefined();
      expect(parseZaloUpdate('nope')).toBeUndefined();
    });

    it('compares the secret header exactly', () => {
      expect(checkZaloSecret('mot-bi-mat-dai', 'mot-bi-mat-dai')).toBe(true);
      expect(checkZaloSecret('mot-bi-mat-da', 'mot-bi-mat-dai')).toBe(false);
      expect(checkZaloSecret(undefined, 'mot-bi-mat-dai')).toBe(false);
      expect(checkZaloSecret(['mot-bi-mat-dai'], 'mot-bi-mat-dai')).toBe(false);
      expect(checkZaloSecret('', '')).toBe(false);
    });
  });
});
