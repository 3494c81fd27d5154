import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { seedDemo } from '#root/services/demo.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
/** The test's clock: 09:00 on Monday 16/11/2026 in Hanoi (the web and bot roles here queue no job). */
const START = new Date('2026-11-16T02:00:00Z');

/** With PUBLIC_URL set, Telegram pushes updates to the web role; the secret token is checked. */
describe('the Telegram webhook', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  let url: string;
  let secret: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: START, actor: 'test' });
    tg = await startFakeTelegram({ limits: false });
    s = await startTestApp(t, {
      start: START,
      roles: ['web', 'bot'],
      channels: { sandbox: createSandboxChannel() },
      env: {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_URL: 'https://dondoc.example/',
        SECRET_KEY: 'k'.repeat(40),
      },
    });
    url = `${s.app.address()}/telegram/webhook`;
    secret = String(tg.webhook()?.secret_token ?? '');
  });
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await t?.close();
  });

  const post = (update: unknown, token: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': token },
      body: JSON.stringify(update),
    });
  /** A press of a button in the user's private chat (every press is answered, by its id). */
  const press = (chat: number, id: string) =>
    tg.inject({
      callback_query: {
        id,
        from: { id: chat, is_bot: false, first_name: 'Test' },
        chat_instance: `ci${chat}`,
        data: 'x:',
        message: {
          message_id: 1,
          date: Math.floor(s.clock.now().getTime() / 1000),
          chat: { id: chat, type: 'private' },
          from: { id: 123456, is_bot: true, first_name: 'dondoc' },
          text: 'x',
        },
      },
    });

  it('registers the webhook with a secret token instead of polling', () => {
    expect(tg.webhook()).toMatchObject({ url: 'https://dondoc.example/telegram/webhook' });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32,64}$/);
    expect(tg.calls.some((c) => c.method === 'getUpdates')).toBe(false);
  });

  it('answers an update carrying the secret, once even when Telegram delivers it again', async () => {
    const update = tg.userSends(4242, '/trogiup');
    expect((await post(update, secret)).status).toBe(200);
    await waitFor(async () => tg.sent(4242).length > 0, 10_000, 'the help');
    expect(tg.sent(4242)[0]!.text).toMatch(/Chat này chưa được liên kết/);
    expect((await post(update, secret)).status).toBe(200);
    // A press in the same chat after it, answered: the chat's updates are handled in order.
    expect((await post(press(4242, 'after-4242'), secret)).status).toBe(200);
    await waitFor(
      async () => tg.callbackAnswers.some((a) => a.callback_query_id === 'after-4242'),
      10_000,
      'the press after it',
    );
    expect(tg.sent(4242)).toHaveLength(1);
  });

  it('answers 400 to a body that is not an update (with the right secret; 401 without), handling nothing', async () => {
    const raw = (body: string, token: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': token },
        body,
      });
    const before = tg.calls.length;
    for (const body of [
      '{}',
      '{"hello":"world"}',
      '{"update_id":"7","message":{}}',
      '{"update_id":-1,"message":{}}',
      '{"update_id":8}',
      '[]',
      '"x"',
      '42',
    ]) {
      const res = await raw(body, secret);
      expect(res.status, body).toBe(400);
      expect(await res.json(), body).toEqual({ ok: false, description: 'Bad Request: not a Telegram update' });
      expect((await raw(body, 'wrong')).status, body).toBe(401);
    }
    expect(tg.calls.slice(before).filter((c) => c.method !== 'getUpdates')).toEqual([]);
  });

  it('follows a group upgraded to a supergroup: its contacts move to the new chat id, audited', async () => {
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { role: 'contact' }, orderBy: { name: 'asc' } });
    await t.prisma.contact.update({ where: { id: contact.id }, data: { telegramChatId: -4444n } });
    const update = tg.migrate(-4444, -1_000_000_004_444);
    expect((await post(update, secret)).status).toBe(200);
    await waitFor(
      async () =>
        (await t.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } })).telegramChatId ===
        -1_000_000_004_444n,
      10_000,
      'the contact moved',
    );
    const audit = await t.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'contact.telegram-migrated', entityId: contact.id },
    });
    expect(audit).toMatchObject({
      orgId: contact.orgId,
      actor: 'system',
      data: { from: '-4444', to: '-1000000004444' },
    });
    // Telegram may deliver it again: nothing more happens.
    expect((await post(update, secret)).status).toBe(200);
    expect(await t.prisma.auditEvent.count({ where: { action: 'contact.telegram-migrated' } })).toBe(1);
  });

  it('refuses an update without the right secret, answering nobody', async () => {
    const update = tg.userSends(4343, '/trogiup');
    expect((await post(update, 'wrong')).status).toBe(401);
    expect((await post(update, '')).status).toBe(401);
    // A press in the same chat after it, answered: the chat's updates are handled in order.
    expect((await post(press(4343, 'after-4343'), secret)).status).toBe(200);
    await waitFor(
      async () => tg.callbackAnswers.some((a) => a.callback_query_id === 'after-4343'),
      10_000,
      'the press after it',
    );
    expect(tg.sent(4343)).toHaveLength(0);
  });
});
