import { afterEach, describe, expect, it } from 'vitest';
import { Api, Bot, GrammyError, HttpError, InputFile } from 'grammy';
import {
  seededRandom,
  startFakeTelegram,
  type FakeTelegram,
  type FakeTelegramOptions,
  type UploadedFile,
} from '../helpers/telegram-server.js';

const TOKEN = '123456789:AAHfakeTokenForTests_abcdef';

let fake: FakeTelegram | undefined;
const bots: Bot[] = [];
const botErrors: unknown[] = [];

async function start(options?: FakeTelegramOptions): Promise<{ fake: FakeTelegram; api: Api }> {
  fake = await startFakeTelegram(options);
  return { fake, api: new Api(TOKEN, { apiRoot: fake.apiRoot }) };
}

// A generous bound: 2 s is tight for a polling bot's start and answer on a loaded machine.
async function waitFor(predicate: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A grammY Bot polling the fake; resolves once polling has started. */
async function startBot(f: FakeTelegram, setup: (bot: Bot) => void): Promise<Bot> {
  const bot = new Bot(TOKEN, { client: { apiRoot: f.apiRoot } });
  bot.catch((err) => {
    botErrors.push(err.error);
  });
  setup(bot);
  bots.push(bot);
  await new Promise<void>((resolve, reject) => {
    bot.start({ onStart: () => resolve() }).catch(reject);
  });
  return bot;
}

async function rejection(p: Promise<unknown>): Promise<GrammyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrammyError);
  return err as GrammyError;
}

afterEach(async () => {
  for (const bot of bots.splice(0)) if (bot.isRunning()) await bot.stop();
  await fake?.close();
  fake = undefined;
  expect(botErrors.splice(0)).toEqual([]);
});

