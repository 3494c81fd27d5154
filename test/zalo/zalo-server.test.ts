import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { startZaloServer, type FakeZalo, type StartZaloServerOptions } from '../helpers/zalo-server.js';

type Json = Record<string, unknown>;

let fake: FakeZalo | undefined;
const receivers: http.Server[] = [];

afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const r of receivers.splice(0)) await new Promise<void>((resolve) => r.close(() => resolve()));
});

async function start(options?: StartZaloServerOptions): Promise<FakeZalo> {
  fake = await startZaloServer(options);
  return fake;
}

/** A raw Bot API call, as Zalo's docs show it: POST JSON to /bot<token>/<method>. */
async function api(
  f: FakeZalo,
  method: string,
  params: Json = {},
  token = f.token,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${f.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

/** A local webhook receiver that records what it gets. */
async function receiver(
  answer = 200,
): Promise<{ url: string; got: { headers: http.IncomingHttpHeaders; body: unknown }[] }> {
  const got: { headers: http.IncomingHttpHeaders; body: unknown }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      res.writeHead(answer).end('ok');
    });
  });
  receivers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/zalo/webhook`, got };
}

describe('the fake Zalo Bot API', () => {
  it('answers getMe for the right token and 401 for any other, recording calls without the token', async () => {
    const f = await start();
    const me = await api(f, 'getMe');
    expect(me).toMatchObject({
      status: 200,
      body: { ok: true, result: { id: f.botId, account_type: 'BASIC', can_join_groups: false } },
    });
    const bad = await api(f, 'getMe', {}, '123:wrong');
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    expect(f.calls.map((c) => [c.method, c.status, c.authorized])).toEqual([
      ['getMe', 200, true],
      ['getMe', 401, false],
    ]);
    expect(JSON.stringify(f.calls)).not.toContain(f.token);
  });

  it('refuses an unknown method with 400 and accepts GET with a query string', async () => {
    const f = await start();
    const unknown = await api(f, 'sendmessage', { chat_id: 'u1', text: 'x' }); // names are case-sensitive
    expect(unknown.body).toMatchObject({ ok: false, error_code: 400 });
    const res = await fetch(`${f.apiRoot}/bot${f.token}/sendMessage?chat_id=u1&text=${encodeURIComponent('Chào anh')}`);
    expect(((await res.json()) as Json).ok).toBe(true);
    expect(f.sent('u1')).toEqual([expect.objectContaining({ kind: 'text', text: 'Chào anh' })]);
    expect(f.calls.at(-1)).toMatchObject({ httpMethod: 'GET', chatId: 'u1', status: 200 });
  });

  it('sends a message: a 20-hex message id, a date in ms, listed in sent()', async () => {
    const f = await start();
    const before = Date.now();
    const { body } = await api(f, 'sendMessage', { chat_id: 'u1', text: 'Nhắc hạn: báo cáo quý IV ✅' });
    const result = body.result as { message_id: string; date: number };
    expect(result.message_id).toMatch(/^[0-9a-f]{20}$/);
    expect(result.date).toBeGreaterThanOrEqual(before);
    expect(f.sent('u1')).toEqual([
      {
        message_id: result.message_id,
        chat_id: 'u1',
        date: result.date,
        kind: 'text',
        text: 'Nhắc hạn: báo cáo quý IV ✅',
      },
    ]);
    expect(f.sent('u2')).toEqual([]);
  });

  it('takes text of 1 to 2,000 characters, and requires chat_id', async () => {
    const f = await start({ limits: false });
    expect((await api(f, 'sendMessage', { chat_id: 'u1', text: 'ạ'.repeat(2_000) })).status).toBe(200);
    const long = await api(f, 'sendMessage', { chat_id: 'u1', text: 'ạ'.repeat(2_001) });
    expect(long.body).toMatchObject({ ok: false, error_code: 400 });
    expect((await api(f, 'sendMessage', { chat_id: 'u1', text: '' })).body).toMatchObject({
      ok: false,
      error_code: 400,
    });
    expect((await api(f, 'sendMessage', { text: 'x' })).body).toMatchObject({
      ok: false,
      error_code: 400,
      description: 'Bad request: chat_id is required',
    });
    expect(
      (await api(f, 'sendPhoto', { chat_id: 'u1', photo: 'https://example.test/a.png', caption: 'x'.repeat(2_001) }))
        .status,
    ).toBe(400);
    expect(f.sent('u1')).toHaveLength(1);
  });

  it('sends photos, stickers and chat actions', async () => {
    const f = await start({ limits: false });
    await api(f, 'sendPhoto', { chat_id: 'u1', photo: 'https://example.test/a.png', caption: 'Ảnh chụp biên bản' });
    await api(f, 'sendSticker', { chat_id: 'u1', sticker: '0e078a2fb66a5f34067b' });
    expect((await api(f, 'sendChatAction', { chat_id: 'u1', action: 'typing' })).body).toEqual({ ok: true });
    expect((await api(f, 'sendChatAction', { chat_id: 'u1', action: 'dancing' })).status).toBe(400);
    expect(f.sent('u1').map((m) => m.kind)).toEqual(['photo', 'sticker']);
    expect(f.sent('u1')[0]).toMatchObject({ photo: 'https://example.test/a.png', caption: 'Ảnh chụp biên bản' });
  });

  describe('long polling', () => {
    it('answers as soon as a user writes, one update per call, as Zalo documents', async () => {
      const f = await start();
      const t0 = Date.now();
      const poll = api(f, 'getUpdates', { timeout: '10' });
      // The user writes once the poll waits at the server.
      await waitFor(async () => f.polling() > 0, 10_000, 'the poll at the server');
      f.userSends('u7', 'xin chào', { displayName: 'Lan' });
      f.userSends('u7', '/xong 4.2');
      const first = await poll;
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(first.body).toMatchObject({
        ok: true,
        result: {
          event_name: 'message.text.received',
          message: {
            from: { id: 'u7', display_name: 'Lan', is_bot: false },
            chat: { id: 'u7', chat_type: 'PRIVATE' },
            text: 'xin chào',
          },
        },
      });
      const message = (first.body.result as { message: { message_id: string; date: number } }).message;
      expect(message.message_id).toMatch(/^[0-9a-f]{20}$/);
      expect(message.date).toBeGreaterThan(1e12); // milliseconds
      const second = await api(f, 'getUpdates', { timeout: 10 });
      expect((second.body.result as { message: { text: string } }).message.text).toBe('/xong 4.2');
      expect(f.pending()).toBe(0);
    });

    it('answers 408 "Request timeout" when nothing came within the timeout', async () => {
      const f = await start();
      const t0 = Date.now();
      const { status, body } = await api(f, 'getUpdates', { timeout: 1 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(status).toBe(408);
      expect(body).toEqual({ ok: false, error_code: 408, description: 'Request timeout' });
    });

    it('carries images, stickers and raw updates', async () => {
      const f = await start();
      f.userSendsImage('u1', 'https://example.test/bien-ban.jpg', { caption: 'biên bản' });
      f.userSendsSticker('u1', 'abc123');
      f.inject({
        event_name: 'message.unsupported.received',
        message: { from: { id: 'u2' }, chat: { id: 'u2', chat_type: 'PRIVATE' }, message_id: 'm', date: 1 },
      });
      const events = [];
      for (let i = 0; i < 3; i++) events.push((await api(f, 'getUpdates', { timeout: 1 })).body.result as Json);
      expect(events.map((e) => e.event_name)).toEqual([
        'message.image.received',
        'message.sticker.received',
        'message.unsupported.received',
      ]);
      expect(events[0]).toMatchObject({ message: { photo: 'https://example.test/bien-ban.jpg', caption: 'biên bản' } });
      expect(events[1]).toMatchObject({ message: { sticker: 'abc123' } });
    });

    it('gives a pending poll 408 when the server closes', async () => {
      const f = await start();
      const poll = api(f, 'getUpdates', { timeout: 30 });
      // Closed once the poll is waiting at the server (a fixed 50 ms did not always get it there).
      await waitFor(async () => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'the poll at the server');
      await f.close();
      expect((await poll).status).toBe(408);
    });
  });

  describe('webhook', () => {
    it('checks the secret token, refuses getUpdates while set, and POSTs updates with the secret header', async () => {
      const f = await start();
      const r = await receiver();
      expect((await api(f, 'setWebhook', { url: r.url, secret_token: 'short' })).body).toMatchObject({
        ok: false,
        error_code: 400,
      });
      expect((await api(f, 'setWebhook', { url: r.url })).status).toBe(400);
      const set = await api(f, 'setWebhook', { url: r.url, secret_token: 'bi-mat-8-ky-tu' });
      expect(set.body).toMatchObject({ ok: true, result: { url: r.url } });
      expect((await api(f, 'getWebhookInfo')).body).toMatchObject({ ok: true, result: { url: r.url } });
      expect((await api(f, 'getUpdates', { timeout: 1 })).body).toMatchObject({ ok: false, error_code: 400 });

      const update = f.userSends('u9', '/viec');
      await f.settled();
      expect(r.got).toHaveLength(1);
      expect(r.got[0]!.headers['x-bot-api-secret-token']).toBe('bi-mat-8-ky-tu');
      expect(r.got[0]!.body).toEqual({ ok: true, result: update });
      expect(f.webhookDeliveries).toEqual([{ update, status: 200 }]);

      expect((await api(f, 'deleteWebhook')).body).toMatchObject({ ok: true, result: { url: '' } });
      expect((await api(f, 'getWebhookInfo')).body).toMatchObject({ result: { url: '' } });
      f.userSends('u9', 'lại polling');
      expect((await api(f, 'getUpdates', { timeout: 1 })).body).toMatchObject({
        ok: true,
        result: { message: { text: 'lại polling' } },
      });
    });

    it('can post the bare update, and records a receiver that refuses', async () => {
      const f = await start({ webhookEnvelope: 'bare' });
      const r = await receiver(403);
      await api(f, 'setWebhook', { url: r.url, secret_token: 'x'.repeat(256) });
      const update = f.userSends('u1', 'chào');
      await f.settled();
      expect(r.got[0]!.body).toEqual(update);
      expect(f.webhookDeliveries[0]!.status).toBe(403);
    });
  });

  describe('rate limits', () => {
    it('answers 429 "Quota exceeded" with retry_after to a second message to one chat within a second', async () => {
      const f = await start();
      await api(f, 'sendMessage', { chat_id: 'u1', text: 'một' });
      const { status, body } = await api(f, 'sendMessage', { chat_id: 'u1', text: 'hai' });
      expect(status).toBe(429);
      expect(body).toMatchObject({
        ok: false,
        error_code: 429,
        description: 'Quota exceeded',
        parameters: { retry_after: 1 },
      });
      expect((await api(f, 'sendMessage', { chat_id: 'u2', text: 'ba' })).status).toBe(200);
      expect(f.sent()).toHaveLength(2);
      expect(f.calls.map((c) => c.status)).toEqual([200, 429, 200]);
    });

    it('lets at most perSecond messages a second leave the bot', async () => {
      const f = await start({ limits: { perSecond: 5, perChatMs: 0 } });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => api(f, 'sendMessage', { chat_id: `u${i}`, text: `tin ${i}` })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(5);
      expect(results.filter((r) => r.status === 429)).toHaveLength(3);
    });

    it('can give the hint as a Retry-After header, or none', async () => {
      const f = await start({ limits: { perSecond: 10, perChatMs: 5_000, retryHint: 'header' } });
      await api(f, 'sendMessage', { chat_id: 'u1', text: 'một' });
      const limited = await api(f, 'sendMessage', { chat_id: 'u1', text: 'hai' });
      expect(limited.headers.get('retry-after')).toBe('5');
      expect(limited.body.parameters).toBeUndefined();
      await f.close();
      const g = await start({ limits: { perSecond: 10, perChatMs: 5_000, retryHint: 'none' } });
      await api(g, 'sendMessage', { chat_id: 'u1', text: 'một' });
      const bare = await api(g, 'sendMessage', { chat_id: 'u1', text: 'hai' });
      expect(bare.body).toEqual({ ok: false, error_code: 429, description: 'Quota exceeded' });
      expect(bare.headers.get('retry-after')).toBeNull();
    });

    it('never answers 429 with limits off', async () => {
      const f = await start({ limits: false });
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => api(f, 'sendMessage', { chat_id: 'u1', text: `tin ${i}` })),
      );
      expect(f.sent('u1')).toHaveLength(30);
    });
  });

  describe('faults and blocked users', () => {
    it('fails the next matching calls as told, then behaves (a failed send takes no rate-limit slot)', async () => {
      const f = await start();
      f.fail('sendMessage', { status: 500, times: 2 });
      expect((await api(f, 'sendMessage', { chat_id: 'u1', text: 'a' })).body).toEqual({
        ok: false,
        error_code: 500,
        description: 'Internal server error',
      });
      expect((await api(f, 'sendMessage', { chat_id: 'u1', text: 'a' })).status).toBe(500);
      expect((await api(f, 'sendMessage', { chat_id: 'u1', text: 'a' })).status).toBe(200);
      f.fail('*', { status: 403, description: 'Internal server error', chatId: 'u2' });
      expect((await api(f, 'sendMessage', { chat_id: 'u3', text: 'b' })).status).toBe(200);
      expect((await api(f, 'sendMessage', { chat_id: 'u2', text: 'b' })).body).toMatchObject({ error_code: 403 });
      f.fail('sendMessage', { status: 200, errorCode: 404, description: 'Not found' });
      expect(await api(f, 'sendMessage', { chat_id: 'u4', text: 'c' })).toMatchObject({
        status: 200,
        body: { ok: false, error_code: 404 },
      });
    });

    it('can hold a call unanswered, or cut the connection', async () => {
      const f = await start();
      f.fail('getMe', { status: 'timeout' });
      const held = await fetch(`${f.apiRoot}/bot${f.token}/getMe`, {
        method: 'POST',
        signal: AbortSignal.timeout(300),
      }).then(
        () => 'answered',
        (e: unknown) => (e instanceof Error ? e.name : 'error'),
      );
      expect(held).toBe('TimeoutError');
      expect(f.calls.at(-1)).toMatchObject({ method: 'getMe', status: 0 });
      f.fail('getMe', { status: 'reset' });
      await expect(fetch(`${f.apiRoot}/bot${f.token}/getMe`, { method: 'POST' })).rejects.toThrow();
      expect((await api(f, 'getMe')).status).toBe(200);
    });

    it('answers sends to a user who blocked the bot with an error until unblocked', async () => {
      const f = await start();
      f.block('u1');
      expect((await api(f, 'sendMessage', { chat_id: 'u1', text: 'x' })).body).toMatchObject({
        ok: false,
        error_code: 404,
      });
      f.block('u2', { errorCode: 403, description: 'User blocked the bot' });
      expect((await api(f, 'sendMessage', { chat_id: 'u2', text: 'x' })).body).toEqual({
        ok: false,
        error_code: 403,
        description: 'User blocked the bot',
      });
      f.unblock('u1');
      expect((await api(f, 'sendMessage', { chat_id: 'u1', text: 'x' })).status).toBe(200);
      expect(f.sent()).toHaveLength(1);
    });
  });
});
