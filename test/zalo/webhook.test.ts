import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { seedDemo } from '#root/services/demo.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startZaloServer, type FakeZalo } from '../helpers/zalo-server.js';

const TOKEN = '1459232241454765289:ZtestSecretTokenForDondocFake-abc';
/** The test's clock: 09:00 on Monday 16/11/2026 in Hanoi (the web and bot roles here queue no job). */
const START = new Date('2026-11-16T02:00:00Z');

const textUpdate = (messageId: string, from: string, text: string) => ({
  ok: true,
  result: {
    event_name: 'message.text.received',
    message: {
      message_id: messageId,
      date: START.getTime(),
      text,
      from: { id: from, display_name: 'Lan', is_bot: false },
      chat: { id: from, chat_type: 'PRIVATE' },
    },
  },
});
/** A sticker: always answered, "text only"; one chat's updates are handled in order, so its answer comes after the earlier ones'. */
const stickerUpdate = (messageId: string, from: string) => ({
  ok: true,
  result: {
    event_name: 'message.sticker.received',
    message: {
      message_id: messageId,
      date: START.getTime(),
      from: { id: from, display_name: 'Lan', is_bot: false },
      chat: { id: from, chat_type: 'PRIVATE' },
    },
  },
});
const ONLY_TEXT = /^Bot chỉ hiểu lệnh bằng chữ/;

/** With PUBLIC_URL set, Zalo pushes updates to the web role; the secret token is checked, redeliveries are handled once. */
describe('the Zalo webhook', () => {
  let t: TestDatabase;
  let zl: FakeZalo;
  let s: TestApp;
  let url: string;
  let secret: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: START, actor: 'test' });
    zl = await startZaloServer({ token: TOKEN, limits: false });
    s = await startTestApp(t, {
      start: START,
      roles: ['web', 'bot'],
      channels: { sandbox: createSandboxChannel() },
      env: {
        ZALO_BOT_TOKEN: TOKEN,
        ZALO_API_ROOT: zl.apiRoot,
        PUBLIC_URL: 'https://dondoc.example/',
        SECRET_KEY: 'k'.repeat(40),
      },
    });
    url = `${s.app.address()}/zalo/webhook`;
    secret = zl.webhook()?.secret_token ?? '';
  });
  afterAll(async () => {
    await s?.stop();
    await zl?.close();
    await t?.close();
  });

  const post = (body: unknown, token: string | null) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { 'x-bot-api-secret-token': token }) },
      body: JSON.stringify(body),
    });

  it('registers the webhook with a secret token instead of polling', () => {
    expect(zl.webhook()).toMatchObject({ url: 'https://dondoc.example/zalo/webhook' });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32,64}$/);
    expect(zl.calls.some((c) => c.method === 'getUpdates')).toBe(false);
  });

  it('answers an update carrying the secret, once even when Zalo delivers it again', async () => {
    const update = textUpdate('m-1', 'zl-4242', '/trogiup');
    expect((await post(update, secret)).status).toBe(200);
    await waitFor(async () => zl.sent('zl-4242').length > 0, 10_000, 'the help');
    expect(zl.sent('zl-4242')[0]!.text).toMatch(/Chat này chưa được liên kết/);
    expect((await post(update, secret)).status).toBe(200);
    expect((await post(stickerUpdate('m-1-after', 'zl-4242'), secret)).status).toBe(200);
    await waitFor(
      async () => zl.sent('zl-4242').some((m) => ONLY_TEXT.test(m.text ?? '')),
      10_000,
      'the sticker after it answered',
    );
    expect(zl.sent('zl-4242')).toHaveLength(2);
  });

  it('refuses a call without the right secret, and a body that is not an update, answering nobody', async () => {
    const update = textUpdate('m-2', 'zl-4343', '/trogiup');
    expect((await post(update, 'wrong-secret')).status).toBe(401);
    expect((await post(update, null)).status).toBe(401);
    expect((await post({ hello: 'world' }, secret)).status).toBe(400);
    expect((await post(stickerUpdate('m-2-after', 'zl-4343'), secret)).status).toBe(200);
    await waitFor(async () => zl.sent('zl-4343').length > 0, 10_000, 'the sticker after it answered');
    expect(zl.sent('zl-4343').map((m) => m.text)).toEqual([expect.stringMatching(ONLY_TEXT)]);
  });
});