describe('fake Telegram Bot API', () => {
  it('answers getMe with the bot identity', async () => {
    const { api } = await start({ botUsername: 'nhac_viec_bot' });
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456789, is_bot: true, username: 'nhac_viec_bot' });
    expect(typeof me.first_name).toBe('string');
  });

  it('refuses bad tokens with 401 and unknown methods with 404', async () => {
    const { fake: f, api } = await start();
    const bad = await fetch(`${f.apiRoot}/botnot-a-token/getMe`);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    const err = await rejection(api.raw.getStarTransactions({}));
    expect(err.error_code).toBe(404);
    expect(err.description).toBe('Not Found');
    expect(f.calls.map((c) => c.status)).toEqual([401, 404]);
  });

  it('sends a message and lists it in sent()', async () => {
    const { fake: f, api } = await start();
    const msg = await api.sendMessage(42, '<b>Nhắc hạn</b>: báo cáo quý', { parse_mode: 'HTML' });
    expect(msg).toMatchObject({
      chat: { id: 42, type: 'private' },
      from: { is_bot: true },
      text: '<b>Nhắc hạn</b>: báo cáo quý',
    });
    expect(f.sent(42)).toEqual([
      expect.objectContaining({ message_id: msg.message_id, text: '<b>Nhắc hạn</b>: báo cáo quý', parse_mode: 'HTML' }),
    ]);
    expect(f.sent(43)).toEqual([]);
    expect(f.calls.at(-1)).toMatchObject({ method: 'sendMessage', token: TOKEN, status: 200, chatId: '42' });
  });

  it('validates text length and HTML', async () => {
    const { api } = await start({ limits: false });
    expect((await rejection(api.sendMessage(1, 'x'.repeat(4097)))).description).toBe(
      'Bad Request: message is too long',
    );
    // The 4096 limit counts visible characters, not tags.
    await api.sendMessage(1, `<b>${'x'.repeat(4096)}</b>`, { parse_mode: 'HTML' });
    expect((await rejection(api.sendMessage(1, ''))).description).toBe('Bad Request: message text is empty');
    const html = await rejection(api.sendMessage(1, 'hạn < 3 ngày', { parse_mode: 'HTML' }));
    expect(html.description).toMatch(/^Bad Request: can't parse entities/);
  });

  it('refuses callback_data over 64 bytes (Vietnamese diacritics are multi-byte)', async () => {
    const { fake: f, api } = await start();
    const data = 'xác nhận đã hoàn thành nhiệm vụ: báo cáo tổng kết năm'; // 53 characters, 71 bytes
    expect(data.length).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(data)).toBeGreaterThan(64);
    const err = await rejection(
      api.sendMessage(42, 'Xong chưa?', {
        reply_markup: { inline_keyboard: [[{ text: 'Xong', callback_data: data }]] },
      }),
    );
    expect(err.error_code).toBe(400);
    expect(err.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect(f.sent()).toEqual([]);
  });

  it('answers 429 with retry_after to a 2nd message to the same private chat within 1 s', async () => {
    const { fake: f, api } = await start();
    await api.sendMessage(42, 'một');
    const err = await rejection(api.sendMessage(42, 'hai'));
    expect(err.error_code).toBe(429);
    expect(err.parameters.retry_after).toBeGreaterThanOrEqual(1);
    expect(err.description).toBe(`Too Many Requests: retry after ${err.parameters.retry_after}`);
    expect(f.calls.map((c) => c.status)).toEqual([200, 429]);
    // Another private chat is not affected.
    await api.sendMessage(43, 'ba');
  });

  it('limits a bot to 30 messages per second across chats', async () => {
    const { api } = await start();
    const results = await Promise.allSettled(
      Array.from({ length: 31 }, (_, i) => api.sendMessage(1000 + i, `tin ${i}`)),
    );
    const tooMany = results.filter(
      (r) => r.status === 'rejected' && r.reason instanceof GrammyError && r.reason.error_code === 429,
    );
    expect(tooMany.length).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(30);
  });

  it('limits a group to 20 messages per minute (groups are not under the 1/s private rule)', async () => {
    const { fake: f, api } = await start();
    for (let i = 0; i < 20; i++) await api.sendMessage(-100, `nhóm ${i}`);
    const err = await rejection(api.sendMessage(-100, 'thứ 21'));
    expect(err.error_code).toBe(429);
    expect(err.parameters.retry_after).toBeGreaterThanOrEqual(1);
    expect(err.parameters.retry_after).toBeLessThanOrEqual(60);
    expect(f.sent(-100)).toHaveLength(20);
    expect(f.sent(-100)[0]?.chat.type).toBe('group');
  });

  it('never answers 429 with limits off', async () => {
    const { fake: f, api } = await start({ limits: false });
    await Promise.all(Array.from({ length: 40 }, (_, i) => api.sendMessage(42, `tin ${i}`)));
    expect(f.sent(42)).toHaveLength(40);
    expect(f.calls.every((c) => c.status === 200)).toBe(true);
  });

  it('long-polls getUpdates: returns as soon as an update is injected, confirms below offset', async () => {
    const { fake: f, api } = await start();
    const t0 = Date.now();
    const poll = api.getUpdates({ timeout: 10 });
    // The user writes once the poll waits at the server.
    await waitFor(() => f.polling() > 0);
    f.userSends(7, 'xin chào');
    const [first] = await poll;
    // Well before the poll’s 10 s: not its timeout (1 s is tight when the machine is loaded).
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(first?.message?.text).toBe('xin chào');
    const second = f.inject({ message: { message_id: 99, date: 0, chat: { id: 7, type: 'private' }, text: 'x' } });
    expect(second.update_id).toBe((first?.update_id ?? 0) + 1);
    expect(await api.getUpdates({ offset: second.update_id as number })).toHaveLength(1);
    expect(await api.getUpdates({ offset: (second.update_id as number) + 1 })).toEqual([]);
  });

  it('delivers a /start update to a polling Bot, whose reply lands in sent()', async () => {
    const { fake: f } = await start();
    const update = f.userSends(42, '/start abc', { firstName: 'Lan' });
    expect(update.message).toMatchObject({
      chat: { id: 42, type: 'private' },
      from: { id: 42, is_bot: false, first_name: 'Lan' },
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    });
    await startBot(f, (bot) =>
      bot.command('start', (ctx) => ctx.reply(`Chào ${ctx.from?.first_name ?? ''}, mã ${ctx.match}`)),
    );
    await waitFor(() => f.sent(42).length === 1);
    expect(f.sent(42)[0]?.text).toBe('Chào Lan, mã abc');
    expect(f.calls.map((c) => c.method)).toEqual(
      expect.arrayContaining(['getMe', 'deleteWebhook', 'getUpdates', 'sendMessage']),
    );
  });

  it('routes a button press to the bot, records the answer, and refuses a second answer', async () => {
    const { fake: f, api } = await start();
    const msg = await api.sendMessage(42, 'Đã xong?', {
      reply_markup: { inline_keyboard: [[{ text: 'Xong', callback_data: 'done:1' }]] },
    });
    const seen: string[] = [];
    await startBot(f, (bot) =>
      bot.on('callback_query:data', async (ctx) => {
        seen.push(`${ctx.callbackQuery.data}@${ctx.callbackQuery.message?.message_id}`);
        await ctx.answerCallbackQuery({ text: 'Đã ghi nhận' });
      }),
    );
    const update = f.userPresses(42, msg.message_id, 'done:1');
    await waitFor(() => f.callbackAnswers.length === 1);
    expect(seen).toEqual([`done:1@${msg.message_id}`]);
    const query = update.callback_query as { id: string };
    expect(f.callbackAnswers[0]).toMatchObject({ callback_query_id: query.id, text: 'Đã ghi nhận' });
    const again = await rejection(api.answerCallbackQuery(query.id));
    expect(again.error_code).toBe(400);
    expect(again.description).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');
  });

  it('edits messages: text, not modified, not found, delete', async () => {
    const { fake: f, api } = await start({ limits: false });
    const keyboard = { inline_keyboard: [[{ text: 'Xong', callback_data: 'done:1' }]] };
    const msg = await api.sendMessage(42, 'Nhắc: báo cáo', { reply_markup: keyboard });
    await api.editMessageText(42, msg.message_id, 'Nhắc: báo cáo ✅');
    expect(f.sent(42)[0]).toMatchObject({ text: 'Nhắc: báo cáo ✅', edited: true });
    expect(f.sent(42)[0]?.reply_markup).toBeUndefined(); // an edit without reply_markup removes the keyboard
    const same = await rejection(api.editMessageText(42, msg.message_id, 'Nhắc: báo cáo ✅'));
    expect(same.description).toMatch(/^Bad Request: message is not modified/);
    await api.editMessageReplyMarkup(42, msg.message_id, { reply_markup: keyboard });
    expect(f.sent(42)[0]?.reply_markup).toEqual(keyboard);
    const missing = await rejection(api.editMessageText(42, 999, 'x'));
    expect(missing.description).toBe('Bad Request: message to edit not found');
    await api.deleteMessage(42, msg.message_id);
    expect(f.sent(42)).toEqual([]);
  });

  it('answers 403 for a chat that blocked the bot, until unblocked', async () => {
    const { fake: f, api } = await start();
    f.block(42);
    const err = await rejection(api.sendMessage(42, 'xin chào'));
    expect(err.error_code).toBe(403);
    expect(err.description).toContain('bot was blocked by the user');
    f.unblock(42);
    await api.sendMessage(42, 'xin chào');
  });

  it('injects a 500 once; the retry succeeds (a failed call takes no rate-limit slot)', async () => {
    const { fake: f, api } = await start();
    f.fail({ status: 500, method: 'sendMessage' });
    const err = await rejection(api.sendMessage(42, 'thử'));
    expect(err.error_code).toBe(500);
    await api.sendMessage(42, 'thử');
    expect(f.calls.map((c) => c.status)).toEqual([500, 200]);
  });

  it('filters faults by chat and can hold a call forever (timeout)', async () => {
    const { fake: f } = await start();
    f.fail({ status: 400, chatId: 7 });
    const api = new Api(TOKEN, { apiRoot: f.apiRoot, timeoutSeconds: 0.3 });
    await api.sendMessage(8, 'khác');
    expect((await rejection(api.sendMessage(7, 'x'))).description).toBe('Bad Request: chat not found');
    f.fail({ status: 'timeout', method: 'getMe' });
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
    expect(f.calls.at(-1)).toMatchObject({ method: 'getMe', status: 0 });
  });

  it('holds the next matching call as it arrives, until released; then handles it, faults included', async () => {
    const { fake: f, api } = await start({ limits: false });
    const held = f.hold((c) => c.method === 'sendMessage' && c.chatId === '7');
    f.fail({ status: 500, method: 'sendMessage', chatId: 7 });
    await api.sendMessage(8, 'khác'); // not matched: not held
    const sending = rejection(api.sendMessage(7, 'giữ'));
    const call = await held.received;
    expect(call).toMatchObject({ method: 'sendMessage', chatId: '7', status: 0 });
    await api.sendMessage(8, 'sau'); // another call goes meanwhile
    expect(call.status).toBe(0); // still unanswered
    held.release();
    expect((await sending).error_code).toBe(500);
    // Only the one call was held.
    await api.sendMessage(7, 'lần sau');
    expect(f.sent(7).map((m) => m.text)).toEqual(['lần sau']);
  });

  it('fails a share of calls at random, the same calls for the same seed, and stops when told', async () => {
    const statuses = async (seed: number) => {
      const { fake: f, api } = await start({ limits: false });
      f.faults({ serverError: 0.2, tooMany: 0.1, retryAfter: 3, seed });
      for (let i = 0; i < 200; i++) await api.sendMessage(42, `tin ${i}`).catch(() => undefined);
      await api.getMe(); // other methods are left alone
      const answered = f.calls.map((c) => `${c.status}${c.fault ? `:${c.fault}` : ''}`);
      f.faults(null);
      await api.sendMessage(42, 'hết lỗi');
      const injected = f.injected();
      const tooMany = f.calls.find((c) => c.fault === 'tooMany');
      const sent = f.sent(42).length;
      await f.close();
      return { answered, injected, tooMany, sent };
    };
    const a = await statuses(7);
    expect(a.answered.at(-1)).toBe('200');
    expect(a.answered.filter((x) => x === '500:serverError')).toHaveLength(a.injected.serverError);
    expect(a.answered.filter((x) => x === '429:tooMany')).toHaveLength(a.injected.tooMany);
    // Shares of 200 draws: 20 % and 10 %, give or take what chance allows.
    expect(a.injected.serverError).toBeGreaterThan(20);
    expect(a.injected.serverError).toBeLessThan(60);
    expect(a.injected.tooMany).toBeGreaterThan(5);
    expect(a.injected.tooMany).toBeLessThan(35);
    expect(a.injected).toMatchObject({ timeout: 0, lostReply: 0 });
    expect(a.sent).toBe(200 - a.injected.serverError - a.injected.tooMany + 1);
    expect(a.tooMany).toBeDefined();
    // A new server with the same seed fails the same calls; another seed, others.
    expect((await statuses(7)).answered).toEqual(a.answered);
    expect((await statuses(8)).answered).not.toEqual(a.answered);
  });

  it('answers a drawn 429 with the retry_after asked for', async () => {
    const { fake: f, api } = await start({ limits: false });
    f.faults({ tooMany: 1, retryAfter: 3 });
    const err = await rejection(api.sendMessage(42, 'x'));
    expect(err.error_code).toBe(429);
    expect(err.parameters.retry_after).toBe(3);
    expect(f.sent()).toEqual([]);
  });

  it('a lost reply delivers the message and never answers; a timeout delivers nothing', async () => {
    const { fake: f } = await start({ limits: false });
    const api = new Api(TOKEN, { apiRoot: f.apiRoot, timeoutSeconds: 0.3 });
    f.faults({ lostReply: 1 });
    await expect(api.sendMessage(42, 'đã tới')).rejects.toBeInstanceOf(HttpError);
    expect(f.sent(42).map((m) => m.text)).toEqual(['đã tới']);
    expect(f.calls.at(-1)).toMatchObject({ method: 'sendMessage', status: 0, fault: 'lostReply' });
    f.faults({ timeout: 1 });
    await expect(api.sendMessage(42, 'không tới')).rejects.toBeInstanceOf(HttpError);
    expect(f.sent(42).map((m) => m.text)).toEqual(['đã tới']);
    expect(f.calls.at(-1)).toMatchObject({ method: 'sendMessage', status: 0, fault: 'timeout' });
    expect(f.injected()).toEqual({ serverError: 0, timeout: 1, lostReply: 1, tooMany: 0 });
  });

  it('answers after latencyMs, as over a network', async () => {
    const { fake: f, api } = await start({ limits: false, latencyMs: 200 });
    const t0 = performance.now();
    await api.sendMessage(42, 'chậm');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(f.sent(42)).toHaveLength(1);
  });

  it('draws the same numbers for the same seed', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('serves files: addFile, getFile, download', async () => {
    const { fake: f, api } = await start();
    const bytes = Buffer.from('Kế hoạch năm 2025\n');
    f.addFile('BQACfile1', bytes, 'documents/ke-hoach.csv');
    const file = await api.getFile('BQACfile1');
    expect(file).toMatchObject({ file_id: 'BQACfile1', file_size: bytes.length, file_path: 'documents/ke-hoach.csv' });
    const res = await fetch(`${f.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await rejection(api.getFile('nope'))).error_code).toBe(400);
    const update = f.userSends(42, 'kế hoạch', {
      document: { file_id: 'BQACfile1', file_name: 'ke-hoach.csv', file_size: bytes.length },
    });
    expect(update.message).toMatchObject({
      caption: 'kế hoạch',
      document: { file_id: 'BQACfile1', file_name: 'ke-hoach.csv' },
    });
  });

  it('accepts a multipart sendDocument upload', async () => {
    const { fake: f, api } = await start();
    const msg = await api.sendDocument(42, new InputFile(Buffer.from('a,b\n1,2\n'), 'bao-cao.csv'), {
      caption: 'Báo cáo tuần',
    });
    expect(msg.document).toMatchObject({ file_name: 'bao-cao.csv', file_size: 8 });
    expect(msg.caption).toBe('Báo cáo tuần');
    const upload = f.calls.at(-1)?.params.document as UploadedFile;
    expect(upload.filename).toBe('bao-cao.csv');
    expect(upload.bytes.toString()).toBe('a,b\n1,2\n');
    expect(f.calls.at(-1)?.chatId).toBe('42');
    expect(f.sent(42)[0]).toMatchObject({ caption: 'Báo cáo tuần', document: { file_name: 'bao-cao.csv' } });
    const file = await api.getFile(msg.document.file_id);
    const res = await fetch(`${f.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect(await res.text()).toBe('a,b\n1,2\n');
  });

  it('stores commands by scope and language, and the webhook', async () => {
    const { fake: f, api } = await start();
    await api.setMyCommands([{ command: 'hom_nay', description: 'Việc hôm nay' }], { language_code: 'vi' });
    expect(await api.getMyCommands({ language_code: 'vi' })).toEqual([
      { command: 'hom_nay', description: 'Việc hôm nay' },
    ]);
    expect(await api.getMyCommands()).toEqual([]);
    expect(f.commands(undefined, 'vi')).toHaveLength(1);
    expect((await rejection(api.setMyCommands([{ command: 'Hôm-nay', description: 'x' }]))).description).toBe(
      'Bad Request: BOT_COMMAND_INVALID',
    );
    await api.deleteMyCommands({ language_code: 'vi' });
    expect(f.commands(undefined, 'vi')).toEqual([]);
    await api.setWebhook('https://example.test/tg', { secret_token: 's3cret' });
    expect(f.webhook()).toMatchObject({ url: 'https://example.test/tg', secret_token: 's3cret' });
    expect((await rejection(api.getUpdates())).error_code).toBe(409);
    await api.deleteWebhook();
    expect(f.webhook()).toBeUndefined();
  });
});
