import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TELEGRAM_MAX_SOCKETS, telegramClientOptions } from '#root/channels/telegram/agent.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const LATENCY_MS = 400;

/**
 * The bot's connections to the Bot API server: a burst of answers leaves at once, each on its own
 * connection, instead of queueing for the round trips of the ones before (Telegram takes 50–300 ms
 * to answer; with 16 connections, a hundred presses waited six round trips).
 */
describe('the bot’s connections to the Bot API server', () => {
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram({ limits: false });
  });
  afterAll(async () => {
    await tg?.close();
  });

  it('sends a burst of 60 answers without waiting for earlier round trips', async () => {
    const bot = new Bot(TOKEN, { client: telegramClientOptions(tg.apiRoot) });
    const chats = Array.from({ length: 60 }, (_, i) => 900 + i);
    const messages = await Promise.all(chats.map((chat) => bot.api.sendMessage(chat, 'Nhắc hạn')));
    const ids = messages.map(
      (m) => (tg.userPresses(m.chat.id, m.message_id, 'x:AAAAAAAAAAAAAAAAAAAAAA').callback_query as { id: string }).id,
    );
    tg.setLatency(LATENCY_MS);
    const before = tg.calls.length;
    await Promise.all(ids.map((id) => bot.api.answerCallbackQuery(id, { text: 'ok' })));
    const arrivals = tg.calls
      .slice(before)
      .filter((c) => c.method === 'answerCallbackQuery')
      .map((c) => c.at);
    expect(arrivals).toHaveLength(60);
    // Every request reached the server before the first could have been answered: none of them
    // waited for a connection.
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(LATENCY_MS);
  });

  it('keeps a bound on them', () => {
    expect(TELEGRAM_MAX_SOCKETS).toBeGreaterThanOrEqual(100);
    expect(Number.isFinite(TELEGRAM_MAX_SOCKETS)).toBe(true);
  });
});
