import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, HttpError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lightClientOptions, lightFetch } from '#root/channels/telegram/fetch.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';

/** The reminders' Telegram client over `lightFetch`: what grammY needs of a `fetch`, and its failures. */
describe('the reminders’ light fetch for grammY', () => {
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram({ limits: false });
  });
  afterAll(async () => {
    await tg.close();
  });

  it('sends JSON calls and reads their answers, text and buttons intact', async () => {
    const api = new Api(TOKEN, { apiRoot: tg.apiRoot, ...lightClientOptions(tg.apiRoot) });
    const keyboard = { inline_keyboard: [[{ text: '✅ BC-1', callback_data: 'd:1' }]] };
    const sent = [];
    for (let i = 0; i < 3; i++)
      sent.push(
        await api.sendMessage(7001, `Nhắc <b>việc</b> ${i}: “Quý IV/2026”`, {
          parse_mode: 'HTML',
          reply_markup: keyboard,
        }),
      );
    expect(sent.map((m) => m.chat.id)).toEqual([7001, 7001, 7001]);
    expect(new Set(sent.map((m) => m.message_id)).size).toBe(3);
    const got = tg.sent(7001);
    expect(got.map((m) => m.text)).toEqual([0, 1, 2].map((i) => `Nhắc <b>việc</b> ${i}: “Quý IV/2026”`));
    expect(got[0]!.reply_markup).toEqual(keyboard);
    expect(got[0]!.parse_mode).toBe('HTML');
  });

  it('answers Telegram’s refusals as grammY errors, with their code', async () => {
    const api = new Api(TOKEN, { apiRoot: tg.apiRoot, ...lightClientOptions(tg.apiRoot) });
    await expect(api.sendMessage(7002, '')).rejects.toMatchObject({ error_code: 400 });
  });

  it('gives up on a server that does not answer when grammY’s timeout aborts, closing the connection', async () => {
    let closed = 0;
    const server = http.createServer((req) => req.socket.once('close', () => closed++));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const api = new Api(TOKEN, { apiRoot: root, timeoutSeconds: 1, ...lightClientOptions(root) });
      const error: unknown = await api.sendMessage(7003, 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      // The request was destroyed: the server sees its connection close.
      for (const until = Date.now() + 60_000; closed === 0 && Date.now() < until;)
        await new Promise((r) => setTimeout(r, 50));
      expect(closed).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('says a refused connection is one (the message never left), and passes other bodies on', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const root = `http://127.0.0.1:${port}`;
    const api = new Api(TOKEN, { apiRoot: root, ...lightClientOptions(root) });
    const error = await api.sendMessage(7004, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(String((error as HttpError).error)).toMatch(/ECONNREFUSED/);

    const passed: unknown[] = [];
    const send = lightFetch({
      agent: new http.Agent(),
      fallback: (_url, init) => {
        passed.push(init.body);
        return Promise.resolve({ json: () => Promise.resolve({ ok: true, result: true }) });
      },
    });
    const stream = { pipe: () => undefined };
    await expect((await send(`${root}/bot${TOKEN}/sendDocument`, { body: stream })).json()).resolves.toEqual({
      ok: true,
      result: true,
    });
    expect(passed).toEqual([stream]);
  });
});
